"""Vertex AI Veo (``predictLongRunning`` + ``fetchPredictOperation``), mounted at ``/vertex``.

Both ``/vertex/v1/projects/...`` (REST docs) and ``/vertex/v1beta1/projects/...``
(google-genai's default) are served. google-genai in Vertex mode with
``HttpOptions(base_url="http://127.0.0.1:PORT/vertex/")`` plus a project and location
builds exactly ``/vertex/v1beta1/projects/{p}/locations/{l}/publishers/google/models/...``.
Videos come back inline as base64 unless ``storageUri`` is given.
"""
from __future__ import annotations

import base64
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
    read_json,
    simulator_error,
)
from .jobs import Job
from .media import job_clip
from .scenarios import Spec
from .veo import (
    RAI_REASON,
    VeoModel,
    google_error,
    operation_error,
    rate_limited,
    server_error,
    validate,
)

PROVIDER = "vertex"
MODELS = {
    # 4k on Vertex is unverified (reference §1b); accepting it rejects nothing real.
    "veo-3.1-generate-001": VeoModel(("720p", "1080p", "4k"), max_samples=4),
    "veo-3.1-fast-generate-001": VeoModel(("720p", "1080p", "4k"), max_samples=4),
    "veo-3.1-lite-generate-001": VeoModel(("720p", "1080p"), max_samples=4),
}
# Retired 2026-06-30, and the preview endpoints removed 2026-04-02 (their ids unverified).
RETIRED = (
    "veo-2.0-generate-001", "veo-3.0-generate-001", "veo-3.0-fast-generate-001",
    "veo-3.0-generate-preview", "veo-3.0-fast-generate-preview",
    "veo-3.1-generate-preview", "veo-3.1-fast-generate-preview",
)
RESPONSE_TYPE = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
MODEL_PATH = "/{version}/projects/{project}/locations/{location}/publishers/google/models/{model}"
VERSIONS = ("v1", "v1beta1")


def _resource(params: dict[str, Any]) -> str:
    return (f"projects/{params['project']}/locations/{params['location']}/publishers/google/"
            f"models/{params['model']}")


def _missing_model(resource: str, model: str) -> Response:
    if model in RETIRED:
        return google_error(404, f"Publisher Model `{resource}` is no longer available.")
    # Unknown ids: Vertex's usual wording for a publisher model it does not have.
    return google_error(404, f"Publisher Model `{resource}` was not found or your project "
                        "does not have access to it.")


def _unauthenticated() -> Response:
    return google_error(401, "Request had invalid authentication credentials. Expected OAuth 2 "
                        "access token, login cookie or other valid authentication credential.",
                        [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                          "reason": "ACCESS_TOKEN_EXPIRED", "domain": "googleapis.com",
                          "metadata": {"service": "aiplatform.googleapis.com", "method":
                                       "google.cloud.aiplatform.v1.PredictionService."
                                       "PredictLongRunning"}}])


class VertexVeo:
    """Handlers for ``/vertex/{v1,v1beta1}/projects/...``."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def routes(self) -> list[Route]:
        return [
            Route(MODEL_PATH + ":predictLongRunning", self.submit, methods=["POST"]),
            Route(MODEL_PATH + ":fetchPredictOperation", self.fetch, methods=["POST"]),
        ]

    def _faults(self, resource: str, model: str) -> Any:
        def fault(spec: Spec) -> Response | None:
            if spec.name in ("rate_limit", "concurrency_limit"):
                return rate_limited(False, self.sim.retry_after(spec))
            if spec.name in ("server_error", "unavailable"):
                return server_error(500 if spec.name == "server_error" else 503)
            if spec.name == "auth_error":
                return _unauthenticated()
            if spec.name == "retired_model":
                return google_error(404, f"Publisher Model `{resource}` is no longer "
                                    "available.")
            return None  # insufficient_credits: no Vertex body in the reference
        return fault

    async def _enter(self, request: Request, kind: str, job: Job | None = None,
                     prompt: object = None) -> tuple[list[Spec], Response | None]:
        if request.path_params["version"] not in VERSIONS:
            return [], google_error(404, "Requested entity was not found.")  # constructed
        # Vertex takes an OAuth access token; any non-empty one passes unless require_key.
        if not key_ok(self.sim.settings, PROVIDER, bearer(request)):
            return [], _unauthenticated()
        resource = _resource(request.path_params)
        try:
            return await self.sim.enter(PROVIDER, kind, request,
                                        self._faults(resource, request.path_params["model"]),
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
        fired, early = await self._enter(request, "submit", prompt=prompt)
        if early is not None:
            return early
        if body is None:
            return google_error(400, "Invalid JSON payload received.")  # constructed
        resource = _resource(request.path_params)
        if model not in MODELS:
            return _missing_model(resource, model)
        shape = validate(body, MODELS[model], gemini=False)
        if isinstance(shape, Response):
            return shape
        storage = (body.get("parameters") or {}).get("storageUri")
        if storage is not None and not (isinstance(storage, str) and storage.startswith("gs://")):
            return google_error(400, "`storageUri` must be a Cloud Storage URI (gs://...).")
        try:
            fate, carried = self.sim.job_fate(PROVIDER, request, prompt)
        except ValueError as error:
            return simulator_error(SimulatorError(str(error)))
        settings = self.sim.settings
        job = self.sim.store.add(Job(
            id=self.sim.store.uuid(), provider=PROVIDER, model=model, seconds=shape.seconds,
            width=shape.width, height=shape.height, audio=shape.audio, created=settings.now(),
            created_wall=settings.wall_clock(), prompt=shape.prompt, fate=fate_of(fate),
            specs=carried, extra={"resource": resource, "storage": storage,
                                  "samples": shape.samples},
        ))
        return json_response({"name": f"{resource}/operations/{job.id}"}, fired=fired)

    async def fetch(self, request: Request) -> Response:
        try:
            body = await read_json(request)
        except ValueError:
            body = None
        name = body.get("operationName") if isinstance(body, dict) else None
        resource = _resource(request.path_params)
        job = None
        if isinstance(name, str) and name.startswith(resource + "/operations/"):
            job = self.sim.store.get(PROVIDER, name.rsplit("/", 1)[-1])
        fired, early = await self._enter(request, "poll", job=job)
        if early is not None:
            return early
        if not isinstance(name, str):
            return google_error(400, "`operationName` is required.")  # constructed
        if job is None:
            return google_error(404, f"Operation {name} not found.")
        phase, _ = job.poll(self.sim.settings)
        if phase != "done":
            return json_response({"name": name}, fired=fired)
        result: dict[str, Any] = {"name": name, "done": True}
        if job.fate in ("job_failed", "content_policy_job"):
            result["error"] = operation_error(job.fate)
        elif job.fate == "content_policy":
            result["response"] = {"@type": RESPONSE_TYPE, "raiMediaFilteredCount": 1,
                                  "raiMediaFilteredReasons": [RAI_REASON], "videos": []}
        else:
            result["response"] = {"@type": RESPONSE_TYPE, **await self._videos(job)}
        return json_response(result, fired=fired)

    @staticmethod
    async def _videos(job: Job) -> dict[str, Any]:
        samples = range(job.extra["samples"])
        storage = job.extra["storage"]
        if storage:
            # Object layout under the prefix is unverified; this follows the reference's sample.
            prefix = storage.rstrip("/")
            return {"raiMediaFilteredCount": 0, "videos": [
                {"gcsUri": f"{prefix}/{job.id}/sample_{index}.mp4", "mimeType": "video/mp4"}
                for index in samples]}
        data = base64.b64encode(await job_clip(job))
        return {"videos": [{"bytesBase64Encoded": data.decode("ascii"), "mimeType": "video/mp4"}
                           for _ in samples]}


def _prompt(body: Any) -> object:
    try:
        return body["instances"][0].get("prompt")
    except (TypeError, KeyError, IndexError, AttributeError):
        return None
