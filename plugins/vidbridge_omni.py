"""Gemini Omni adapter: video generation on the Interactions API, Gemini API and Vertex AI.

Wire format from docs/reference/gemini-omni.md (google-genai 3.6.1 interaction types, the
Gemini API Omni guide, the Vertex Omni pages). One provider named ``omni``; the backend is
``creds.options["backend"]``: ``gemini`` (default, API key) or ``vertex`` (OAuth, with
``project``; ``location`` defaults to ``global``, the only region the Omni pages list).
A job is a background interaction (``background: true``), polled with GET until it is
``completed``; the video is the ``model_output`` step's video block: inline base64 (the
default, and what a GET returns on the Gemini API), a Files API URI, or a ``gs://`` URI.
Capability data lives in ``vidbridge_omni_models``; the error mapping in
``vidbridge_omni_errors``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import quote

import httpx

import vidbridge_omni_errors as wire_errors
from vidbridge import CapabilityError, ConfigError, Credentials, Job, Plan, errors, hookimpl, wire
from vidbridge.models import ImageInput
from vidbridge_omni_models import (
    BACKENDS,
    DELIVERY,
    GEMINI,
    MODELS,
    RESPONSE_FORMAT_EXTRA,
    SERVED_BY,
    TOP_LEVEL_EXTRA,
    VERTEX,
)

GEMINI_BASE = "https://generativelanguage.googleapis.com"
# The Omni guide's REST samples use v1beta; google-genai 3.6.1 sends v1 (an option picks it).
GEMINI_VERSION = "v1beta"
VERTEX_VERSION = "v1beta1"  # the Vertex Omni pages and google-genai 3.6.1 alike
VERTEX_LOCATION = "global"
GCS_MEDIA = "https://storage.googleapis.com/storage/v1/b/{bucket}/o/{object}?alt=media"
_FILE_ID = re.compile(r"/files/([A-Za-z0-9_-]+)")
# InteractionStatus values (SDK 3.6.1) that mean "not finished yet".
PENDING = {"queued": "queued", "in_progress": "running", "requires_continuation": "running",
           "idle": "running"}


class Omni:
    """Sans-IO adapter for Gemini Omni video models on the Interactions API."""

    name = "omni"
    models = MODELS
    credential_env = {"api_key": "GEMINI_API_KEY"}
    # Google's Omni notebook polls every 10 s; a 10 s clip took ~24 s in a public report.
    poll_interval = 10.0

    # -- credentials and backend -------------------------------------------------------------
    def backend(self, creds: Credentials) -> str:
        return creds.options.get("backend", GEMINI)

    def check_credentials(self, creds: Credentials) -> None:
        backend = self.backend(creds)
        if backend not in BACKENDS:
            raise ConfigError(f"omni: backend must be one of {', '.join(BACKENDS)}, not "
                              f"{backend!r}")
        if backend == VERTEX and not creds.options.get("project"):
            raise ConfigError(f"omni: the vertex backend needs project in the options of "
                              f"credential {creds.name!r}")
        if backend == VERTEX:
            wire.check_region(creds.options, self.name, creds.name)
        if creds.api_key is None and creds.token is None:
            what = "an OAuth token (token or api_key)" if backend == VERTEX else "an API key"
            raise ConfigError(f"omni: credential {creds.name!r} has no {what} for {backend}")

    def _base(self, creds: Credentials, backend: str, project: str | None = None,
              location: str | None = None) -> str:
        if backend == GEMINI:
            version = creds.options.get("api_version", GEMINI_VERSION)
            return f"{creds.url(GEMINI_BASE)}/{version}"
        project = project or creds.options["project"]
        location = location or creds.options.get("location", VERTEX_LOCATION)
        host = ("https://aiplatform.googleapis.com" if location == "global"
                else f"https://{wire.host_label(location)}-aiplatform.googleapis.com")
        return f"{creds.url(host)}/{VERTEX_VERSION}/projects/{project}/locations/{location}"

    def _headers(self, creds: Credentials, backend: str) -> dict[str, str]:
        if backend == VERTEX:
            return {"Authorization": f"Bearer {creds.bearer()}"}
        return {"x-goog-api-key": creds.bearer()}

    # -- submit ------------------------------------------------------------------------------
    def build_submit(self, plan: Plan, creds: Credentials) -> httpx.Request:
        backend = self.backend(creds)
        # A config row (``like = ...``) sends its own id but is served like its base row.
        served = SERVED_BY.get(plan.table_model, ())
        if backend not in served:
            raise errors.ModelUnavailableError(
                f"omni: {plan.model} is served by {' and '.join(served) or 'no backend'}, "
                f"not by the configured {backend} backend", provider=self.name)
        allowed = RESPONSE_FORMAT_EXTRA[backend] | TOP_LEVEL_EXTRA
        errors.refuse_unknown_extra(plan.extra, allowed, provider=self.name,
                                    model=f"omni:{plan.model} ({backend})")
        response_format: dict[str, Any] = {
            "type": "video", "aspect_ratio": plan.aspect_ratio, "resolution": plan.resolution,
            "duration": f"{plan.duration}s"}
        for key in RESPONSE_FORMAT_EXTRA[backend] & set(plan.extra):
            response_format[key] = plan.extra[key]
        if response_format.get("delivery", "inline") not in DELIVERY:
            raise errors.InvalidRequestError(
                f"omni: delivery must be one of {', '.join(DELIVERY)}, not "
                f"{response_format['delivery']!r}", provider=self.name, param="delivery")
        if "gcs_uri" in response_format:
            response_format.setdefault("delivery", "uri")  # "required ... if delivery is uri"
        body: dict[str, Any] = {
            "model": plan.model, "input": self._input(plan),
            "generation_config": {"video_config": {"task": _task(plan)}},
            # The Vertex pages send a list of formats, the Gemini API guide one object; the
            # SDK type takes either.
            "response_format": [response_format] if backend == VERTEX else response_format,
            "background": True}
        for key in TOP_LEVEL_EXTRA & set(plan.extra):
            body[key] = plan.extra[key]
        if plan.callback_url is not None and backend == GEMINI and "webhook_config" not in body:
            # Per-request webhook URIs "used instead of the registered webhooks" (SDK type
            # WebhookConfig). Vertex: not sent (its support is unverified; polling only).
            body["webhook_config"] = {"uris": [plan.callback_url]}
        return httpx.Request("POST", wire.endpoint(f"{self._base(creds, backend)}/interactions"),
                             json=body,
                             headers=self._headers(creds, backend))

    def _input(self, plan: Plan) -> str | list[dict[str, str]]:
        images = [image for image in (plan.image, plan.last_frame) if image is not None]
        images += list(plan.reference_images)
        if not images:
            return plan.prompt  # the guide's text-to-video input is a plain string
        # Text first, then the frames in order: the first image opens the video and a second
        # one closes it (interpolation), as in Google's Omni notebook.
        blocks = [{"type": "text", "text": plan.prompt}] if plan.prompt else []
        field = "reference_images" if plan.reference_images else "image"
        return blocks + [_image(image, field) for image in images]

    def parse_submit(self, response: httpx.Response, plan: Plan | None = None) -> Job:
        wire_errors.raise_for(response, during="submit")
        interaction = errors.response_json(response)
        if not isinstance(interaction, dict) or not interaction.get("id"):
            raise errors.ProviderUnavailableError(
                f"omni answered HTTP {response.status_code} without an interaction id",
                provider=self.name, status=response.status_code)
        job = self._job(interaction)
        return job.model_copy(update={"model": plan.model}) if plan is not None else job

    # -- poll --------------------------------------------------------------------------------
    def build_poll(self, job: Job, creds: Credentials) -> httpx.Request:
        backend = job.backend or self.backend(creds)  # the create call's backend, always
        base = self._base(creds, backend, job.meta.get("project"), job.meta.get("location"))
        return httpx.Request("GET", f"{base}/interactions/{wire.segment(job.id)}",
                             headers=self._headers(creds, backend))

    def parse_job(self, response: httpx.Response, previous: Job | None = None) -> Job:
        wire_errors.raise_for(response, during="job")
        interaction = errors.response_json(response)
        if not isinstance(interaction, dict) or not interaction.get("status"):
            raise errors.ProviderUnavailableError("omni answered a poll without an interaction",
                                                  provider=self.name,
                                                  status=response.status_code)
        job = self._job(interaction, previous)
        if previous is not None:
            job = job.model_copy(update={"model": previous.model or job.model,
                                         "backend": previous.backend,
                                         "credential": previous.credential,
                                         "meta": {**previous.meta, **job.meta}})
        return job

    def _job(self, interaction: dict[str, Any], previous: Job | None = None) -> Job:
        job_id = str(interaction.get("id") or (previous.id if previous else ""))
        model = str(interaction.get("model") or "")
        status = str(interaction.get("status") or "")
        base = {"provider": self.name, "model": model, "id": job_id}
        if status in PENDING:
            return Job(**base, status=PENDING[status])
        if status == "cancelled":
            return Job(**base, status="cancelled")
        if status == "completed":
            video = wire_errors.video_of(interaction)
            if video is not None:
                return self._succeeded(base, video)
            # Completed without a video block: a public report shows exactly this; the job
            # cannot be downloaded, so it ends failed rather than polling forever.
            return Job(**base, status="failed",
                       error_message="the interaction completed without a video")
        if status in wire_errors.FAILED:
            code, message, kind = wire_errors.failure(interaction)
            return Job(**base, status="failed", error_code=code, error_message=message,
                       meta={"failure": kind} if kind else {})
        raise errors.ProviderError(f"omni: unknown interaction status {status[:40]!r}",
                                   provider=self.name, status=200)

    def _succeeded(self, base: dict[str, str], video: dict[str, Any]) -> Job:
        data, uri = video.get("data"), video.get("uri")
        if data:
            try:
                inline = base64.b64decode(str(data), validate=True)
            except (binascii.Error, ValueError) as bad:
                raise errors.ProviderError("omni returned video data that is not base64",
                                           provider=self.name) from bad
            return Job(**base, status="succeeded", progress=100, output_inline=inline)
        return Job(**base, status="succeeded", progress=100, output_url=str(uri))

    # -- download ----------------------------------------------------------------------------
    def build_download(self, job: Job, creds: Credentials,
                       variant: str = "video") -> httpx.Request | None:
        if variant != "video":
            raise ValueError(f"omni has only the 'video' variant, not {variant!r}")
        if job.output_url is None:
            return None  # inline bytes (Job.output_inline)
        backend = job.backend or self.backend(creds)
        if job.output_url.startswith("gs://"):
            bucket, _, path = job.output_url.removeprefix("gs://").partition("/")
            url = GCS_MEDIA.format(bucket=bucket, object=quote(path, safe=""))
            return httpx.Request("GET", url, headers=self._headers(creds, VERTEX))
        found = _FILE_ID.search(job.output_url)
        if backend == GEMINI and found:
            # The key goes only to our own base URL, never to a host a response names.
            url = f"{self._base(creds, GEMINI)}/files/{found[1]}:download"
            return httpx.Request("GET", url, params={"alt": "media"},
                                 headers=self._headers(creds, GEMINI))
        raise errors.ProviderError(f"omni: cannot download {job.output_url[:80]!r} with the "
                                   f"{backend} backend", provider=self.name)

    def build_cancel(self, job: Job, creds: Credentials) -> httpx.Request | None:
        backend = job.backend or self.backend(creds)
        base = self._base(creds, backend, job.meta.get("project"), job.meta.get("location"))
        return httpx.Request("POST", f"{base}/interactions/{wire.segment(job.id)}/cancel",
                             headers=self._headers(creds, backend))

    def is_provider_error(self, response: httpx.Response) -> bool:
        return wire_errors.is_google_error(response)

    def raise_for_error(self, response: httpx.Response) -> None:
        wire_errors.raise_for(response, during="job")


def _task(plan: Plan) -> str:
    """``generation_config.video_config.task`` for the plan's inputs (VideoConfig.Task)."""
    if plan.reference_images and plan.image is not None:
        # The task enum has no value for a first frame plus references; Omni would have to
        # guess from the prompt, so the combination is refused rather than sent ambiguous.
        raise CapabilityError(f"omni:{plan.model} takes a first frame or reference images, "
                              "not both in one request", field="reference_images",
                              allowed=[], model=f"omni:{plan.model}")
    if plan.reference_images:
        return "reference_to_video"
    return "image_to_video" if plan.image is not None else "text_to_video"


def _image(image: ImageInput, field: str) -> dict[str, str]:
    if image.data is None:
        # Omni takes Files API or gs:// URIs, which ImageInput (http URLs) cannot hold.
        raise CapabilityError("omni takes input images as bytes, not URLs", field=field,
                              allowed=["image bytes"])
    return {"type": "image", "mime_type": str(image.mime_type), "data": image.base64()}


@hookimpl
def video_providers() -> list[Omni]:
    return [Omni()]
