"""Veo wire errors and operation outcomes, read from the Google error envelope.

``{"error": {"code": <http>, "message", "status": <canonical name>, "details": [...]}}`` on
both backends (Vertex sometimes wraps it in a one-element list). The ``details`` reason
(``API_KEY_INVALID``...) is looked up before the HTTP status, so the Gemini API's invalid key,
a 400, is an authentication error.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

import vidbridge_veo_wire as shapes
from vidbridge import Job, errors, wire

PROVIDER = "veo"
_COMMON: dict[int | str, type[errors.ProviderError]] = {
    400: errors.InvalidRequestError, 401: errors.AuthenticationError,
    402: errors.InsufficientCreditsError,  # Gemini API prepaid credit depleted [3P]
    403: errors.AuthenticationError, 429: errors.RateLimitError,
    "API_KEY_INVALID": errors.AuthenticationError,
    "ACCESS_TOKEN_EXPIRED": errors.AuthenticationError,
    "IAM_PERMISSION_DENIED": errors.AuthenticationError,
}
# At submit the path names the model, so a 404 is an unknown or retired model; on a poll or a
# download it is an operation or file past its retention: that job can no longer finish.
SUBMIT_ERRORS = {**_COMMON, 404: errors.ModelUnavailableError}
JOB_ERRORS = {**_COMMON, 404: errors.JobFailedError}
# Refusals by the safety system arrive as INVALID_ARGUMENT; only their wording tells them
# from a bad parameter ("...violates the usage guidelines", "...blocked by the safety policy").
POLICY_WORDS = re.compile(r"usage guidelines|safety polic|responsible ai", re.IGNORECASE)
# A 404's message says whether the model or the operation/file is unknown.
MODEL_NOT_FOUND = re.compile(r"^(?:publisher model|models/[^/\s]+ is not found)", re.IGNORECASE)
JOB_NOT_FOUND = re.compile(r"^(?:operation|file)\b|/operations/", re.IGNORECASE)
WIRE_FIELDS = ("durationSeconds", "aspectRatio", "resolution", "personGeneration",
               "negativePrompt", "sampleCount", "seed", "generateAudio", "referenceImages",
               "lastFrame", "image", "storageUri", "enhancePrompt", "compressionQuality",
               "resizeMode")
# gRPC codes of a failed operation that a new submit may well survive.
TRANSIENT_CODES = frozenset({4, 8, 13, 14})  # DEADLINE_EXCEEDED RESOURCE_EXHAUSTED INTERNAL
INVALID_ARGUMENT = 3                         # UNAVAILABLE; 3 is INVALID_ARGUMENT


def is_google_error(response: httpx.Response) -> bool:
    """Google's own error JSON, ``{"error": {"code": N, "message": ...}}`` (Vertex may wrap it
    in a one-element list), not a proxy's page. Its 500/503/504 bodies (INTERNAL /
    UNAVAILABLE / DEADLINE_EXCEEDED) are our reading of the reference's status table."""
    body = errors.response_json(response)
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    return (isinstance(error, dict) and type(error.get("code")) is int
            and isinstance(error.get("message"), str))


def raise_for(response: httpx.Response, during: str) -> None:
    """Raise the mapped error for an error response (``during`` is submit or job)."""
    if response.is_success:
        return
    body = errors.response_json(response)
    if isinstance(body, list) and body:
        body = body[0]  # Vertex's one-element list
    envelope = wire.read(shapes.ErrorEnvelope, body) or shapes.ErrorEnvelope()
    error = envelope.error or shapes.ErrorInfo()
    message = error.message or f"HTTP {response.status_code} from veo"
    reason = next((item.reason for item in error.details if item.reason), None)
    retry = next((_seconds(item.retryDelay) for item in error.details
                  if (item.type or "").endswith("google.rpc.RetryInfo")), None)
    table = dict(SUBMIT_ERRORS if during == "submit" else JOB_ERRORS)
    if response.status_code == 404 and MODEL_NOT_FOUND.search(message):
        table[404] = errors.ModelUnavailableError
    elif response.status_code == 404 and JOB_NOT_FOUND.search(message):
        table[404] = errors.JobFailedError
    if response.status_code == 400 and reason is None and POLICY_WORDS.search(message):
        table[400] = errors.ContentPolicyError
    errors.raise_for_error(response, provider=PROVIDER, table=table,
                           code=reason or error.status, message=message,
                           param=_param(message), retry_after=retry)


def failed_job(provider: str, model: str, name: str, error: shapes.Status) -> Job:
    """A done operation carrying ``error`` (google.rpc.Status with a numeric gRPC code)."""
    code, message = error.code, error.message or ""
    meta: dict[str, str] = {}
    if code in TRANSIENT_CODES:
        meta["failure"] = "transient"
    elif code == INVALID_ARGUMENT and POLICY_WORDS.search(message):
        meta["failure"] = "content_policy"
    return Job(provider=provider, model=model, id=name, status="failed",
               error_code=None if code is None else str(code), error_message=message,
               meta=meta)


def outputs(result: shapes.Result) -> list[shapes.Video]:
    """The generated videos: Gemini ``generateVideoResponse.generatedSamples[].video``,
    Vertex ``videos[]``."""
    generated = result.generateVideoResponse or shapes.Generated()
    samples = [sample.video for sample in generated.generatedSamples if sample.video]
    return [video for video in [*samples, *result.videos]
            if video.model_dump(exclude_none=True)]


def filtered(provider: str, model: str, name: str, result: shapes.Result) -> Job:
    """A done operation without videos: filtered (raises ``ContentPolicyError``) or empty."""
    # Reasons sit under generateVideoResponse (Gemini) or directly in response (Vertex, and
    # some Gemini clients probe there too).
    generated = result.generateVideoResponse or shapes.Generated()
    reasons = generated.raiMediaFilteredReasons or result.raiMediaFilteredReasons
    count = generated.raiMediaFilteredCount or result.raiMediaFilteredCount or 0
    if reasons or count:
        shown = "; ".join(reasons) or f"{count} video(s) filtered, no reason given"
        raise errors.ContentPolicyError(f"veo operation {name} was filtered by safety: {shown}",
                                        reasons=reasons, provider=provider)
    return Job(provider=provider, model=model, id=name, status="failed",
               error_message="the operation finished without a video")


def _param(message: str) -> str | None:
    """The field a 400 names: a `backticked` word, else a known wire field in the text."""
    if quoted := re.search(r"`(\w+)`", message):
        return quoted[1]
    return next((field for field in WIRE_FIELDS if re.search(rf"\b{field}\b", message)), None)


def _seconds(delay: Any) -> float | None:
    """google.protobuf.Duration JSON (``"37s"``, ``"1.5s"``) -> seconds."""
    if isinstance(delay, str) and (found := re.fullmatch(r"(\d+(?:\.\d+)?)s", delay.strip())):
        return float(found[1])
    return None
