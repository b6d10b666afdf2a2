"""Sora 2 adapter: the OpenAI Videos API (``sora-2``, ``sora-2-pro`` and their snapshots).

Wire format from shared/reference/openai-sora.md (openai SDK 3.57.0). OpenAI shut the API down
on 2026-09-24 with no named successor: every model carries that date, so normalisation warns
and routing skips Sora unless a config opts in. Text requests go out as JSON (the API
reference's form); an uploaded first frame goes out as multipart, the SDK's form.

Beyond the protocol, ``build_remix``, ``build_edit``, ``build_extend`` and ``build_delete``
are pure builders for the compat layer; ``parse_submit`` parses what the first three return.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

import vidbridge_sora_wire as shapes
from vidbridge import (
    CapabilityError,
    ConfigError,
    Credentials,
    ImageLimits,
    Job,
    Lifecycle,
    ModelCapabilities,
    Plan,
    Price,
    errors,
    hookimpl,
    wire,
)
from vidbridge.models import JobStatus

BASE_URL = "https://api.openai.com/v1"
SHUTDOWN = Lifecycle(
    deprecated_on=date(2026, 3, 24), retired_on=date(2026, 9, 24),
    note="OpenAI shut the Sora API down; no successor was named")
# seconds "16"/"20" and the 1080p pro sizes came on 2026-03-12 (docs), after the SDK's
# literals were frozen; the reference says to treat the SDK sets as the minimum.
DURATIONS = (4, 8, 12, 16, 20)
EXTEND_SECONDS = DURATIONS
VARIANTS = ("video", "thumbnail", "spritesheet")
# After a create without an answer: look for a matching video this recent, among this many.
LOOKUP_WINDOW_S = 600
LOOKUP_LIMIT = 20
SORA2_SIZES = {"16:9": {"720p": "1280x720"}, "9:16": {"720p": "720x1280"}}
PRO_SIZES = {"16:9": {"720p": "1280x720", "1024p": "1792x1024", "1080p": "1920x1080"},
             "9:16": {"720p": "720x1280", "1024p": "1024x1792", "1080p": "1080x1920"}}
# The image "should match the requested size" (reference §1): checked before upload.
IMAGES = ImageLimits(mime_types=("image/jpeg", "image/png", "image/webp"),
                     must_match_size=True)
PRICE_SOURCE = "openai-sora.md §9 (model page; 1080p pro price unverified, so left out)"
COMMON: dict[str, Any] = dict(
    durations=DURATIONS, default_duration=4, default_aspect_ratio="9:16",
    default_resolution="720p", audio="always", supports_image=True, max_prompt_length=32000,
    image_limits=IMAGES, lifecycle=SHUTDOWN,
    # POST /videos/extensions (reference §3.8): retired with the rest of the API, so never
    # routed, but a base URL that still serves Sora (allow_retired) extends through it.
    supports_extend=True, extend_durations=EXTEND_SECONDS)
SORA2 = ModelCapabilities(**COMMON, sizes=SORA2_SIZES, label="Sora 2",
                          price=Price(per_second={"720p": 0.10}, source=PRICE_SOURCE))
PRO = ModelCapabilities(**COMMON, sizes=PRO_SIZES, label="Sora 2 Pro",
                        price=Price(per_second={"720p": 0.30, "1024p": 0.50},
                                    source=PRICE_SOURCE))
MODELS: dict[str, ModelCapabilities] = {
    "sora-2": SORA2, "sora-2-2025-10-06": SORA2, "sora-2-2025-12-08": SORA2,
    "sora-2-pro": PRO, "sora-2-pro-2025-10-06": PRO,
}
# An unknown wire status is a typed error naming it: a new value must be read, not guessed.
STATUS: dict[str, JobStatus] = {"queued": "queued", "in_progress": "running",
                                "completed": "succeeded", "failed": "failed"}
# Job-level error codes are not enumerated anywhere; only this one is known to be moderation.
# Any other code is a generic failure, transient only when the error carries a retry hint.
POLICY_CODES = frozenset({"moderation_blocked"})
_COMMON_ERRORS: dict[int | str, type[errors.ProviderError]] = {
    400: errors.InvalidRequestError, 401: errors.AuthenticationError,
    403: errors.AuthenticationError, 409: errors.ProviderUnavailableError,
    422: errors.InvalidRequestError, 429: errors.RateLimitError,
    "invalid_api_key": errors.AuthenticationError,
    "insufficient_quota": errors.InsufficientCreditsError,  # a 429 that waiting won't cure
    "moderation_blocked": errors.ContentPolicyError,
    "model_not_found": errors.ModelUnavailableError,
}
# A 404 at submit means the model (or, after the shutdown, the whole endpoint) is gone; on a
# job it means that video is unknown or expired: the job can no longer finish.
SUBMIT_ERRORS = {**_COMMON_ERRORS, 404: errors.ModelUnavailableError}
JOB_ERRORS = {**_COMMON_ERRORS, 404: errors.JobFailedError}


class Sora:
    """Sans-IO adapter for the OpenAI Videos API."""

    name = "sora"
    models = MODELS
    credential_env = {"api_key": "OPENAI_API_KEY"}
    # OpenAI's guidance for production: every 10-20 s; the openai-poll-after-ms hint wins.
    poll_interval = 10.0
    clock: Callable[[], float] = staticmethod(time.time)  # wall time, for the lookup window

    def check_credentials(self, creds: Credentials) -> None:
        if creds.api_key is None and creds.token is None:
            raise ConfigError(f"sora: credential {creds.name!r} has no API key "
                              "(set OPENAI_API_KEY)")

    def backend(self, creds: Credentials) -> str:
        return ""

    # -- create ----------------------------------------------------------------------------------
    def build_submit(self, plan: Plan, creds: Credentials) -> httpx.Request:
        if plan.extend is not None:  # VideoRequest.extend: Sora's video id is its job id
            source = plan.extend.job_id or plan.extend.video_id
            if not source:
                raise CapabilityError(f"sora:{plan.model}: extending needs the Sora video id",
                                      field="extend", allowed=["a Sora job"],
                                      model=f"sora:{plan.model}")
            return self.build_extend(source, plan.prompt, plan.duration, creds)
        fields = {"prompt": plan.prompt, "model": plan.model, "seconds": str(plan.duration),
                  "size": plan.size}
        errors.refuse_unknown_extra(plan.extra, ("characters",), provider=self.name,
                                    model=f"sora:{plan.model}")
        characters = plan.extra.get("characters")  # [3P/UNVERIFIED]: [{"id": "char_..."}]
        image, url = plan.image, wire.endpoint(f"{creds.url(BASE_URL)}/videos")
        if image is not None and image.data is not None:
            if characters is not None:
                raise errors.InvalidRequestError(
                    "sora: 'characters' cannot go with an uploaded image (multipart)",
                    provider=self.name, param="characters")
            if image.size is not None and "x".join(map(str, image.size)) != plan.size:
                raise CapabilityError(
                    f"sora:{plan.model}: the input image is {image.size[0]}x{image.size[1]} "
                    f"but the video is {plan.size}; they must match", field="image",
                    allowed=[plan.size], model=f"sora:{plan.model}")
            suffix = (image.mime_type or "image/png").split("/")[1]
            files = {"input_reference": (f"input_reference.{suffix}", image.data,
                                         image.mime_type)}
            return httpx.Request("POST", url, data=fields, files=files,
                                 headers=_headers(creds))
        body: dict[str, Any] = dict(fields)
        if image is not None:
            body["input_reference"] = {"image_url": image.url}
        if characters is not None:
            body["characters"] = characters
        return httpx.Request("POST", url, json=body, headers=_headers(creds))

    def build_remix(self, video: Job | str, prompt: str, creds: Credentials) -> httpx.Request:
        """A new job remixing a completed video: only the prompt changes."""
        return httpx.Request("POST", f"{creds.url(BASE_URL)}/videos/{_video_id(video)}/remix",
                             json={"prompt": prompt}, headers=_headers(creds))

    def build_edit(self, video: Job | str, prompt: str, creds: Credentials) -> httpx.Request:
        """A new job editing a completed video (JSON id form; the SDK can only upload)."""
        body = {"video": {"id": _video_id(video)}, "prompt": prompt}
        return httpx.Request("POST", f"{creds.url(BASE_URL)}/videos/edits", json=body,
                             headers=_headers(creds))

    def build_extend(self, video: Job | str, prompt: str, seconds: int,
                     creds: Credentials) -> httpx.Request:
        """A new job extending a completed video by ``seconds``; its total is stitched."""
        if seconds not in EXTEND_SECONDS:
            raise CapabilityError(f"sora: an extension of {seconds} s is not accepted",
                                  field="seconds", allowed=EXTEND_SECONDS)
        body = {"video": {"id": _video_id(video)}, "prompt": prompt, "seconds": str(seconds)}
        return httpx.Request("POST", f"{creds.url(BASE_URL)}/videos/extensions", json=body,
                             headers=_headers(creds))

    def build_delete(self, video: Job | str, creds: Credentials) -> httpx.Request:
        """Delete a completed or failed video and its stored assets."""
        return httpx.Request("DELETE", f"{creds.url(BASE_URL)}/videos/{_video_id(video)}",
                             headers=_headers(creds))

    def is_provider_error(self, response: httpx.Response) -> bool:
        return _openai_error(response)

    def parse_submit(self, response: httpx.Response, plan: Plan | None = None) -> Job:
        _raise(response, SUBMIT_ERRORS)
        return self._job(response, submit=True)

    # -- follow-up -------------------------------------------------------------------------------
    def build_poll(self, job: Job, creds: Credentials) -> httpx.Request:
        return httpx.Request("GET", f"{creds.url(BASE_URL)}/videos/{wire.segment(job.id)}",
                             headers=_headers(creds))

    def parse_job(self, response: httpx.Response, previous: Job | None = None) -> Job:
        _raise(response, JOB_ERRORS)
        job = self._job(response)
        if previous is not None:
            job = job.model_copy(update={
                "model": previous.model or job.model, "backend": previous.backend,
                "credential": previous.credential})
        return job

    def build_download(self, job: Job, creds: Credentials,
                       variant: str = "video") -> httpx.Request | None:
        if variant not in VARIANTS:
            raise ValueError(f"sora variants are {', '.join(VARIANTS)}, not {variant!r}")
        # The SDK sends no query for the default variant; the API's default is "video".
        params = {} if variant == "video" else {"variant": variant}
        url = f"{creds.url(BASE_URL)}/videos/{wire.segment(job.id)}/content"
        return httpx.Request("GET", url, params=params,
                             headers=_headers(creds, "application/binary"))

    def build_cancel(self, job: Job, creds: Credentials) -> httpx.Request | None:
        return None  # the Videos API has no cancel; DELETE is only for finished videos

    # -- finding a job whose create answer was lost ----------------------------------------------
    def build_lookup(self, plan: Plan, creds: Credentials) -> httpx.Request:
        """The newest videos (list, §3.3), to find a create that may have been accepted."""
        return httpx.Request("GET", f"{creds.url(BASE_URL)}/videos",
                             params={"limit": LOOKUP_LIMIT, "order": "desc"},
                             headers=_headers(creds))

    def parse_lookup(self, response: httpx.Response, plan: Plan) -> list[Job]:
        """Every recent video matching the plan's model, prompt, seconds and size. The API
        has no idempotency key, so a match is evidence, not proof: the caller adopts one only
        when exactly one unowned match was created after its intent was written."""
        _raise(response, JOB_ERRORS)
        page = wire.parse_as(response, shapes.VideoList, provider=self.name,
                             expected="a list of Video objects")
        since = self.clock() - LOOKUP_WINDOW_S
        return [self._from_video(response, video) for video in page.data
                if video.model == plan.model and video.prompt == plan.prompt
                and video.seconds == str(plan.duration) and video.size == plan.size
                and (video.created_at or 0) >= since]

    def raise_for_error(self, response: httpx.Response) -> None:
        _raise(response, JOB_ERRORS)

    # -- parsing ---------------------------------------------------------------------------------
    def _job(self, response: httpx.Response, submit: bool = False) -> Job:
        video = wire.parse_as(response, shapes.Video, provider=self.name,
                              expected="a Video object", submit=submit)
        return self._from_video(response, video)

    def _from_video(self, response: httpx.Response, video: shapes.Video) -> Job:
        if video.status not in STATUS:
            raise wire.unknown_status(response, video.status, STATUS, provider=self.name)
        status = STATUS[video.status]
        failure = video.error or shapes.VideoError()
        meta = {key: str(value) for key in ("size", "seconds", "remixed_from_video_id",
                                            "expires_at")
                if (value := getattr(video, key)) is not None}
        if status == "failed":
            code = failure.code
            meta["failure"] = ("content_policy" if code in POLICY_CODES
                               else "transient" if failure.headers else "")
            if not meta["failure"]:
                del meta["failure"]
        return Job(
            provider=self.name, model=video.model or "", id=video.id,
            status=status, progress=video.progress,
            created_at=wire.timestamp(video.created_at),
            updated_at=wire.timestamp(video.completed_at),
            error_code=failure.code, error_message=failure.message,
            poll_after=_poll_after(response), meta=meta)


def _headers(creds: Credentials, accept: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Bearer {creds.bearer()}", "Accept": accept}


def _video_id(video: Job | str) -> str:
    return video.id if isinstance(video, Job) else video


def _poll_after(response: httpx.Response) -> float | None:
    """The server's ``openai-poll-after-ms`` hint, in seconds."""
    value = response.headers.get("openai-poll-after-ms")
    return errors.retry_after_seconds({"retry-after-ms": value}) if value is not None else None


def _openai_error(response: httpx.Response) -> bool:
    """OpenAI's own error JSON, ``{"error": {"message": ..., "type": ...}}`` (reference 6.2;
    a 5xx body in it is our reading: the reference shows none), not a proxy's page."""
    body = errors.response_json(response)
    error = body.get("error") if isinstance(body, dict) else None
    return (isinstance(error, dict) and isinstance(error.get("message"), str)
            and isinstance(error.get("type"), str))


def _raise(response: httpx.Response, table: errors.ErrorTable) -> None:
    if response.is_success:
        return
    body = errors.response_json(response)
    raw = body.get("error", body) if isinstance(body, dict) else None
    error = wire.read(shapes.ErrorBody, raw) or shapes.ErrorBody()
    errors.raise_for_error(
        response, provider="sora", table=table, code=error.code,
        message=_mask_keys(error.message) if error.message is not None else None,
        param=error.param)


def _mask_keys(text: str) -> str:
    """OpenAI echoes a masked key ("sk-proj-****abcd"); keep even that out of our errors."""
    return re.sub(r"\bsk-[\w*.-]+", "sk-***", text)


@hookimpl
def video_providers() -> list[Sora]:
    return [Sora()]

