"""Errors named and shaped like the official ``openai`` SDK's, inside our own hierarchy.

Code written for Sora catches ``openai.NotFoundError`` or reads ``err.status_code``. When the
official SDK is installed each class here also derives from the SDK class of the same name
(``_sdk.base``), so those ``except`` clauses keep catching after the one-line import swap;
without it they are plain vidbridge errors with the same names and attributes. Every one is a
``VidbridgeError`` either way. ``api_error(exc)`` is the one place a vidbridge
error becomes an OpenAI-shaped one (status, type, code, param), for the compat client and the
gateway's HTTP bodies alike.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    AllCandidatesFailedError,
    CapabilityError,
    ConfigError,
    InvalidRequestError,
    JobFailedError,
    VidbridgeError,
    error_kind,
)
from ..errors import (
    RateLimitError as _ProviderRateLimit,
)
from ._sdk import base as _sdk
from ._sdk import synthetic_response

# Our request fields -> the OpenAI parameter a caller sent.
PARAM_OF = {"duration": "seconds", "size": "size", "aspect_ratio": "size",
            "resolution": "size", "image": "input_reference", "prompt": "prompt",
            "audio": "model"}

# Error kind (vidbridge.errors.error_kind) -> (HTTP status, OpenAI error type, code).
# Codes come from the reference's bodies (§6.2) where one fits; the rest are ours and say so
# by being self-explanatory (the SDK only carries them through).
KIND_TABLE: dict[str, tuple[int, str, str | None]] = {
    "auth": (401, "invalid_request_error", "invalid_api_key"),
    "invalid_request": (400, "invalid_request_error", "invalid_value"),
    "capability": (400, "invalid_request_error", "invalid_value"),
    "content_policy": (400, "invalid_request_error", "moderation_blocked"),
    "insufficient_credits": (429, "insufficient_quota", "insufficient_quota"),
    "rate_limited": (429, "requests", "rate_limit_exceeded"),
    "model_unavailable": (404, "invalid_request_error", "model_not_found"),
    "unavailable": (503, "server_error", "server_error"),
    "submit_uncertain": (502, "server_error", "submit_uncertain"),
    "job_failed": (500, "server_error", "generation_failed"),
    "timeout": (504, "server_error", "timeout"),
}


class OpenAIError(VidbridgeError, _sdk("OpenAIError")):  # type: ignore[misc]
    """Base of the OpenAI-shaped errors (the SDK's ``openai.OpenAIError``)."""


class APIError(OpenAIError, _sdk("APIError")):  # type: ignore[misc]
    """An error with the official body fields: ``message``, ``type``, ``param``, ``code``."""

    def __init__(self, message: str, *, body: dict[str, Any] | None = None,
                 type: str | None = None, param: str | None = None,  # noqa: A002
                 code: str | None = None) -> None:
        # Not super(): past our classes the MRO reaches the SDK's constructors, which need
        # an HTTP response; the attributes they would set are set here instead.
        Exception.__init__(self, message)
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.body = body if body is not None else {"message": message, "type": type,
                                                   "param": param, "code": code}

    @property
    def request(self) -> Any:
        """The SDK's ``err.request``: a stand-in, as no HTTP call was made in-process."""
        return self.response.request if isinstance(self, APIStatusError) else \
            synthetic_response(500, {}, None).request


class APIConnectionError(APIError, _sdk("APIConnectionError")):  # type: ignore[misc]
    """The backend could not be reached (kept for code that catches it)."""

    def __init__(self, message: str = "Connection error.") -> None:
        super().__init__(message)


class APITimeoutError(APIConnectionError, _sdk("APITimeoutError")):  # type: ignore[misc]
    """A wait ran out (kept for code that catches it)."""

    def __init__(self, message: str = "Request timed out.") -> None:
        super().__init__(message)


class APIStatusError(APIError, _sdk("APIStatusError")):  # type: ignore[misc]
    """An error with an HTTP status: ``status_code``, ``request_id``, ``headers``."""

    status_code: int = 500
    default_type = "invalid_request_error"

    def __init__(self, message: str, *, status_code: int | None = None,
                 type: str | None = None, param: str | None = None,  # noqa: A002
                 code: str | None = None, headers: dict[str, str] | None = None,
                 request_id: str | None = None) -> None:
        super().__init__(message, type=type or self.default_type, param=param, code=code)
        if status_code is not None:
            self.status_code = status_code
        self.headers = dict(headers or {})
        self.request_id = request_id
        # As the SDK does: ``message`` leads with the status, ``body`` keeps the API's words.
        self.message = f"Error code: {self.status_code} - {message}"

    @property
    def response(self) -> Any:
        """The SDK's ``err.response``: status, headers and the official error body."""
        return synthetic_response(self.status_code, self.headers, self.to_body())

    @property
    def detail(self) -> str:
        """The message as the API body carries it (without the SDK's status prefix)."""
        return str(self.body["message"])

    def to_body(self) -> dict[str, Any]:
        """The official error envelope: ``{"error": {message, type, param, code}}``."""
        return {"error": dict(self.body)}

    def __str__(self) -> str:
        return self.message


class BadRequestError(APIStatusError, _sdk("BadRequestError")):  # type: ignore[misc]
    status_code = 400


class AuthenticationError(APIStatusError, _sdk("AuthenticationError")):  # type: ignore[misc]
    status_code = 401


class PermissionDeniedError(
        APIStatusError, _sdk("PermissionDeniedError")):  # type: ignore[misc]
    status_code = 403


class NotFoundError(APIStatusError, _sdk("NotFoundError")):  # type: ignore[misc]
    status_code = 404


class ConflictError(APIStatusError, _sdk("ConflictError")):  # type: ignore[misc]
    status_code = 409


class RequestTooLargeError(APIStatusError):
    """413: the body is over the gateway's cap (the SDK raises its APIStatusError)."""

    status_code = 413


class UnprocessableEntityError(
        APIStatusError, _sdk("UnprocessableEntityError")):  # type: ignore[misc]
    status_code = 422


class RateLimitError(APIStatusError, _sdk("RateLimitError")):  # type: ignore[misc]
    status_code = 429
    default_type = "requests"


class InternalServerError(APIStatusError, _sdk("InternalServerError")):  # type: ignore[misc]
    status_code = 500
    default_type = "server_error"


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError,
    404: NotFoundError, 409: ConflictError, 413: RequestTooLargeError,
    422: UnprocessableEntityError, 429: RateLimitError,
}


def status_error(status: int, message: str, **fields: Any) -> APIStatusError:
    """The SDK's class for ``status`` (``InternalServerError`` for any 5xx)."""
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(message, status_code=status, **fields)


def model_not_found(model: str) -> NotFoundError:
    """The official 404 body for a model nobody serves (reference §6.2)."""
    return NotFoundError(f"The model `{model}` does not exist or you do not have access to it.",
                         param="model", code="model_not_found")


def video_not_found(video_id: str) -> NotFoundError:
    return NotFoundError(f"Video with id '{video_id}' not found.")


def api_error(exc: BaseException) -> APIStatusError:
    """Translate any error into the OpenAI-shaped one a caller of the official API would see."""
    if isinstance(exc, APIStatusError):
        return exc
    if isinstance(exc, AllCandidatesFailedError) and isinstance(exc.__cause__, VidbridgeError):
        cause = api_error(exc.__cause__)
        return status_error(cause.status_code, str(exc), type=cause.type, param=cause.param,
                            code=cause.code, headers=cause.headers)
    if isinstance(exc, AllCandidatesFailedError):
        return InternalServerError(str(exc), status_code=502, code="no_candidate")
    if isinstance(exc, CapabilityError):
        return BadRequestError(str(exc), param=PARAM_OF.get(exc.field, exc.field),
                               code="invalid_value")
    if isinstance(exc, ConfigError):
        # At run time a config problem is the server's, not the caller's.
        return InternalServerError(str(exc), code="server_misconfigured")
    kind = error_kind(exc)
    status, type_, code = KIND_TABLE.get(kind, (500, "server_error", "server_error"))
    param = getattr(exc, "param", None) if isinstance(exc, InvalidRequestError) else None
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(exc, _ProviderRateLimit) and retry_after is not None:
        headers["retry-after"] = str(max(1, round(retry_after)))
    if isinstance(exc, JobFailedError) and isinstance(exc.code, str) and exc.code:
        code = exc.code  # the provider's own failure code says more than ours
    message = str(exc) if isinstance(exc, VidbridgeError) else "internal error"
    return status_error(status, message, type=type_, param=param, code=code, headers=headers)


def failure_body(exc: BaseException) -> dict[str, str]:
    """``Video.error`` for a job that ended in ``exc``: ``{"code", "message"}``."""
    error = api_error(exc)
    return {"code": error.code or error.type or "server_error", "message": error.detail}


__all__ = [
    "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError",
    "AuthenticationError", "BadRequestError", "ConflictError", "InternalServerError",
    "NotFoundError", "OpenAIError", "PermissionDeniedError", "RateLimitError",
    "RequestTooLargeError", "UnprocessableEntityError", "api_error", "failure_body",
    "model_not_found", "status_error", "video_not_found",
]
