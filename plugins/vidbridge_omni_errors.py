"""Gemini Omni wire errors and interaction outcomes (docs/reference/gemini-omni.md §5).

HTTP errors carry ``{"error": {"code", "message"}}``: the SDK's ``Error`` type (google-genai
3.6.1 ``interactions/error.py``) types ``code`` as a string ("a URI that identifies the error
type"), while Google's APIs have sent the numeric google.rpc envelope (``code`` int plus
``status``); both are read, and the HTTP status decides the class. A finished interaction
reports failure as ``status: failed`` with ``errors[]`` (``Error``) and/or a
``model_output`` step's ``error`` (google.rpc ``Status``).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from vidbridge import errors

PROVIDER = "omni"
_COMMON: dict[int | str, type[errors.ProviderError]] = {
    400: errors.InvalidRequestError, 401: errors.AuthenticationError,
    403: errors.AuthenticationError, 429: errors.RateLimitError,
    # The Gemini API's invalid key is a 400 whose reason says so (as for every Google API).
    "API_KEY_INVALID": errors.AuthenticationError,
    "ACCESS_TOKEN_EXPIRED": errors.AuthenticationError,
    "IAM_PERMISSION_DENIED": errors.AuthenticationError,
}
# On create the path has no id, so a 404 is the model (unknown or shut down); on a poll it is
# the interaction (gone: async interactions are kept 14 days on Vertex).
SUBMIT_ERRORS = {**_COMMON, 404: errors.ModelUnavailableError}
JOB_ERRORS = {**_COMMON, 404: errors.JobFailedError}
# "Prompts that violate usage policies will be blocked" (Omni guide): only the wording tells a
# safety refusal from a bad parameter.
POLICY_WORDS = re.compile(r"usage polic|usage guidelines|safety|blocked|prohibited",
                          re.IGNORECASE)
# Statuses of an interaction that will not produce a video (InteractionStatus, SDK 3.6.1).
FAILED = frozenset({"failed", "incomplete", "budget_exceeded", "requires_action"})
WIRE_FIELDS = ("duration", "resolution", "aspect_ratio", "task", "model", "delivery",
               "gcs_uri", "input")
# google.rpc codes (a model_output step's Status) a new submit may survive.
TRANSIENT_CODES = frozenset({4, 8, 13, 14})


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
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or f"HTTP {response.status_code} from {PROVIDER}")
    details = _objects(error.get("details"))
    reason = next((str(item["reason"]) for item in details if item.get("reason")), None)
    table = dict(SUBMIT_ERRORS if during == "submit" else JOB_ERRORS)
    if response.status_code == 400 and reason is None and POLICY_WORDS.search(message):
        table[400] = errors.ContentPolicyError
    code = reason or error.get("status") or _text(error.get("code"))
    errors.raise_for_error(response, provider=PROVIDER, table=table, code=code,
                           message=message, param=_param(message))


def failure(interaction: dict[str, Any]) -> tuple[str | None, str, str | None]:
    """``(code, message, kind)`` of a finished interaction that made no video.

    ``kind`` is ``content_policy``, ``transient`` or None, for the job's ``meta["failure"]``.
    """
    found: list[tuple[str | None, str]] = []
    for item in _objects(interaction.get("errors")):
        found.append((_text(item.get("code")), str(item.get("message") or "")))
    transient = False
    for step in _objects(interaction.get("steps")):
        status = step.get("error")
        if isinstance(status, dict):
            transient = transient or status.get("code") in TRANSIENT_CODES
            found.append((_text(status.get("code")), str(status.get("message") or "")))
    code, message = found[0] if found else (None, "")
    state = str(interaction.get("status") or "")
    message = message or f"the interaction ended {state or 'without a video'}"
    if any(POLICY_WORDS.search(text) for _, text in found):
        return code, message, "content_policy"
    return code, message, "transient" if transient else None


def video_of(interaction: dict[str, Any]) -> dict[str, Any] | None:
    """The last video content block of the last ``model_output`` step (REST has no
    ``output_video``: that is an SDK convenience, per the Omni guide)."""
    for step in _objects(interaction.get("steps"))[::-1]:
        if step.get("type") != "model_output":
            continue
        for content in _objects(step.get("content"))[::-1]:
            if content.get("type") == "video" and (content.get("data") or content.get("uri")):
                return content
    return None


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON array, else none: an answer's ``steps`` may be anything."""
    objects: list[dict[str, Any]] = (
        [item for item in value if isinstance(item, dict)] if isinstance(value, list) else [])
    return objects


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


def _param(message: str) -> str | None:
    """The field a 400 names: a `backticked` word, else a known wire field in the text."""
    if quoted := re.search(r"`(\w+)`", message):
        return quoted[1]
    return next((field for field in WIRE_FIELDS if re.search(rf"\b{field}\b", message)), None)
