"""Runway API tasks (image_to_video, text_to_video, video_to_video, tasks), at ``/runway``.

``runwayml`` SDK: ``base_url="http://127.0.0.1:PORT/runway"``. Written from
shared/reference/runway-gen4.md and docs/reference/runway.md (partner models whose ratios are
pixel sizes and whose duration range the notes give; the others answer as unknown models).
Every request needs ``X-Runway-Version: 2024-11-06``.
Outputs are served by the simulator itself at a URL signed with a ``_jwt`` query parameter,
downloaded without the API key, like Runway's CDN links. Validation errors use the observed
zod-style ``issues`` shape; the wording of each issue follows zod 4 (the version whose
"Invalid option: expected one of" text the reference quotes).
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import tokens
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
from .media import job_clip
from .scenarios import Spec

PROVIDER = "runway"
VERSION = "2024-11-06"
DOC_URL = "https://docs.dev.runwayml.com/api"
GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
URL_LIFETIME = 48 * 3600


@dataclass(frozen=True)
class RunwayModel:
    """One model on one endpoint."""

    ratios: tuple[str, ...]
    durations: tuple[int, ...] | range  # allowed values
    default_duration: int | None  # None: the field is required
    credits_per_second: tuple[int, int] | None  # (without, with audio); None: unpublished
    audio: str = "never"  # "never", "switch" (the `audio` field), "always"
    prompt_required: bool = False
    last_frame: bool = False
    prompt_units: int = 1000  # promptText limit, UTF-16 code units


_GEN4_TURBO = RunwayModel(GEN4_RATIOS, range(2, 11), 10, (5, 5))  # default 10: older docs
_VEO31 = RunwayModel(VEO_RATIOS, (4, 6, 8), 8, (20, 40), audio="switch", last_frame=True)
_VEO31_FAST = RunwayModel(VEO_RATIOS, (4, 6, 8), 8, (10, 15), audio="switch", last_frame=True)
# veo3 left the SDK in 5.14.0; whether the server still takes it is unverified: kept.
_VEO3 = RunwayModel(VEO_RATIOS, (8,), None, (40, 40), audio="always")
KLING_STD = ("1280:720", "720:1280", "960:960")
KLING_PRO = ("1920:1080", "1080:1920", "1440:1440")
KLING_4K = ("3840:2160", "2160:3840", "2880:2880")
SEEDANCE_LOW = ("992:432", "864:496", "752:560", "640:640", "560:752", "496:864", "1470:630",
                "1280:720", "1112:834", "960:960", "834:1112", "720:1280")
SEEDANCE_ALL = SEEDANCE_LOW + ("2206:946", "1920:1080", "1664:1248", "1440:1440", "1248:1664",
                               "1080:1920", "3840:1646", "3840:2160", "3840:2880", "3840:3840",
                               "2880:3840", "2160:3840")
OMNI_11 = ("640:360", "360:640", "1280:720", "720:1280", "1920:1080", "1080:1920",
           "3840:2160", "2160:3840")


def _partners(text: bool) -> dict[str, RunwayModel]:
    """Partner models the notes give a duration range for (prices only where published)."""
    need = text  # text_to_video always needs a prompt
    kling = {f"{family}{tier}": RunwayModel(ratios, range(3, 16), None, credits,
                                            audio="switch", last_frame=True,
                                            prompt_required=need)
             for family in ("kling3.0", "klingO3")
             for tier, ratios, credits in (
                 ("_standard", KLING_STD, (9, 13) if family == "kling3.0" else None),
                 ("_pro", KLING_PRO, (12, 17) if family == "kling3.0" else None),
                 ("_4k", KLING_4K, None))}
    seedance = {name: RunwayModel(ratios, range(4, 16), None, credits, audio="switch",
                                  last_frame=True, prompt_required=need, prompt_units=3500)
                for name, ratios, credits in (("seedance2", SEEDANCE_ALL, (36, 36)),
                                              ("seedance2_fast", SEEDANCE_LOW, None),
                                              ("seedance2_mini", SEEDANCE_LOW, None))}
    omni = {"gemini_omni_flash": RunwayModel(("1280:720", "720:1280"), range(3, 11), None,
                                             None, prompt_required=need),
            "gemini_omni_flash_1.1": RunwayModel(OMNI_11, range(3, 11), None, None,
                                                 last_frame=True, prompt_required=True)}
    return {**kling, **seedance, **omni}


ENDPOINTS: dict[str, dict[str, RunwayModel]] = {
    "image_to_video": {
        "gen4_turbo": _GEN4_TURBO,
        "gen4.5": RunwayModel(GEN4_RATIOS, range(2, 11), None, (12, 12), prompt_required=True),
        "veo3.1": _VEO31, "veo3.1_fast": _VEO31_FAST, "veo3": _VEO3, **_partners(False),
    },
    "text_to_video": {
        "gen4.5": RunwayModel(("1280:720", "720:1280"), range(2, 11), None, (12, 12),
                              prompt_required=True),
        "veo3.1": RunwayModel(VEO_RATIOS, (4, 6, 8), 8, (20, 40), audio="switch",
                              prompt_required=True),
        "veo3.1_fast": RunwayModel(VEO_RATIOS, (4, 6, 8), 8, (10, 15), audio="switch",
                                   prompt_required=True),
        "veo3": RunwayModel(VEO_RATIOS, (8,), None, (40, 40), audio="always",
                            prompt_required=True),
        **_partners(True),
    },
}
STATUS = {"queued": "PENDING", "throttled": "THROTTLED", "running": "RUNNING"}
FAILURES = {
    "job_failed": ("An unexpected error occurred.", "INTERNAL.BAD_OUTPUT.CODE01"),
    "content_policy": ("Your prompt text did not pass our content moderation.",
                       "SAFETY.INPUT.TEXT"),
    "content_policy_job": ("Your prompt text did not pass our content moderation.",
                           "SAFETY.INPUT.TEXT"),
}


def _error(status: int, message: str, headers: dict[str, str] | None = None,
           doc: bool = False) -> Response:
    body: dict[str, Any] = {"error": message}
    if doc:
        body["docUrl"] = DOC_URL
    return json_response(body, status, headers)


def _issues(*issues: dict[str, Any]) -> Response:
    return json_response({"error": "Validation of body failed", "issues": list(issues),
                          "docUrl": DOC_URL}, 400)


def _missing(field: str, expected: str = "string", got: str = "undefined") -> dict[str, Any]:
    return {"expected": expected, "code": "invalid_type", "path": [field],
            "message": f"Invalid input: expected {expected}, received {got}"}


def _one_of(field: str, values: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    shown = "|".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)
    message = (f"Invalid input: expected {shown}" if len(values) == 1
               else f"Invalid option: expected one of {shown}")
    return {"code": "invalid_value", "values": list(values), "path": [field],
            "message": message}


def _bad_model() -> dict[str, Any]:
    return {"code": "invalid_union", "errors": [], "note": "No matching discriminator",
            "discriminator": "model", "path": ["model"], "message": "Invalid input"}


def _cost(field: str, credits: int | None) -> dict[str, Any]:
    """``{field: {credits}}``, or nothing for a model whose price is not published."""
    return {field: {"credits": credits}} if credits is not None else {}


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array",
            dict: "object", type(None): "null"}.get(type(value), "unknown")


class RunwayTasks:
    """Handlers for ``/runway/v1``."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        # Signs output URLs: fixed per seed so seeded runs are reproducible, else random.
        seed = sim.settings.seed
        self._url_secret = (f"runway-simulator-url-secret-{seed}" if seed is not None
                            else secrets.token_hex(32))

    def routes(self) -> list[Route]:
        return [
            Route("/v1/image_to_video", self._creator("image_to_video"), methods=["POST"]),
            Route("/v1/text_to_video", self._creator("text_to_video"), methods=["POST"]),
            Route("/v1/video_to_video", self.video_to_video, methods=["POST"]),
            Route("/v1/tasks/{task_id}", self.retrieve, methods=["GET"]),
            Route("/v1/tasks/{task_id}", self.delete, methods=["DELETE"]),
            Route("/_cdn/{task_id}/video.mp4", self.cdn, methods=["GET"]),
        ]

    def _faults(self, spec: Spec) -> Response | None:
        if spec.name in ("rate_limit", "concurrency_limit"):
            wait = self.sim.retry_after(spec)
            return _error(429, "You have exceeded the daily generation limit for this model. "
                          "Try again later.", {"retry-after": str(wait)})
        if spec.name == "insufficient_credits":
            return _error(400, "You do not have enough credits to run this task.")
        if spec.name == "server_error":  # Runway documents 502/503/504, no 500
            return _error(502, "An unexpected error occurred.")
        if spec.name == "unavailable":
            return _error(503, "Service temporarily unavailable.")
        if spec.name == "auth_error":
            return _error(401, "The provided API key is not valid.")
        if spec.name == "retired_model":
            # How a retired id (gen3a_turbo) fails is unverified: read as an unknown model.
            return _issues(_bad_model())
        return None

    async def _enter(self, request: Request, kind: str, job: Job | None = None,
                     prompt: object = None) -> tuple[list[Spec], Response | None]:
        if not key_ok(self.sim.settings, PROVIDER, bearer(request)):
            return [], _error(401, "The provided API key is not valid.")
        if request.headers.get("x-runway-version") != VERSION:
            return [], _error(400, "The API version that was provided in the X-Runway-Version "
                              "header is not valid.", doc=True)
        try:
            return await self.sim.enter(PROVIDER, kind, request, self._faults, job=job,
                                        prompt=prompt)
        except SimulatorError as error:
            return [], simulator_error(error)

    def _creator(self, endpoint: str) -> Any:
        async def create(request: Request) -> Response:
            return await self.create(request, endpoint)
        return create

    async def open_submit(self, request: Request) -> tuple[Any, Any, Response | None]:
        """A submit's body, its fired faults, and the early answer (a fault, or the issue
        for a body that is not a JSON object) that ends it, if any."""
        try:
            body = await read_json(request)
        except ValueError:
            body = None
        prompt = body.get("promptText") if isinstance(body, dict) else None
        fired, early = await self._enter(request, "submit", prompt=prompt)
        if early is None and not isinstance(body, dict):
            early = _issues({"expected": "object", "code": "invalid_type", "path": [],
                             "message": f"Invalid input: expected object, received "
                             f"{_type_name(body)}"})
        return body, fired, early

    async def create(self, request: Request, endpoint: str) -> Response:
        body, fired, early = await self.open_submit(request)
        if early is not None:
            return early
        prompt = body.get("promptText")
        model = ENDPOINTS[endpoint].get(body.get("model"))
        if model is None:
            return _issues(_bad_model())
        issues = _validate(body, model, image=endpoint == "image_to_video")
        if issues:
            return _issues(*issues)
        try:
            fate, carried = self.sim.job_fate(PROVIDER, request, prompt)
        except ValueError as error:
            return simulator_error(SimulatorError(str(error)))
        seconds = int(body.get("duration", model.default_duration or 0))
        audio = model.audio == "always" or (model.audio == "switch" and body.get("audio") is True)
        width, height = (int(part) for part in body["ratio"].split(":"))
        rates = model.credits_per_second
        credits = rates[audio] * seconds if rates is not None else None
        settings = self.sim.settings
        job = self.sim.store.add(Job(
            id=self.sim.store.uuid(), provider=PROVIDER, model=body["model"], seconds=seconds,
            width=width, height=height, audio=audio, created=settings.now(),
            created_wall=settings.wall_clock(), prompt=prompt if isinstance(prompt, str) else None,
            fate=fate_of(fate), throttled="throttled" in fate, specs=carried,
            extra={"credits": credits},
        ))
        answer: dict[str, Any] = {"id": job.id}
        if credits is not None:
            answer["estimatedCost"] = {"credits": credits}
        return json_response(answer, fired=fired)

    async def video_to_video(self, request: Request) -> Response:
        """``POST /v1/video_to_video`` (aleph2; see ``runway_v2v``)."""
        from .runway_v2v import create_video_to_video  # it builds on this module's helpers

        return await create_video_to_video(self, request)

    def _task(self, job: Job, request: Request) -> dict[str, Any]:
        created = dt.datetime.fromtimestamp(job.created_wall, dt.UTC)
        task: dict[str, Any] = {
            "id": job.id, "createdAt": created.isoformat(timespec="milliseconds")[:-6] + "Z",
        }
        if job.cancelled:
            return {**task, "status": "CANCELLED", **_cost("cost", job.extra["cost"])}
        phase, progress = job.poll(self.sim.settings)
        if phase != "done":
            task["status"] = STATUS[phase]
            if phase == "running":
                task["progress"] = round(progress, 2)
            return {**task, **_cost("estimatedCost", job.extra["credits"])}
        if job.fate is not None:
            failure, code = FAILURES[job.fate]
            return {**task, "status": "FAILED", "failure": failure, "failureCode": code,
                    "cost": {"credits": 0}}
        token = tokens.sign({"exp": int(self.sim.settings.wall_clock()) + URL_LIFETIME,
                             "task": job.id}, self._url_secret)
        url = (f"{request.url.scheme}://{request.url.netloc}/runway/_cdn/{job.id}/video.mp4"
               f"?_jwt={token}")
        return {**task, "status": "SUCCEEDED", "output": [url],
                **_cost("cost", job.extra["credits"])}

    async def retrieve(self, request: Request) -> Response:
        job = self.sim.store.get(PROVIDER, request.path_params["task_id"])
        fired, early = await self._enter(request, "poll", job=job)
        if early is not None:
            return early
        if job is None:
            return _error(404, "Could not find Task")
        return json_response(self._task(job, request), fired=fired)

    async def delete(self, request: Request) -> Response:
        job = self.sim.store.get(PROVIDER, request.path_params["task_id"])
        fired, early = await self._enter(request, "delete", job=job)
        if early is not None:
            return early
        if job is None:
            return _error(404, "Could not find Task")
        phase, _ = job.stage(self.sim.settings)
        if phase == "done" or job.cancelled:
            self.sim.store.remove(PROVIDER, job.id)  # finished tasks are deleted
        else:
            # Pending/throttled/running tasks are cancelled; a running one is not refunded.
            job.cancelled = True
            job.extra["cost"] = job.extra["credits"] if phase == "running" else 0
        return Response(status_code=204)

    async def cdn(self, request: Request) -> Response:
        job = self.sim.store.get(PROVIDER, request.path_params["task_id"])
        try:
            claims = tokens.decode(request.query_params.get("_jwt", ""), self._url_secret)
        except tokens.TokenError:
            claims = {}
        valid = (job is not None and claims.get("task") == job.id
                 and claims.get("exp", 0) > self.sim.settings.wall_clock())
        if not valid or job is None:
            # A signed CDN link that fails its check; CloudFront's body is not in the
            # reference, so the status alone carries the meaning.
            return Response("Access denied", 403, media_type="text/plain")
        scoped = [("global", s) for s in self.sim.global_specs + self.sim.request_specs(request)]
        fired = self.sim.scenarios.firing(PROVIDER, "download",
                                          scoped + [(job.id, s) for s in job.specs])
        data = await job_clip(job)
        return media_response(self.sim.settings, data, "video/mp4", fired)


def _validate(body: dict[str, Any], model: RunwayModel, image: bool) -> list[dict[str, Any]]:
    """Zod-style issues for a create body (empty when it is valid)."""
    issues = []
    prompt = body.get("promptText")
    if prompt is None:
        if model.prompt_required:
            issues.append(_missing("promptText"))
    elif not isinstance(prompt, str):
        issues.append(_missing("promptText", got=_type_name(prompt)))
    elif not 1 <= len(prompt.encode("utf-16-le")) // 2 <= model.prompt_units:
        limit = ("too_big", "maximum", model.prompt_units, "<=") if prompt else (
            "too_small", "minimum", 1, ">=")
        issues.append({"origin": "string", "code": limit[0], limit[1]: limit[2],
                       "inclusive": True, "path": ["promptText"], "message":
                       f"Too {limit[0][4:]}: expected string to have {limit[3]}{limit[2]} "
                       "characters"})
    if image:
        issues += _validate_image(body.get("promptImage"), model)
    ratio = body.get("ratio")
    if ratio not in model.ratios:
        issues.append(_missing("ratio") if ratio is None else _one_of("ratio", model.ratios))
    issues += _validate_duration(body.get("duration"), model)
    if "audio" in body and model.audio == "switch" and not isinstance(body["audio"], bool):
        issues.append(_missing("audio", "boolean", _type_name(body["audio"])))
    seed = body.get("seed")
    if seed is not None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            issues.append(_missing("seed", "number", _type_name(seed)))
        elif not 0 <= seed <= 4_294_967_295:
            too_big = seed > 0
            issues.append({"origin": "number", "code": "too_big" if too_big else "too_small",
                           "maximum" if too_big else "minimum": 4_294_967_295 if too_big
                           else 0, "inclusive": True, "path": ["seed"], "message":
                           f"Too {'big' if too_big else 'small'}: expected number to be "
                           f"{'<=4294967295' if too_big else '>=0'}"})
    return issues


def _validate_duration(duration: Any, model: RunwayModel) -> list[dict[str, Any]]:
    if duration is None:
        return [_missing("duration", "number")] if model.default_duration is None else []
    if not isinstance(duration, int) or isinstance(duration, bool):
        return [_missing("duration", "number", _type_name(duration))]
    if isinstance(model.durations, range):
        low, high = model.durations[0], model.durations[-1]
        if duration < low:
            return [{"origin": "number", "code": "too_small", "minimum": low, "inclusive": True,
                     "path": ["duration"], "message": f"Too small: expected number to be "
                     f">={low}"}]
        if duration > high:
            return [{"origin": "number", "code": "too_big", "maximum": high, "inclusive": True,
                     "path": ["duration"], "message": f"Too big: expected number to be "
                     f"<={high}"}]
        return []
    return [] if duration in model.durations else [_one_of("duration", list(model.durations))]


def _validate_image(prompt_image: Any, model: RunwayModel) -> list[dict[str, Any]]:
    if prompt_image is None:
        return [_missing("promptImage")]
    if isinstance(prompt_image, str):
        return []
    if not isinstance(prompt_image, list) or not prompt_image:
        return [_missing("promptImage", got=_type_name(prompt_image))]
    positions = ("first", "last") if model.last_frame else ("first",)
    issues = []
    for index, item in enumerate(prompt_image):
        if not isinstance(item, dict) or not isinstance(item.get("uri"), str):
            issues.append({**_missing("uri"), "path": ["promptImage", index, "uri"]})
        elif item.get("position") not in positions:
            issues.append({**_one_of("position", positions),
                           "path": ["promptImage", index, "position"]})
    given = [item.get("position") for item in prompt_image if isinstance(item, dict)]
    if not issues and "last" in given and "first" not in given:
        # Veo 3.1 needs a first frame whenever a last one is given (wording constructed).
        issues.append({"code": "custom", "path": ["promptImage"],
                       "message": "A first frame is required when a last frame is given."})
    return issues
