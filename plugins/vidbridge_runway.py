"""Runway adapter: Gen-4 (``gen4_turbo``, ``gen4.5``) and the partner models Runway resells
(Veo 3.1, Kling 3.0/O3, Seedance 2, Hailuo 3, Wan 3, Gemini Omni Flash, ...).

Wire format from shared/reference/runway-gen4.md and docs/reference/runway.md (runwayml SDK
5.24.0); the model tables, and how each row sends its frame, live in
``vidbridge_runway_models``. The task's ``cost.credits`` (or, while it runs, the
``estimatedCost.credits`` ceiling) becomes ``Job.reported_cost_usd``.
"""

from __future__ import annotations

from typing import Any

import httpx

import vidbridge_runway_wire as shapes
from vidbridge import Credentials, Job, Plan, errors, hookimpl, wire
from vidbridge.models import ImageInput, JobStatus, resolution_rank
from vidbridge_runway_models import (
    CREDIT_USD,
    GEN4_RATIOS,
    MAX_IMAGE_BYTES,
    MAX_VIDEO_DATA_URI,
    MODELS,
    PUBLIC_FIGURE_THRESHOLDS,
    SPECS,
    VEO_RATIOS,
    Spec,
    ratio_of,
    size_of,
)
from vidbridge_runway_video import video_uri

BASE_URL = "https://api.dev.runwayml.com"
API_VERSION = "2024-11-06"  # the only version the SDK knows; a wrong one is a 400
# Runway: "do not expect a task to change more often than every 5 s".
# Runway: "do not expect a task to change more often than every 5 s" (guidance, not a limit).
POLL_INTERVAL_S = 5.0

STATUS: dict[str, JobStatus] = {
    "PENDING": "queued", "THROTTLED": "queued",  # THROTTLED: waiting for a concurrency slot
    "RUNNING": "running", "SUCCEEDED": "succeeded", "FAILED": "failed",
    "CANCELLED": "cancelled",
}
# failureCode prefix -> Job.meta["failure"]; first match wins, so specific prefixes go first.
# An absent code is treated like INTERNAL (reference §6.2); an unknown one is left
# non-retryable for an operator to read.
FAILURES: tuple[tuple[str, str], ...] = (
    ("SAFETY.", "content_policy"),
    ("INPUT_PREPROCESSING.SAFETY.", "content_policy"),
    ("INPUT_PREPROCESSING.INTERNAL", "transient"),
    ("INTERNAL", "transient"),
    ("THIRD_PARTY.UNAVAILABLE", "transient"),
    ("ASSET.INVALID", "invalid_input"),
)
# Runway's 400 carries no machine code for these; the observed text tells them apart.
MESSAGE_CODES = (("do not have enough credits", "insufficient_credits"),)
ERRORS: errors.ErrorTable = {
    "insufficient_credits": errors.InsufficientCreditsError,
    "unknown_model": errors.ModelUnavailableError,
    400: errors.InvalidRequestError, 401: errors.AuthenticationError,
    403: errors.AuthenticationError, 405: errors.InvalidRequestError,
    422: errors.InvalidRequestError, 429: errors.RateLimitError,
}


__all__ = ["GEN4_RATIOS", "MAX_IMAGE_BYTES", "MAX_VIDEO_DATA_URI", "MODELS", "SPECS",
           "VEO_RATIOS", "Runway", "ratio_of", "size_of", "video_providers"]


class Runway:
    """Sans-IO adapter for Runway's task API."""

    name = "runway"
    models = MODELS
    credential_env = {"api_key": "RUNWAYML_API_SECRET"}
    poll_interval = POLL_INTERVAL_S

    def check_credentials(self, creds: Credentials) -> None:
        if creds.api_key is None and creds.token is None:
            raise errors.ConfigError(f"runway credential {creds.name!r} has no api_key "
                                     "(set RUNWAYML_API_SECRET)")

    def backend(self, creds: Credentials) -> str:
        return ""

    def headers(self, creds: Credentials) -> dict[str, str]:
        return {"Authorization": f"Bearer {creds.bearer()}", "X-Runway-Version": API_VERSION}

    # -- submit ------------------------------------------------------------------------------
    def build_submit(self, plan: Plan, creds: Credentials) -> httpx.Request:
        spec = SPECS[plan.table_model]
        if spec.video:
            return self.build_video_to_video(plan, spec, creds)
        body: dict[str, Any] = {"model": plan.model}
        if plan.image is not None:
            body["promptImage"] = prompt_image(plan.image, plan.last_frame)
        if plan.prompt:
            body["promptText"] = prompt_text(plan, spec)
        elif spec.prompt_required:
            raise errors.CapabilityError(f"runway:{plan.model} needs a prompt, even with an "
                                         "image", field="prompt", allowed=["a prompt"],
                                         model=plan.model)
        body.update(frame_fields(spec, plan))
        body["duration"] = plan.duration  # always sent: the omitted defaults are unverified
        if plan.seed is not None and spec.seed:
            body["seed"] = plan.seed
        if plan.negative_prompt and spec.negative:
            body["negativePrompt"] = plan.negative_prompt
        if spec.audio == "optional":
            body["audio"] = plan.audio
        body.update(self.extra_fields(plan, spec))
        path = "image_to_video" if plan.image is not None else "text_to_video"
        return httpx.Request("POST", wire.endpoint(f"{creds.url(BASE_URL)}/v1/{path}"), json=body,
                             headers=self.headers(creds))

    def build_video_to_video(self, plan: Plan, spec: Spec, creds: Credentials) -> httpx.Request:
        """``POST /v1/video_to_video`` (aleph2): the source video and the edit's prompt; no
        ratio or duration, the output follows the input video."""
        if plan.source_video is None:
            raise errors.CapabilityError(f"runway:{plan.model} edits a video; give "
                                         "source_video", field="source_video",
                                         allowed=["an https URL or an MP4 file"],
                                         model=plan.model)
        body: dict[str, Any] = {"model": plan.model,
                                "videoUri": video_uri(plan.source_video, plan.model)}
        if plan.prompt:  # optional, but non-empty when given
            body["promptText"] = prompt_text(plan, spec)
        if plan.seed is not None and spec.seed:
            body["seed"] = plan.seed
        body.update(self.extra_fields(plan, spec))
        return httpx.Request("POST", wire.endpoint(f"{creds.url(BASE_URL)}/v1/video_to_video"),
                             json=body,
                             headers=self.headers(creds))

    def extra_fields(self, plan: Plan, spec: Spec) -> dict[str, Any]:
        """The documented passthrough keys of ``plan.extra``; anything else is refused."""
        allowed = ("contentModeration",) if spec.moderation else ()
        errors.refuse_unknown_extra(plan.extra, allowed, provider=self.name,
                                    model=f"runway:{plan.model}")
        moderation = plan.extra.get("contentModeration")
        if moderation is None:
            return {}
        threshold = moderation.get("publicFigureThreshold") if isinstance(moderation,
                                                                           dict) else None
        if set(moderation) != {"publicFigureThreshold"} or (
                threshold not in PUBLIC_FIGURE_THRESHOLDS):
            raise errors.InvalidRequestError(
                "contentModeration must be {'publicFigureThreshold': 'auto' | 'low'}",
                provider=self.name, param="contentModeration")
        return {"contentModeration": {"publicFigureThreshold": threshold}}

    def parse_submit(self, response: httpx.Response, plan: Plan) -> Job:
        task = self.task_or_raise(response, submit=True)
        return Job(provider=self.name, model=plan.model, id=task.id, status="queued",
                   **cost(task))

    # -- poll --------------------------------------------------------------------------------
    def build_poll(self, job: Job, creds: Credentials) -> httpx.Request:
        return httpx.Request("GET", f"{creds.url(BASE_URL)}/v1/tasks/{wire.segment(job.id)}",
                             headers=self.headers(creds))

    def parse_job(self, response: httpx.Response, previous: Job) -> Job:
        if response.status_code == 404:
            # A deleted task answers 404 "Could not find Task" instead of CANCELLED.
            body = wire.read(shapes.ErrorBody, errors.response_json(response))
            return previous.model_copy(update={
                "status": "cancelled",
                "error_message": (body and body.error) or "the task no longer exists (deleted)"})
        task = self.task_or_raise(response)
        if task.status not in STATUS:
            # A new status must be read, not guessed.
            raise wire.unknown_status(response, task.status, STATUS, provider=self.name)
        status = STATUS[task.status]
        update: dict[str, Any] = {
            "status": status,
            "progress": (100.0 if status == "succeeded" else
                         round(task.progress * 100, 1) if task.progress is not None
                         else previous.progress),
            **cost(task),
        }
        if created := wire.iso_time(task.createdAt):
            update["created_at"] = created
        if status == "succeeded":
            if not task.output:
                raise errors.ProviderUnavailableError(
                    f"runway task {previous.id} succeeded without an output URL",
                    provider=self.name, status=response.status_code)
            update["output_url"] = task.output[0]
        if status == "failed":
            update.update(error_code=task.failureCode, error_message=task.failure,
                          meta={**previous.meta, **failure_meta(task.failureCode)})
        return previous.model_copy(update=update)

    # -- download and cancel -----------------------------------------------------------------
    def build_download(self, job: Job, creds: Credentials,
                       variant: str = "video") -> httpx.Request | None:
        if variant != "video" or job.output_url is None:
            return None
        # A signed CloudFront URL (_jwt): our Runway key must never travel to the CDN.
        return httpx.Request("GET", job.output_url)

    def build_cancel(self, job: Job, creds: Credentials) -> httpx.Request | None:
        url = f"{creds.url(BASE_URL)}/v1/tasks/{wire.segment(job.id)}"
        return httpx.Request("DELETE", url, headers=self.headers(creds))

    # -- errors ------------------------------------------------------------------------------
    def is_provider_error(self, response: httpx.Response) -> bool:
        """Runway's own error JSON, ``{"error": "..."}`` (reference: 503 "Service temporarily
        unavailable."), not a proxy's page or an empty answer."""
        body = errors.response_json(response)
        return isinstance(body, dict) and isinstance(body.get("error"), str)

    def raise_for_error(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        body = wire.read(shapes.ErrorBody, errors.response_json(response)) or shapes.ErrorBody()
        message = body.error or f"HTTP {response.status_code} from runway"
        code: str | None = None
        param: str | None = None
        if body.issues:
            issue = body.issues[0]
            param = ".".join(issue.path) or None
            code = "unknown_model" if param == "model" else issue.code
            message = f"{message}: {param or 'body'}: {issue.message or ''}".rstrip(": ")
        else:
            lowered = message.lower()
            code = next((name for text, name in MESSAGE_CODES if text in lowered), None)
        errors.raise_for_error(response, provider=self.name, table=ERRORS, code=code,
                               message=message, param=param)

    def task_or_raise(self, response: httpx.Response, submit: bool = False) -> shapes.Task:
        """The task object of a success, or the mapped error."""
        self.raise_for_error(response)
        return wire.parse_as(response, shapes.Task, provider=self.name,
                             expected="a task object", submit=submit)


def prompt_text(plan: Plan, spec: Spec) -> str:
    limit = spec.prompt_units
    # Runway counts UTF-16 code units: an emoji is two, so len() can undercount.
    if limit is not None and len(plan.prompt.encode("utf-16-le")) // 2 > limit:
        raise errors.CapabilityError(
            f"runway:{plan.model}: the prompt is over {limit} UTF-16 code units",
            field="prompt", allowed=[f"at most {limit} UTF-16 code units"], model=plan.model)
    return plan.prompt


def frame_fields(spec: Spec, plan: Plan) -> dict[str, str]:
    """``ratio`` and/or ``resolution`` as this row sends them (see vidbridge_runway_models)."""
    mode = spec.image_ratio if plan.image is not None else "same"
    if mode == "none":
        return {}  # the frame follows the input image; ratio is not accepted
    if mode == "auto":
        return {"ratio": f"auto_{nearest_tier(spec.auto_tiers, plan.resolution)}"}
    if mode == "resolution" or spec.ratio == "resolution":
        return {"resolution": nearest_tier(spec.wire_tiers, plan.resolution)}
    if spec.ratio == "named":
        return {"ratio": plan.aspect_ratio,
                "resolution": nearest_tier(spec.wire_tiers, plan.resolution)}
    return {"ratio": ratio_of(plan.size)}


def nearest_tier(tiers: tuple[str, ...], resolution: str) -> str:
    """The listed tier closest to the plan's resolution (ties go to the higher one)."""
    rank = resolution_rank(resolution)
    return min(tiers, key=lambda tier: (abs(resolution_rank(tier) - rank),
                                        -resolution_rank(tier)))


def prompt_image(first: ImageInput, last: ImageInput | None) -> str | list[dict[str, str]]:
    """A single URL or data URI, or the positioned array when a last frame is given."""
    if last is None:
        return image_uri(first)
    return [{"uri": image_uri(first), "position": "first"},
            {"uri": image_uri(last), "position": "last"}]


def image_uri(image: ImageInput) -> str:
    return image.url if image.url is not None else image.data_uri()


def cost(task: shapes.Task) -> dict[str, Any]:
    """reported_cost_usd from ``cost.credits`` (final) or ``estimatedCost.credits`` (ceiling)."""
    for value in (task.cost, task.estimatedCost):
        if value is not None and value.credits is not None:
            return {"reported_cost_usd": round(value.credits * CREDIT_USD, 6)}
    return {}


def failure_meta(code: str | None) -> dict[str, str]:
    """``Job.meta["failure"]`` for a ``failureCode``: the engine raises from it."""
    if not code:
        return {"failure": "transient"}  # no code: treated like INTERNAL
    for prefix, failure in FAILURES:
        if code.startswith(prefix):
            return {"failure": failure}
    return {}


@hookimpl
def video_providers() -> list[Runway]:
    return [Runway()]
