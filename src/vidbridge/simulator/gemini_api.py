"""Gemini API Veo (``predictLongRunning``, operations, file download), mounted at ``/gemini``.

Paths keep the real ``v1beta`` version: ``/gemini/v1beta/models/{model}:predictLongRunning``.
The API key comes as ``x-goog-api-key`` or ``?key=``. Output URIs point back at this
simulator over plain http (an https URI on loopback would be unreachable); the download
answers with a redirect to a storage URL, as the real one does.
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .common import (
    Simulator,
    SimulatorError,
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
from .veo import (
    RAI_REASON,
    VeoJob,
    VeoModel,
    google_error,
    operation_error,
    rate_limited,
    server_error,
    validate,
)

PROVIDER = "gemini"
MODELS = {
    "veo-3.1-generate-preview": VeoModel(("720p", "1080p", "4k")),
    "veo-3.1-fast-generate-preview": VeoModel(("720p", "1080p", "4k")),
    "veo-3.1-lite-generate-preview": VeoModel(("720p", "1080p")),
}
# Gone from the Gemini API by 2026-07-01 (reference §0): they answer 404 like unknown ids.
RETIRED = ("veo-2.0-generate-001", "veo-3.0-generate-001", "veo-3.0-fast-generate-001")
RESPONSE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"


def _not_found(model: str) -> Response:
    return google_error(404, f"models/{model} is not found for API version v1beta, or is not "
                        "supported for predictLongRunning. Call ListModels to see the list of "
                        "available models and their supported methods.")


def _bad_key() -> Response:
    return google_error(400, "API key not valid. Please pass a valid API key.", [{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"}}])


class GeminiVeo:
    """Handlers for ``/gemini/v1beta``."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        # Scenarios that fired on a file request, applied when its redirect is followed:
        # the storage fetch carries no key and is not a second "download" of its own.
        self._redirects: dict[str, list[Spec]] = {}

    def routes(self) -> list[Route]:
        return [
            Route("/v1beta/models/{model}:predictLongRunning", self.submit, methods=["POST"]),
            Route("/v1beta/models/{model}/operations/{op}", self.operation, methods=["GET"]),
            Route("/v1beta/files/{file}:download", self.download, methods=["GET"]),
            Route("/_storage/{file}.mp4", self.storage, methods=["GET"]),
        ]

    def _auth(self, request: Request) -> Response | None:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            return google_error(403, "Method doesn't allow unregistered callers (callers "
                                "without established identity). Please use API Key or other "
                                "form of API consumer identity to call this API.")
        return None if key_ok(self.sim.settings, PROVIDER, key) else _bad_key()

    def _faults(self, model: str) -> Any:
        def fault(spec: Spec) -> Response | None:
            if spec.name in ("rate_limit", "concurrency_limit"):
                return rate_limited(True, self.sim.retry_after(spec))
            if spec.name in ("server_error", "unavailable"):
                return server_error(500 if spec.name == "server_error" else 503)
            if spec.name == "auth_error":
                return _bad_key()
            if spec.name == "retired_model":
                return _not_found(model)
            # insufficient_credits: the Gemini API's 402 body is not in the reference.
            return None
        return fault

    async def _enter(self, request: Request, kind: str, model: str, job: Job | None = None,
                     prompt: object = None) -> tuple[list[Spec], Response | None]:
        denied = self._auth(request)
        if denied is not None:
            return [], denied
        try:
            return await self.sim.enter(PROVIDER, kind, request, self._faults(model),
                                        job=job, prompt=prompt)
        except SimulatorError as error:
            return [], simulator_error(error)

    async def submit(self, request: Request) -> Response:
        model = request.path_params["model"]
        try:
            body = await read_json(request)
        except ValueError:
            body = None
        prompt = _prompt(body)
        fired, early = await self._enter(request, "submit", model, prompt=prompt)
        if early is not None:
            return early
        if body is None:
            return google_error(400, "Invalid JSON payload received.")  # constructed
        if model not in MODELS:
            return _not_found(model)
        shape = validate(body, MODELS[model], gemini=True)
        if isinstance(shape, Response):
            return shape
        try:
            fate, carried = self.sim.job_fate(PROVIDER, request, prompt)
        except ValueError as error:
            return simulator_error(SimulatorError(str(error)))
        job = self.sim.store.add(_job(self.sim, shape, model, self.sim.store.alnum(12),
                                      fate_of(fate), carried))
        return json_response({"name": f"models/{model}/operations/{job.id}"}, fired=fired)

    async def operation(self, request: Request) -> Response:
        model, op = request.path_params["model"], request.path_params["op"]
        job = self.sim.store.get(PROVIDER, op)
        fired, early = await self._enter(request, "poll", model, job=job)
        if early is not None:
            return early
        name = f"models/{model}/operations/{op}"
        if job is None or job.model != model:
            return google_error(404, f"Operation {name} not found.")
        phase, _ = job.poll(self.sim.settings)
        if phase != "done":
            return json_response({"name": name}, fired=fired)  # "done" omitted while running
        result: dict[str, Any] = {"name": name, "done": True}
        if job.fate in ("job_failed", "content_policy_job"):
            result["error"] = operation_error(job.fate)
        elif job.fate == "content_policy":
            result["response"] = {"@type": RESPONSE_TYPE, "generateVideoResponse": {
                "raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [RAI_REASON]}}
        else:
            base = f"{request.url.scheme}://{request.url.netloc}/gemini/v1beta/files"
            samples = [{"video": {"uri": f"{base}/{file_id}:download?alt=media"}}
                       for file_id in job.extra["files"]]
            result["response"] = {"@type": RESPONSE_TYPE,
                                  "generateVideoResponse": {"generatedSamples": samples}}
        return json_response(result, fired=fired)

    async def download(self, request: Request) -> Response:
        file_id = request.path_params["file"]
        job = self._job_of_file(file_id)
        fired, early = await self._enter(request, "download", job.model if job else "",
                                         job=job)
        if early is not None:
            return early
        if job is None or request.query_params.get("alt") != "media":
            return google_error(404, f"File files/{file_id} not found.")  # constructed
        # The real endpoint redirects to a storage URL; clients must follow (curl -L).
        token = self.sim.store.hex(32)
        self._redirects[token] = fired
        return RedirectResponse(f"/gemini/_storage/{file_id}.mp4?token={token}",
                                status_code=302)

    async def storage(self, request: Request) -> Response:
        job = self._job_of_file(request.path_params["file"])
        fired = self._redirects.pop(request.query_params.get("token", ""), None)
        if job is None or fired is None:  # storage URLs are single-use in the simulator
            return Response(status_code=403)
        data = await job_clip(job)
        return media_response(self.sim.settings, data, "video/mp4", fired)

    def _job_of_file(self, file_id: str) -> Job | None:
        for job in self.sim.store.all(PROVIDER):
            if file_id in job.extra["files"] and job.stage(self.sim.settings)[0] == "done":
                return job
        return None


def _prompt(body: Any) -> object:
    try:
        return body["instances"][0].get("prompt")
    except (TypeError, KeyError, IndexError, AttributeError):
        return None


def _job(sim: Simulator, shape: VeoJob, model: str, job_id: str, fate: str | None,
         carried: tuple[Spec, ...]) -> Job:
    return Job(
        id=job_id, provider=PROVIDER, model=model, seconds=shape.seconds, width=shape.width,
        height=shape.height, audio=shape.audio, created=sim.settings.now(),
        created_wall=sim.settings.wall_clock(), prompt=shape.prompt, fate=fate, specs=carried,
        extra={"files": [sim.store.alnum(12) for _ in range(shape.samples)]},
    )
