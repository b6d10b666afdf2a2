"""Gemini Omni on the Interactions API, on both Google backends.

Written from docs/reference/gemini-omni.md, independently of the adapter. Served paths:
``/gemini/v1beta/interactions`` (and ``v1``, google-genai 3.6.1's default) with
``x-goog-api-key`` or ``?key=``, and ``/vertex/v1beta1/projects/{p}/locations/{l}/interactions``
with a bearer token. ``POST`` creates (``background: true`` answers ``in_progress`` at once,
otherwise the finished interaction), ``GET .../{id}`` reads it, ``POST .../{id}:cancel``-style
``.../{id}/cancel`` cancels it. The video comes back inline (base64 ``data`` in the
``model_output`` step), as the reference says a GET does; on Vertex with ``gcs_uri`` it is a
``gs://`` URI instead. Error bodies are the Interactions ``{"error": {"message"}}`` shape;
their wording is constructed.
"""
from __future__ import annotations

import base64
import re
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
from .push import callback_urls
from .scenarios import Spec

RESOLUTIONS = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080),
               "4k": (3840, 2160)}
ASPECTS = ("16:9", "9:16")
TASKS = ("text_to_video", "image_to_video", "reference_to_video", "edit", "extend", "upscale")
ALL = tuple(RESOLUTIONS)
# What each backend serves (reference §0); the preview is shut down on the Gemini API only.
MODELS: dict[str, dict[str, tuple[str, ...]]] = {
    "gemini": {"gemini-omni-1.2-flash": ALL, "gemini-omni-1.1-flash": ALL},
    "vertex": {"gemini-omni-1.2-flash": ALL, "gemini-omni-1.1-flash-preview": ALL,
               "gemini-omni-flash-preview": ("720p",)},
}
SHUT_DOWN = {"gemini": ("gemini-omni-flash-preview",), "vertex": ()}
DURATION = re.compile(r"^(\d{1,2})s$")
BLOCKED = ("The generated video was blocked by safety filters because it may violate the "
           "usage policies.")


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": {"message": message}}, status, headers)


class OmniInteractions:
    """Interactions handlers for one backend (``gemini`` or ``vertex``)."""

    def __init__(self, sim: Simulator, backend: str) -> None:
        self.sim = sim
        self.backend = backend
        self.store_key = f"omni@{backend}"

    def routes(self) -> list[Route]:
        base = ("/{version}/interactions" if self.backend == "gemini" else
                "/{version}/projects/{project}/locations/{location}/interactions")
        return [Route(base, self.create, methods=["POST"]),
                Route(base + "/{id}", self.read, methods=["GET"]),
                Route(base + "/{id}/cancel", self.cancel, methods=["POST"])]

    # -- plumbing ---------------------------------------------------------------------------
    def _key(self, request: Request) -> str | None:
        if self.backend == "vertex":
            return bearer(request)
        return request.headers.get("x-goog-api-key") or request.query_params.get("key")

    def _versions(self) -> tuple[str, ...]:
        return ("v1beta", "v1") if self.backend == "gemini" else ("v1beta1",)

    def _faults(self, spec: Spec) -> Response | None:
        if spec.name in ("rate_limit", "concurrency_limit"):
            wait = self.sim.retry_after(spec)
            return error(429, "Resource has been exhausted (e.g. check quota).",
                         {"retry-after": str(wait)})
        if spec.name in ("server_error", "unavailable"):
            status = 500 if spec.name == "server_error" else 503
            return error(status, "Internal error encountered." if status == 500
                         else "The service is currently unavailable.")
        if spec.name == "auth_error":
            return self._unauthenticated()
        if spec.name == "retired_model":
            return error(404, "The requested model is no longer available.")
        return None  # insufficient_credits: no Interactions body in the reference

    def _unauthenticated(self) -> Response:
        if self.backend == "vertex":
            return error(401, "Request had invalid authentication credentials.")
        return error(401, "API key not valid. Please pass a valid API key.")

    async def _enter(self, request: Request, kind: str, job: Job | None = None,
                     prompt: object = None) -> tuple[list[Spec], Response | None]:
        if request.path_params["version"] not in self._versions():
            return [], error(404, "Requested entity was not found.")
        if not key_ok(self.sim.settings, self.backend, self._key(request)):
            return [], self._unauthenticated()
        try:
            return await self.sim.enter(self.backend, kind, request, self._faults, job=job,
                                        prompt=prompt)
        except SimulatorError as problem:
            return [], simulator_error(problem)

    # -- handlers ---------------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        try:
            body = await read_json(request)
        except ValueError:
            body = None
        text = _text_of(body)
        fired, early = await self._enter(request, "submit", prompt=text)
        if early is not None:
            return early
        checked = self._check(body)
        if isinstance(checked, Response):
            return checked
        model, seconds, width, height, gcs = checked
        hooks = callback_urls(body.get("webhook_config", {}))
        if hooks is None:
            return error(400, "Invalid `webhook_config`: expected {uris: [http(s) URL...], "
                         "user_metadata: {...}}.")
        try:
            fate, carried = self.sim.job_fate(self.backend, request, text)
        except ValueError as problem:
            return simulator_error(SimulatorError(str(problem)))
        settings = self.sim.settings
        job = self.sim.store.add(Job(
            id="v1_" + self.sim.store.alnum(24), provider=self.store_key, model=model,
            seconds=seconds, width=width, height=height, audio=True, created=settings.now(),
            created_wall=settings.wall_clock(), prompt=text, fate=fate_of(fate), specs=carried,
            extra={"input": body.get("input"), "gcs": gcs}))
        if body.get("background") is True:
            if self.backend == "gemini":  # Vertex: not known to push (polling only)
                for uri in hooks:
                    self.sim.pusher.schedule(job, uri, lambda: _event(job))
            return json_response(_head(job, "in_progress"), fired=fired)
        job.polls = 10**6  # a synchronous call returns the finished interaction
        return json_response(await self._finished(job), fired=fired)

    async def read(self, request: Request) -> Response:
        job = self.sim.store.get(self.store_key, request.path_params["id"])
        fired, early = await self._enter(request, "poll", job=job)
        if early is not None:
            return early
        if job is None:
            return error(404, f"Interaction {request.path_params['id']} not found.")
        if job.cancelled:
            return json_response(_head(job, "cancelled"), fired=fired)
        phase, _ = job.poll(self.sim.settings)
        if phase != "done":
            return json_response(_head(job, "in_progress"), fired=fired)
        return json_response(await self._finished(job), fired=fired)

    async def cancel(self, request: Request) -> Response:
        job = self.sim.store.get(self.store_key, request.path_params["id"])
        fired, early = await self._enter(request, "delete", job=job)
        if early is not None:
            return early
        if job is None:
            return error(404, f"Interaction {request.path_params['id']} not found.")
        job.cancelled = True
        return json_response(_head(job, "cancelled"), fired=fired)

    # -- the request and the result ---------------------------------------------------------
    def _check(self, body: Any) -> tuple[str, int, int, int, str | None] | Response:
        if not isinstance(body, dict):
            return error(400, "Invalid JSON payload received.")
        model = body.get("model")
        served = MODELS[self.backend]
        if model in SHUT_DOWN[self.backend]:
            return error(404, f"models/{model} is no longer available.")
        if not isinstance(model, str) or model not in served:
            return error(404, f"models/{model} is not found or does not support interactions.")
        if not _valid_input(body.get("input")):
            return error(400, "`input` must be a string or a list of content blocks.")
        task = ((body.get("generation_config") or {}).get("video_config") or {}).get("task")
        if task is not None and task not in TASKS:
            return error(400, f"Invalid value for `task`: {task!r}.")
        formats = body.get("response_format") or {}
        video = next((f for f in (formats if isinstance(formats, list) else [formats])
                      if isinstance(f, dict) and f.get("type", "video") == "video"), {})
        aspect = video.get("aspect_ratio", "16:9")
        resolution = video.get("resolution", "720p")
        if aspect not in ASPECTS:
            return error(400, f"Unsupported `aspect_ratio`: {aspect!r}.")
        if resolution not in served[model]:
            return error(400, f"Unsupported `resolution` for {model}: {resolution!r}.")
        found = DURATION.match(str(video.get("duration", "8s")))
        if found is None or not 3 <= int(found[1]) <= 10:
            return error(400, "`duration` must be a whole number of seconds from 3s to 10s.")
        gcs = video.get("gcs_uri")
        if gcs is not None and (self.backend != "vertex" or not str(gcs).startswith("gs://")):
            return error(400, "`gcs_uri` must be a Cloud Storage URI, on Vertex only.")
        width, height = RESOLUTIONS[resolution]
        if aspect == "9:16":
            width, height = height, width
        return model, int(found[1]), width, height, gcs

    async def _finished(self, job: Job) -> dict[str, Any]:
        head = _head(job, "completed")
        user = {"type": "user_input", "content": _content_of(job.extra["input"])}
        thought = {"type": "thought",
                   "summary": [{"type": "text", "text": "Planning the shot."}]}
        if job.fate in ("content_policy", "content_policy_job"):
            return {**head, "status": "failed", "errors": [{"message": BLOCKED}]}
        if job.fate == "job_failed":
            return {**head, "status": "failed", "errors": [
                {"message": "Video generation failed due to an internal error."}]}
        if job.extra["gcs"]:
            video = {"type": "video", "mime_type": "video/mp4",
                     "uri": f"{str(job.extra['gcs']).rstrip('/')}/{job.id}.mp4"}
        else:
            data = await job_clip(job)
            video = {"type": "video", "mime_type": "video/mp4",
                     "data": base64.b64encode(data).decode("ascii")}
        return {**head, "steps": [user, thought, {"type": "model_output", "content": [video]}],
                "usage": {"output_tokens_by_modality": [
                    {"modality": "video", "tokens": int(job.seconds) * 5792}]}}


def _event(job: Job) -> dict[str, Any]:
    """Our reading of a Gemini API webhook event (its body is not in the sources read)."""
    ended = "interaction.completed" if job.fate is None else "interaction.failed"
    return {"type": ended, "data": {"id": job.id}}


def _head(job: Job, status: str) -> dict[str, Any]:
    return {"id": job.id, "status": status, "object": "interaction", "model": job.model}


def _valid_input(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, dict) and isinstance(item.get("type"), str) for item in value)


def _content_of(value: Any) -> list[dict[str, Any]]:
    """The user's content blocks, unwrapping ``user_input`` steps (the SDK sends those)."""
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    if not isinstance(value, list):
        return []
    blocks: list[dict[str, Any]] = []
    for item in value:
        if isinstance(item, dict) and item.get("type") == "user_input":
            blocks += [c for c in item.get("content") or () if isinstance(c, dict)]
        elif isinstance(item, dict):
            blocks.append(item)
    return blocks


def _text_of(body: Any) -> str | None:
    """The prompt text (scenario markers ride in it)."""
    if not isinstance(body, dict):
        return None
    texts = [block.get("text") for block in _content_of(body.get("input"))
             if block.get("type") == "text"]
    return " ".join(str(text) for text in texts if text) or None
