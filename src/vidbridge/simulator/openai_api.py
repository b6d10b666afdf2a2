"""OpenAI Videos API (Sora 2), mounted at ``/openai``: ``base_url=.../openai/v1`` for the SDK.

Written from shared/reference/openai-sora.md. The real API was shut down on 2026-09-24;
with ``sora_retired`` (the default) every call answers the 404 ``model_not_found`` body.
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .common import (
    Simulator,
    SimulatorError,
    bearer,
    fate_of,
    json_response,
    key_ok,
    media_response,
    read_json,
    simulator_error,
)
from .jobs import Job
from .media import job_clip, make_still
from .scenarios import Spec

PROVIDER = "openai"
MODELS = {
    "sora-2": "sora-2", "sora-2-2025-10-06": "sora-2", "sora-2-2025-12-08": "sora-2",
    "sora-2-pro": "sora-2-pro", "sora-2-pro-2025-10-06": "sora-2-pro",
}
# "16"/"20" and the 1080p pro sizes arrived on 2026-03-12 (reference §1); the SDK literals
# never caught up, so accepting them is the reading that rejects nothing real.
SECONDS = ("4", "8", "12", "16", "20")
SIZES = {
    "sora-2": ("720x1280", "1280x720"),
    "sora-2-pro": ("720x1280", "1280x720", "1024x1792", "1792x1024", "1080x1920", "1920x1080"),
}
VARIANTS = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}
EXPIRY_SECONDS = 3600  # assets downloadable for about an hour (reference §5)


def _error(status: int, message: str, *, type_: str = "invalid_request_error",
           param: str | None = None, code: str | None = None,
           headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return json_response(body, status, headers)


def _model_not_found(model: str) -> Response:
    return _error(404, f"The model `{model}` does not exist or you do not have access to it.",
                  param="model", code="model_not_found")


def _not_found(video_id: str) -> Response:
    return _error(404, f"Video with id '{video_id}' not found.")


def _choices(values: tuple[str, ...]) -> str:
    quoted = [f"'{value}'" for value in values]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _invalid_value(param: str, value: str, allowed: tuple[str, ...]) -> Response:
    return _error(400, f"Invalid value: '{value}'. Supported values are: {_choices(allowed)}.",
                  param=param, code="invalid_value")


def _mask(key: str) -> str:
    return f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"


class OpenAIVideos:
    """Handlers for ``/openai/v1/videos``."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def routes(self) -> list[Route]:
        return [
            Route("/v1/videos", self.create, methods=["POST"]),
            Route("/v1/videos", self.list, methods=["GET"]),
            Route("/v1/videos/{video_id}", self.retrieve, methods=["GET"]),
            Route("/v1/videos/{video_id}", self.delete, methods=["DELETE"]),
            Route("/v1/videos/{video_id}/content", self.content, methods=["GET"]),
            Route("/v1/videos/{video_id}/remix", self.remix, methods=["POST"]),
        ]

    # -- cross-cutting: auth, retirement, scenarios ----------------------------------------

    def _gate(self, request: Request) -> Response | None:
        key = bearer(request)
        if not key:
            # Wording of OpenAI's public "missing key" answer; the reference only has the
            # bad-key body below, which needs a key to mask.
            return _error(401, "You didn't provide an API key. You need to provide your API "
                          "key in an Authorization header using Bearer auth (i.e. "
                          "Authorization: Bearer YOUR_KEY).")
        if not key_ok(self.sim.settings, PROVIDER, key):
            return self._bad_key(key)
        if self.sim.settings.sora_retired:
            return _model_not_found("sora-2")
        return None

    @staticmethod
    def _bad_key(key: str) -> Response:
        return _error(401, f"Incorrect API key provided: {_mask(key)}. You can find your API "
                      "key at https://platform.openai.com/account/api-keys.",
                      code="invalid_api_key")

    def _faults(self, model: str) -> Any:
        def fault(spec: Spec) -> Response | None:
            if spec.name in ("rate_limit", "concurrency_limit"):
                wait = self.sim.retry_after(spec)
                return _error(
                    429, f"Rate limit reached for {model} in organization org-simulator on "
                    "requests per min (RPM): Limit 25, Used 25, Requested 1. Please try "
                    f"again in {wait}s.", type_="requests", code="rate_limit_exceeded",
                    headers={"retry-after": str(wait)})
            if spec.name == "insufficient_credits":
                return _error(429, "You exceeded your current quota, please check your plan "
                              "and billing details.", type_="insufficient_quota",
                              code="insufficient_quota")
            if spec.name == "server_error":  # OpenAI's usual 5xx wording (not in reference)
                return _error(500, "The server had an error while processing your request. "
                              "Sorry about that!", type_="server_error")
            if spec.name == "unavailable":
                return _error(503, "The engine is currently overloaded, please try again "
                              "later.", type_="server_error")
            if spec.name == "auth_error":
                return self._bad_key("sk-simulated-invalid-key")
            if spec.name == "retired_model":
                return _model_not_found(model)
            return None
        return fault

    async def _enter(self, request: Request, kind: str, job: Job | None = None,
                     model: str = "sora-2", prompt: object = None
                     ) -> tuple[list[Spec], Response | None]:
        gate = self._gate(request)
        if gate is not None:
            return [], gate
        try:
            return await self.sim.enter(PROVIDER, kind, request, self._faults(model),
                                        job=job, prompt=prompt)
        except SimulatorError as error:
            return [], simulator_error(error)

    # -- the Video object -------------------------------------------------------------------

    def _video(self, job: Job, advance: bool) -> dict[str, Any]:
        settings = self.sim.settings
        phase, progress = job.poll(settings) if advance else job.stage(settings)
        status = {"queued": "queued", "throttled": "queued", "running": "in_progress"}.get(
            phase, "completed" if job.succeeds else "failed")
        finished = int(job.finished_wall or settings.wall_clock()) if phase == "done" else None
        error = None
        if status == "failed":
            # Failure codes are not enumerated anywhere (reference §6.3); moderation_blocked
            # is the reference's example, server_error our reading for the rest.
            error = ({"code": "moderation_blocked", "message": "The request was rejected by "
                      "the content moderation system."}
                     if job.fate in ("content_policy", "content_policy_job")
                     else {"code": "server_error", "message": "The video could not be "
                           "generated due to an internal error."})
        return {
            "id": job.id, "object": "video", "model": job.model, "status": status,
            "progress": {"completed": 100, "failed": 0}.get(status, int(progress * 100)),
            "created_at": int(job.created_wall), "completed_at": finished,
            "expires_at": (finished + EXPIRY_SECONDS
                           if finished is not None and status == "completed" else None),
            "prompt": job.prompt, "seconds": job.extra["seconds"], "size": job.extra["size"],
            "remixed_from_video_id": job.extra.get("remixed_from"), "error": error,
        }

    def _poll_headers(self) -> dict[str, str]:
        settings = self.sim.settings
        wait = 0 if settings.fast else max(int(settings.render_seconds * 250), 50)
        return {"openai-poll-after-ms": str(wait)}

    # -- endpoints --------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        fields, error = await self._create_fields(request)
        if error is not None:
            return error
        model = str(fields.get("model") or "sora-2")
        fired, early = await self._enter(request, "submit", model=model,
                                         prompt=fields.get("prompt"))
        if early is not None:
            return early
        invalid = self._validate(fields, model)
        if invalid is not None:
            return invalid
        return self._accept(request, fields, model, fired, remixed_from=None)

    async def _create_fields(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        gate = self._gate(request)
        if gate is not None:
            return {}, gate
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            return {name: value for name, value in form.items()}, None
        try:
            body = await read_json(request)
        except ValueError:
            return {}, _error(400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            return {}, _error(400, "We could not parse the JSON body of your request.")
        return body, None

    def _validate(self, fields: dict[str, Any], model: str) -> Response | None:
        if model not in MODELS:
            return _model_not_found(model)
        prompt = fields.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return _error(400, "Missing required parameter: 'prompt'.", param="prompt",
                          code="missing_required_parameter")
        if len(prompt) > 32_000:
            return _error(400, "Invalid 'prompt': string too long. Expected a string with "
                          f"maximum length 32000, but got a string with length {len(prompt)} "
                          "instead.", param="prompt", code="string_above_max_length")
        seconds = fields.get("seconds", "4")
        if not isinstance(seconds, str):
            # The wire type is a string; a JSON number is a client bug worth surfacing.
            return _error(400, "Invalid type for 'seconds': expected one of "
                          f"{_choices(SECONDS)}, but got {type(seconds).__name__} instead.",
                          param="seconds", code="invalid_type")
        if seconds not in SECONDS:
            return _invalid_value("seconds", seconds, SECONDS)
        size = str(fields.get("size", "720x1280"))
        if size not in SIZES[MODELS[model]]:
            return _invalid_value("size", size, SIZES[MODELS[model]])
        reference = fields.get("input_reference")
        if isinstance(reference, dict) and len(
                {"image_url", "file_id"} & reference.keys()) != 1:
            return _error(400, "Invalid 'input_reference': provide exactly one of "
                          "'image_url' or 'file_id'.", param="input_reference",
                          code="invalid_value")
        return None

    def _accept(self, request: Request, fields: dict[str, Any], model: str,
                fired: list[Spec], remixed_from: str | None) -> Response:
        prompt = str(fields["prompt"])
        try:
            fate, carried = self.sim.job_fate(PROVIDER, request, prompt)
        except ValueError as error:
            return simulator_error(SimulatorError(str(error)))
        if "content_policy" in fate:
            # Refused at submit (reference §6.2); content_policy_job gives the failed job.
            return _error(400, "Your request was blocked by our moderation system.",
                          code="moderation_blocked")
        seconds, size = str(fields.get("seconds", "4")), str(fields.get("size", "720x1280"))
        width, height = (int(part) for part in size.split("x"))
        settings = self.sim.settings
        job = self.sim.store.add(Job(
            id="video_" + self.sim.store.hex(48), provider=PROVIDER, model=model,
            seconds=float(seconds), width=width, height=height, audio=True,  # Sora: always
            created=settings.now(), created_wall=settings.wall_clock(), prompt=prompt,
            fate=fate_of(fate), specs=carried,
            extra={"seconds": seconds, "size": size, "remixed_from": remixed_from},
        ))
        return json_response(self._video(job, advance=False), fired=fired)

    async def retrieve(self, request: Request) -> Response:
        job = self.sim.store.get(PROVIDER, request.path_params["video_id"])
        fired, early = await self._enter(request, "poll", job=job)
        if early is not None:
            return early
        if job is None:
            return _not_found(request.path_params["video_id"])
        return json_response(self._video(job, advance=True), headers=self._poll_headers(),
                             fired=fired)

    async def list(self, request: Request) -> Response:
        fired, early = await self._enter(request, "list")
        if early is not None:
            return early
        query = request.query_params
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            return _invalid_value("order", order, ("asc", "desc"))
        try:
            limit = int(query.get("limit", "20"))
        except ValueError:
            return _error(400, f"Invalid 'limit': expected an integer, but got "
                          f"'{query['limit']}' instead.", param="limit", code="invalid_type")
        jobs = self.sim.store.all(PROVIDER)
        if order == "desc":
            jobs.reverse()
        after = query.get("after")
        if after:
            ids = [job.id for job in jobs]
            jobs = jobs[ids.index(after) + 1:] if after in ids else []
        page = jobs[:max(limit, 1)]
        data = [self._video(job, advance=False) for job in page]
        return json_response({
            "object": "list", "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": len(jobs) > len(page),
        }, fired=fired)

    async def delete(self, request: Request) -> Response:
        video_id = request.path_params["video_id"]
        job = self.sim.store.get(PROVIDER, video_id)
        fired, early = await self._enter(request, "delete", job=job)
        if early is not None:
            return early
        if job is None:
            return _not_found(video_id)
        if job.stage(self.sim.settings)[0] != "done":
            # Only completed or failed videos are deletable; the exact 4xx is unverified.
            return _error(400, f"Video with id '{video_id}' is still being generated and "
                          "cannot be deleted.")
        self.sim.store.remove(PROVIDER, video_id)
        return json_response({"id": video_id, "object": "video.deleted", "deleted": True},
                             fired=fired)

    async def content(self, request: Request) -> Response:
        video_id = request.path_params["video_id"]
        job = self.sim.store.get(PROVIDER, video_id)
        fired, early = await self._enter(request, "download", job=job)
        if early is not None:
            return early
        variant = request.query_params.get("variant", "video")
        if variant not in VARIANTS:
            return _invalid_value("variant", variant, tuple(VARIANTS))
        if job is None:
            return _not_found(video_id)
        if job.stage(self.sim.settings)[0] != "done" or not job.succeeds:
            # Status and wording before completion are unverified; 404 is the likely one.
            return _error(404, f"Video with id '{video_id}' has no content available.")
        if variant == "video":
            data = await job_clip(job)
        else:
            data = make_still(job.width, job.height, "webp" if variant == "thumbnail" else "jpeg")
        return media_response(self.sim.settings, data, VARIANTS[variant], fired)

    async def remix(self, request: Request) -> Response:
        video_id = request.path_params["video_id"]
        source = self.sim.store.get(PROVIDER, video_id)
        try:
            body = await read_json(request)
        except ValueError:
            body = None
        prompt = body.get("prompt") if isinstance(body, dict) else None
        fired, early = await self._enter(request, "submit", model=source.model if source
                                         else "sora-2", prompt=prompt)
        if early is not None:
            return early
        if source is None:
            return _not_found(video_id)
        if not isinstance(prompt, str) or not prompt:
            return _error(400, "Missing required parameter: 'prompt'.", param="prompt",
                          code="missing_required_parameter")
        if source.stage(self.sim.settings)[0] != "done" or not source.succeeds:
            return _error(400, f"Video with id '{video_id}' is not completed and cannot be "
                          "remixed.")
        fields = {"prompt": prompt, **{k: source.extra[k] for k in ("seconds", "size")}}
        return self._accept(request, fields, source.model, fired, remixed_from=video_id)

