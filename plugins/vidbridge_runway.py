"""Runway adapter: Gen-4 (``gen4_turbo``, ``gen4.5``) and the Veo 3.1 models Runway resells.

Wire format from shared/reference/runway-gen4.md (runwayml SDK 5.24.0). Runway's ``ratio``
is the frame in pixels (``"1280:720"``), so our size ``"1280x720"`` maps to it one to one.
Prices are in credits per second (1 credit = US$0.01); the task's ``cost.credits`` (or, while
it runs, the ``estimatedCost.credits`` ceiling) becomes ``Job.reported_cost_usd``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import httpx

from vidbridge import (
    Credentials,
    ImageLimits,
    Job,
    Lifecycle,
    ModelCapabilities,
    Plan,
    Price,
    Rule,
    RuleCondition,
    errors,
    hookimpl,
)
from vidbridge.models import ImageInput, JobStatus, aspect_ratio_of, resolution_of

BASE_URL = "https://api.dev.runwayml.com"
API_VERSION = "2024-11-06"  # the only version the SDK knows; a wrong one is a 400
CREDIT_USD = 0.01
# Runway: "do not expect a task to change more often than every 5 s".
POLL_AFTER_S = 5.0

GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
GEN4_TEXT_RATIOS = ("1280:720", "720:1280")
VEO_RATIOS = ("1280:720", "720:1280", "1920:1080", "1080:1920")


def size_of(ratio: str) -> str:
    """Runway ``"1280:720"`` -> our ``"1280x720"``."""
    return ratio.replace(":", "x")


def ratio_of(size: str) -> str:
    """Our ``"1280x720"`` -> Runway ``"1280:720"``."""
    return size.replace("x", ":")


def sizes_table(ratios: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{aspect_ratio: {resolution: "WxH"}}`` for Runway pixel ratios."""
    table: dict[str, dict[str, str]] = {}
    for ratio in ratios:
        width, height = (int(side) for side in ratio.split(":"))
        # gen3a_turbo's 1280:768 (5:3) is no named ratio: it keeps its reduced form.
        divisor = math.gcd(width, height)
        aspect = aspect_ratio_of(width, height) or f"{width // divisor}:{height // divisor}"
        table.setdefault(aspect, {})[resolution_of(width, height)] = size_of(ratio)
    return table


def credits(table: dict[str, dict[str, str]], rate: float) -> dict[str, float]:
    """One per-second credit rate for every resolution the table makes."""
    return {res: rate for by_res in table.values() for res in by_res}


def price(table: dict[str, dict[str, str]], rate: float,
          with_audio: float | None = None) -> Price:
    return Price(per_second=credits(table, rate),
                 with_audio=credits(table, with_audio) if with_audio is not None else {},
                 unit="credit", usd_per_unit=CREDIT_USD,
                 source="runway-gen4.md §1 (published per-model credit rates)")


# Data URIs must stay under 5 MiB *as a string*; this is the largest raw image whose longest
# prefix ("data:image/jpeg;base64,", 23 chars) plus base64 body fits (about 3.75 MB).
DATA_URI_LIMIT = 5 * 1024 * 1024
MAX_IMAGE_BYTES = (DATA_URI_LIMIT - 1 - 23) // 4 * 3
IMAGES = ImageLimits(mime_types=("image/jpeg", "image/png", "image/webp"),
                     max_bytes=MAX_IMAGE_BYTES, max_side=7999, min_aspect=0.5, max_aspect=2.0)

GEN4 = sizes_table(GEN4_RATIOS)
VEO = sizes_table(VEO_RATIOS)
TWO_TO_TEN = tuple(range(2, 11))
PROMPT_UNITS = 1000
COMMON: dict[str, Any] = dict(max_prompt_length=PROMPT_UNITS, image_limits=IMAGES,
                              supports_image=True)
VEO31: dict[str, Any] = dict(COMMON, durations=(4, 6, 8), default_duration=8, sizes=VEO,
                             audio="optional", supports_last_frame=True, supports_seed=True,
                             supports_negative_prompt=True, default_aspect_ratio="16:9")

MODELS: dict[str, ModelCapabilities] = {
    "gen4_turbo": ModelCapabilities(
        **COMMON, durations=TWO_TO_TEN, default_duration=5, sizes=GEN4,
        default_aspect_ratio="16:9", supports_text=False, supports_seed=True,
        price=price(GEN4, 5), label="Runway Gen-4 Turbo (image to video)"),
    "gen4.5": ModelCapabilities(
        **COMMON, durations=TWO_TO_TEN, default_duration=5, sizes=GEN4,
        default_aspect_ratio="16:9", supports_seed=True, price=price(GEN4, 12),
        rules=(Rule(when=RuleCondition(has_image=False),
                    sizes=tuple(size_of(ratio) for ratio in GEN4_TEXT_RATIOS),
                    reason="gen4.5 text-to-video makes only 1280:720 and 720:1280"),),
        label="Runway Gen-4.5"),
    # Price/audio pairing (20 vs 40, 10 vs 15 credits/s) is inferred by the reference from
    # "audio affects pricing" [UNVERIFIED].
    "veo3.1": ModelCapabilities(**VEO31, price=price(VEO, 20, with_audio=40),
                                label="Google Veo 3.1 via Runway"),
    "veo3.1_fast": ModelCapabilities(**VEO31, price=price(VEO, 10, with_audio=15),
                                     label="Google Veo 3.1 Fast via Runway"),
    # Dropped from the SDK in 5.14.0; whether the server still takes it, and whether its
    # audio is always on (no toggle, priced 40/s), are both [UNVERIFIED]. No date is known,
    # so it stays "available" with a note rather than an invented retirement date.
    "veo3": ModelCapabilities(
        **COMMON, durations=(8,), sizes=VEO, default_aspect_ratio="16:9", audio="always",
        supports_negative_prompt=True, price=price(VEO, 40),
        lifecycle=Lifecycle(successor="veo3.1", note="legacy: dropped from the runwayml SDK "
                            "in 5.14.0; the server may refuse it"),
        label="Google Veo 3 via Runway (legacy)"),
    "gen3a_turbo": ModelCapabilities(
        **COMMON, durations=(5, 10), sizes=sizes_table(("1280:768", "768:1280")),
        supports_text=False, supports_last_frame=True, supports_seed=True,
        price=price(sizes_table(("1280:768", "768:1280")), 5),
        lifecycle=Lifecycle(retired_on=date(2026, 7, 30), successor="gen4_turbo",
                            note="requests with this id now fail"),
        label="Runway Gen-3 Alpha Turbo (retired)"),
}
# Models whose body takes contentModeration (the SDK types give it to the gen4 family only).
MODERATED = frozenset({"gen4_turbo", "gen4.5"})
# Models whose promptText is required even with an image.
PROMPT_REQUIRED = frozenset({"gen4.5"})
PUBLIC_FIGURE_THRESHOLDS = ("auto", "low")

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


class Runway:
    """Sans-IO adapter for Runway's task API."""

    name = "runway"
    models = MODELS
    credential_env = {"api_key": "RUNWAYML_API_SECRET"}

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
        caps = self.models[plan.model]
        body: dict[str, Any] = {"model": plan.model}
        if plan.image is not None:
            body["promptImage"] = prompt_image(plan.image, plan.last_frame)
        if plan.prompt:
            # Runway counts UTF-16 code units: an emoji is two, so len() can undercount.
            if len(plan.prompt.encode("utf-16-le")) // 2 > PROMPT_UNITS:
                raise errors.CapabilityError(
                    f"runway:{plan.model}: the prompt is over {PROMPT_UNITS} UTF-16 code units",
                    field="prompt", allowed=[f"at most {PROMPT_UNITS} UTF-16 code units"],
                    model=plan.model)
            body["promptText"] = plan.prompt
        elif plan.model in PROMPT_REQUIRED:
            raise errors.CapabilityError(f"runway:{plan.model} needs a prompt, even with an "
                                         "image", field="prompt", allowed=["a prompt"],
                                         model=plan.model)
        body["ratio"] = ratio_of(plan.size)
        body["duration"] = plan.duration  # always sent: the omitted defaults are unverified
        if plan.seed is not None and caps.supports_seed:
            body["seed"] = plan.seed
        if plan.negative_prompt and caps.supports_negative_prompt:
            body["negativePrompt"] = plan.negative_prompt
        if caps.audio == "optional":
            body["audio"] = plan.audio
        body.update(self.extra_fields(plan))
        path = "image_to_video" if plan.image is not None else "text_to_video"
        return httpx.Request("POST", f"{creds.url(BASE_URL)}/v1/{path}", json=body,
                             headers=self.headers(creds))

    def extra_fields(self, plan: Plan) -> dict[str, Any]:
        """The documented passthrough keys of ``plan.extra``; anything else is refused."""
        allowed = ("contentModeration",) if plan.model in MODERATED else ()
        for key in plan.extra:
            if key not in allowed:
                raise errors.InvalidRequestError(
                    f"runway:{plan.model} takes no extra field {key!r}; allowed: "
                    f"{', '.join(allowed) or 'none'}", provider=self.name, param=key)
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
        data = self.json_or_raise(response)
        return Job(provider=self.name, model=plan.model, id=str(data["id"]), status="queued",
                   poll_after=POLL_AFTER_S, **cost(data))

    # -- poll --------------------------------------------------------------------------------
    def build_poll(self, job: Job, creds: Credentials) -> httpx.Request:
        return httpx.Request("GET", f"{creds.url(BASE_URL)}/v1/tasks/{job.id}",
                             headers=self.headers(creds))

    def parse_job(self, response: httpx.Response, previous: Job) -> Job:
        if response.status_code == 404:
            # A deleted task answers 404 "Could not find Task" instead of CANCELLED.
            body = errors.response_json(response)
            text = body.get("error") if isinstance(body, dict) else None
            return previous.model_copy(update={
                "status": "cancelled", "poll_after": None,
                "error_message": text or "the task no longer exists (deleted)"})
        data = self.json_or_raise(response)
        wire = data.get("status")
        if wire not in STATUS:
            # A new status must be read, not guessed.
            raise errors.ProviderError(f"runway task {previous.id} has an unknown status "
                                       f"{wire!r}", provider=self.name)
        status = STATUS[wire]
        update: dict[str, Any] = {
            "status": status, "poll_after": None if status in ("succeeded", "failed",
                                                               "cancelled") else POLL_AFTER_S,
            "progress": (100.0 if status == "succeeded" else
                         round(float(data["progress"]) * 100, 1) if "progress" in data
                         else previous.progress),
            **cost(data),
        }
        if created := data.get("createdAt"):
            update["created_at"] = datetime.fromisoformat(created)
        if status == "succeeded":
            outputs = data.get("output") or []
            if not outputs:
                raise errors.ProviderError(f"runway task {previous.id} succeeded without an "
                                           "output URL", provider=self.name)
            update["output_url"] = outputs[0]
        if status == "failed":
            code = data.get("failureCode")
            update.update(error_code=code, error_message=data.get("failure"),
                          meta={**previous.meta, **failure_meta(code)})
        return previous.model_copy(update=update)

    # -- download and cancel -----------------------------------------------------------------
    def build_download(self, job: Job, creds: Credentials,
                       variant: str = "video") -> httpx.Request | None:
        if variant != "video" or job.output_url is None:
            return None
        # A signed CloudFront URL (_jwt): our Runway key must never travel to the CDN.
        return httpx.Request("GET", job.output_url)

    def build_cancel(self, job: Job, creds: Credentials) -> httpx.Request | None:
        return httpx.Request("DELETE", f"{creds.url(BASE_URL)}/v1/tasks/{job.id}",
                             headers=self.headers(creds))

    # -- errors ------------------------------------------------------------------------------
    def raise_for_error(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        body = errors.response_json(response)
        body = body if isinstance(body, dict) else {}
        message = str(body.get("error") or f"HTTP {response.status_code} from runway")
        code: str | None = None
        param: str | None = None
        issues = body.get("issues")
        if isinstance(issues, list) and issues and isinstance(issues[0], dict):
            issue = issues[0]
            param = ".".join(str(part) for part in issue.get("path") or ()) or None
            code = "unknown_model" if param == "model" else issue.get("code")
            message = f"{message}: {param or 'body'}: {issue.get('message', '')}".rstrip(": ")
        else:
            lowered = message.lower()
            code = next((name for text, name in MESSAGE_CODES if text in lowered), None)
        errors.raise_for_error(response, provider=self.name, table=ERRORS, code=code,
                               message=message, param=param)

    def json_or_raise(self, response: httpx.Response) -> dict[str, Any]:
        self.raise_for_error(response)
        data = errors.response_json(response)
        if not isinstance(data, dict):
            raise errors.ProviderUnavailableError(
                f"runway answered HTTP {response.status_code} without a JSON object",
                provider=self.name, status=response.status_code)
        return data


def prompt_image(first: ImageInput, last: ImageInput | None) -> str | list[dict[str, str]]:
    """A single URL or data URI, or the positioned array when a last frame is given."""
    if last is None:
        return image_uri(first)
    return [{"uri": image_uri(first), "position": "first"},
            {"uri": image_uri(last), "position": "last"}]


def image_uri(image: ImageInput) -> str:
    return image.url if image.url is not None else image.data_uri()


def cost(data: dict[str, Any]) -> dict[str, Any]:
    """reported_cost_usd from ``cost.credits`` (final) or ``estimatedCost.credits`` (ceiling)."""
    for field in ("cost", "estimatedCost"):
        value = data.get(field)
        if isinstance(value, dict) and value.get("credits") is not None:
            return {"reported_cost_usd": round(float(value["credits"]) * CREDIT_USD, 6)}
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
