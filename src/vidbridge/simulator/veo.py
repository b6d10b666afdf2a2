"""What the Gemini API and Vertex AI share for Veo: models, request checks, error bodies.

Written from shared/reference/google-veo.md. Error wording is the reference's where it gives
one; the rest follows Google's standard ``{"error": {code, message, status}}`` pattern and
is marked "constructed" (the reference itself says most Veo messages are constructed).
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from .common import json_response

FRAME = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}
DURATIONS = (4, 6, 8)
ASPECTS = ("16:9", "9:16")
GRPC = {3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 8: "RESOURCE_EXHAUSTED",
        13: "INTERNAL", 14: "UNAVAILABLE"}
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
          404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
RAI_REASON = ("The video could not be generated because the prompt may violate the usage "
              "guidelines. You will not be charged. Support codes: 17301594")


@dataclass(frozen=True)
class VeoModel:
    """What one Veo model id accepts."""

    resolutions: tuple[str, ...]
    max_samples: int = 1


def google_error(status: int, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> Response:
    """Google's error envelope: HTTP status, canonical status name, optional details."""
    error: dict[str, Any] = {"code": status, "message": message, "status": STATUS[status]}
    if details:
        error["details"] = details
    return json_response({"error": error}, status, headers)


def invalid(message: str) -> Response:
    return google_error(400, message)


@dataclass(frozen=True)
class VeoJob:
    """The accepted shape of a Veo request."""

    prompt: str | None
    seconds: int
    width: int
    height: int
    audio: bool
    samples: int


def validate(body: Any, model: VeoModel, *, gemini: bool) -> VeoJob | Response:
    """Check a predictLongRunning body; returns the job shape or the 400 to send."""
    if not isinstance(body, dict):
        return invalid("Invalid JSON payload received. Expected an object.")  # constructed
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(
            instances[0], dict):
        return invalid("`instances` must contain exactly one instance.")  # constructed
    instance = instances[0]
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        return invalid("`parameters` must be an object.")  # constructed
    prompt = instance.get("prompt")
    has_image = "image" in instance or "lastFrame" in instance
    has_video = "video" in instance
    references = instance.get("referenceImages") or []
    if not isinstance(prompt, str) or not prompt:
        if not (has_image or has_video):  # a prompt is optional only for image/extension
            return invalid("`prompt` is required for text-to-video.")  # constructed
        prompt = None
    for name in ("image", "lastFrame"):
        problem = _check_image(instance.get(name), name)
        if problem is not None:
            return problem
    if not isinstance(references, list) or len(references) > 3:
        return invalid("At most 3 `referenceImages` are supported.")  # constructed
    try:
        duration = int(parameters.get("durationSeconds", 8))
    except (TypeError, ValueError):
        duration = -1
    if duration not in DURATIONS:
        # Quoted from a real Gemini API answer to 5 s on Veo 3.1 (reference §6.2): even an
        # in-range odd value gets this "out of bound" wording.
        return invalid("The number value for `durationSeconds` is out of bound. Please "
                       "provide a value between 4 and 8, inclusive.")
    resolution = parameters.get("resolution", "720p")
    if resolution not in model.resolutions:
        return invalid(f"Unsupported resolution: `{resolution}`. Supported resolutions are "
                       f"{', '.join(model.resolutions)}.")  # constructed
    aspect = parameters.get("aspectRatio", "16:9")
    if aspect not in ASPECTS:
        return invalid(f"Unsupported aspect ratio: `{aspect}`. Supported aspect ratios are "
                       f"{', '.join(ASPECTS)}.")  # constructed
    # Gemini API: 8 s is the only length at 1080p/4k; both APIs: with reference images.
    if duration != 8 and (references or has_video or (gemini and resolution != "720p")):
        return invalid("`durationSeconds` must be 8 for 1080p or 4k output, reference "
                       "images or video extension.")  # constructed
    person = parameters.get("personGeneration")
    if gemini and person is not None:
        # Text-to-video takes only allow_all, image inputs only allow_adult (reference §1a).
        allowed = "allow_adult" if has_image or references else "allow_all"
        if person != allowed:
            return invalid(f"{person} for personGeneration is currently not supported.")
    samples = parameters.get("sampleCount", 1)
    if not isinstance(samples, int) or not 1 <= samples <= model.max_samples:
        return invalid(f"`sampleCount` must be between 1 and {model.max_samples}.")  # constructed
    width, height = FRAME[resolution]
    if aspect == "9:16":
        width, height = height, width
    # Veo 3.x always has audio on the Gemini API; Vertex has a switch (default on: earlier
    # docs made it required for Veo 3, so a missing value is read as "on").
    audio = True if gemini else bool(parameters.get("generateAudio", True))
    return VeoJob(prompt=prompt, seconds=duration, width=width, height=height, audio=audio,
                  samples=samples)


def _check_image(image: Any, field: str) -> Response | None:
    if image is None:
        return None
    if not isinstance(image, dict) or not (
            "bytesBase64Encoded" in image or "gcsUri" in image):
        return invalid(f"`{field}` must carry bytesBase64Encoded or gcsUri.")  # constructed
    if "bytesBase64Encoded" in image:
        try:
            base64.b64decode(image["bytesBase64Encoded"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            return invalid(f"Invalid base64 in `{field}.bytesBase64Encoded`.")  # constructed
    return None


def rate_limited(gemini: bool, retry_after: int) -> Response:
    """Each API's 429 RESOURCE_EXHAUSTED body (reference §6.2).

    Google sends RetryInfo rather than a Retry-After header; the header is added as well so
    generic clients can honour it, and the two always agree.
    """
    headers = {"retry-after": str(retry_after)}
    if not gemini:
        return google_error(429, "Quota exceeded for aiplatform.googleapis.com/"
                            "online_prediction_requests_per_base_model with base model: "
                            "veo-3.1-generate. Please submit a quota increase request.",
                            headers=headers)
    return google_error(429, "You exceeded your current quota, please check your plan and "
                        "billing details.", [
                            {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                             "violations": [{
                                 "quotaMetric": "generativelanguage.googleapis.com/"
                                 "predict_long_running_requests_per_model_per_minute",
                                 "quotaId": "PredictLongRunningRequestsPerMinutePerProject"
                                 "PerModel",
                                 "quotaDimensions": {"model": "veo-3.1-generate",
                                                     "location": "global"},
                                 "quotaValue": "10"}]},
                            {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                             "retryDelay": f"{retry_after}s"}], headers=headers)


def server_error(status: int) -> Response:
    """Google's standard 500/503 answers."""
    message = ("Internal error encountered." if status == 500
               else "The service is currently unavailable.")
    return google_error(status, message)


def operation_error(fate: str | None) -> dict[str, Any]:
    """The google.rpc.Status of an operation that ended in error."""
    if fate == "content_policy_job":
        return {"code": 3, "message": "The prompt could not be submitted. It contains content "
                "that is blocked by the safety policy."}
    return {"code": 13, "message": "Video generation failed due to an internal error."}
