"""Every exception vidbridge raises.

VidbridgeError
├── ConfigError                  bad config, unknown provider or model
├── CapabilityError              the model cannot do what was asked; lists what it can
├── ProviderError                .provider .status .code .request_id .retryable
│   ├── AuthenticationError, InvalidRequestError, ContentPolicyError, InsufficientCreditsError
│   ├── RateLimitError           .retry_after
│   ├── ModelUnavailableError    retired or unknown model
│   ├── ProviderUnavailableError 5xx, timeout, network
│   ├── SubmitUncertainError     the submit may have been accepted; never resubmit blindly
│   │   └── SubmitInFlightError  ... and its answer is still coming (its sender lives)
│   ├── DownloadFailedError      succeeded (paid), download kept failing; never replaced
│   └── JobFailedError           accepted, then failed
├── JobTimeoutError              our deadline passed; the job id is kept for resuming
└── AllCandidatesFailedError     .attempts

No error holds a request, its headers or its query: messages are built from response bodies
and our own words only, so a key can never travel inside an exception.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx

    from .models import Attempt, Job


class VidbridgeError(Exception):
    """Base of every vidbridge exception."""

    retryable: ClassVar[bool] = False
    attempts: tuple[Any, ...] = ()  # set when a route stops on this error: every candidate


class ConfigError(VidbridgeError):
    """The configuration, a route, a provider or a model name is wrong."""


class CapabilityError(VidbridgeError):
    """The model cannot serve the request; ``field`` and ``allowed`` say what it accepts."""

    kind: ClassVar[str] = "capability"

    def __init__(self, message: str, *, field: str, allowed: Sequence[Any] = (),
                 model: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.allowed = tuple(allowed)
        self.model = model


class ProviderError(VidbridgeError):
    """A provider refused or failed a call."""

    kind: ClassVar[str] = "provider_error"

    def __init__(self, message: str, *, provider: str = "", status: int | None = None,
                 code: str | int | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        where = ", ".join(
            f"{name}={value}" for name, value in (
                ("provider", self.provider), ("status", self.status), ("code", self.code),
                ("request_id", self.request_id)) if value not in (None, "")
        )
        text = super().__str__()
        return f"{text} ({where})" if where else text


class AuthenticationError(ProviderError):
    """The key or token was missing, wrong, expired, or lacks permission."""

    kind = "auth"


class InvalidRequestError(ProviderError):
    """The provider rejected a parameter; ``param`` names it where the provider says."""

    kind = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.param = param


class ContentPolicyError(ProviderError):
    """A prompt, image or output was refused by moderation; ``reasons`` holds what was said."""

    kind = "content_policy"

    def __init__(self, message: str, *, reasons: Sequence[str] = (), **context: Any) -> None:
        super().__init__(message, **context)
        self.reasons = tuple(reasons)


class InsufficientCreditsError(ProviderError):
    """The account has no credit, quota or resource pack left."""

    kind = "insufficient_credits"


class RateLimitError(ProviderError):
    """Too many requests; wait ``retry_after`` seconds when the provider says."""

    kind = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None,
                 **context: Any) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class ModelUnavailableError(ProviderError):
    """The model is retired or unknown to the provider."""

    kind = "model_unavailable"


class ProviderUnavailableError(ProviderError):
    """The provider is down, overloaded, or unreachable; trying later may work."""

    kind = "unavailable"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None,
                 **context: Any) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class SubmitUncertainError(ProviderError):
    """A submit got no answer after it was sent: the provider may have accepted (and billed) it."""

    kind = "submit_uncertain"


class SubmitInFlightError(SubmitUncertainError):
    """The submit's answer is still coming: the process that sent it lives (a re-run of the
    same request beside it). Never a reason to try another candidate, whatever the route's
    ``on_uncertain`` says: that accepts a lost answer, not one on its way."""


class DownloadFailedError(ProviderError):
    """A job succeeded (and is paid for) but its download kept failing. The video exists:
    ``vidbridge resume ID`` fetches it. A route never falls back after this error."""

    kind = "download_failed"

    def __init__(self, message: str, *, job: Job | None = None, ledger_key: str | None = None,
                 **context: Any) -> None:
        super().__init__(message, **context)
        self.job = job
        self.ledger_key = ledger_key


class JobFailedError(ProviderError):
    """The provider accepted the job, then reported it failed."""

    kind = "job_failed"

    def __init__(self, message: str, *, job: Job | None = None, retryable: bool = False,
                 **context: Any) -> None:
        super().__init__(message, **context)
        self.job = job
        self.transient = retryable  # e.g. Runway INTERNAL.*: a new submit may well succeed


class JobTimeoutError(VidbridgeError):
    """Our deadline passed before the job finished; ``job`` keeps its id for ``resume``."""

    kind: ClassVar[str] = "timeout"

    def __init__(self, message: str, *, job: Job | None = None) -> None:
        super().__init__(message)
        self.job = job


class AllCandidatesFailedError(VidbridgeError):
    """No candidate of the route produced a video; ``attempts`` says why for each."""

    def __init__(self, message: str, *, attempts: Sequence[Attempt] = ()) -> None:
        super().__init__(message)
        self.attempts = tuple(attempts)


ERROR_KINDS: dict[str, type[VidbridgeError]] = {
    cls.kind: cls for cls in (
        AuthenticationError, InvalidRequestError, ContentPolicyError, InsufficientCreditsError,
        RateLimitError, ModelUnavailableError, ProviderUnavailableError, SubmitUncertainError,
        JobFailedError, JobTimeoutError, CapabilityError,
    )
}


def error_kind(error: BaseException) -> str:
    """The routing vocabulary name of an error (``rate_limited``, ``capability``...)."""
    return str(getattr(error, "kind", "other"))


def refuse_unknown_extra(extra: Mapping[str, Any], allowed: Collection[str], *,
                         provider: str, model: str) -> None:
    """Raise ``InvalidRequestError`` naming the first ``extra`` key the model does not take."""
    unknown = sorted(set(extra) - set(allowed))
    if unknown:
        raise InvalidRequestError(
            f"{model} takes no extra field(s) {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(allowed)) or 'none'}", provider=provider, param=unknown[0])


# --- translating wire errors: one place, used by every adapter -------------------------------

ErrorTable = Mapping[int | str, type[ProviderError]]


# A JSON answer from a video API is a few kilobytes; anything this large is not one.
MAX_JSON_BYTES = 4 * 1024 * 1024
# Retry hints past a day are not advice we follow (and ``inf`` would never wake up).
MAX_RETRY_AFTER_S = 86400.0


def _seconds(text: str, scale: float = 1.0) -> float | None:
    try:
        value = float(text) / scale
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, value), MAX_RETRY_AFTER_S) if math.isfinite(value) else None


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date).

    A value that is none of these (``"abc"``, ``"inf"``, ``nan``, a broken date) is ignored:
    None, so the caller's own backoff applies. A garbage hint never turns an error answer into
    a crash, and a hint past ``MAX_RETRY_AFTER_S`` is capped there.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    if (millis := lowered.get("retry-after-ms")) is not None and (
            found := _seconds(millis, 1000)) is not None:
        return found
    value = lowered.get("retry-after")
    if value is None or not value.strip():
        return None
    if (found := _seconds(value)) is not None:
        return found
    import email.utils  # rare (HTTP-date form), and heavy to import up front

    try:
        parsed = email.utils.parsedate_to_datetime(value)
        remaining = parsed.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return _seconds(str(remaining))


def response_json(response: httpx.Response) -> Any:
    """The JSON body, or None when there is none, it does not parse, or it is absurd.

    Bodies over ``MAX_JSON_BYTES`` are not read as JSON, and nesting deep enough to exhaust
    the recursion limit (``[[[[...``) is a body that does not parse, not a ``RecursionError``.
    """
    try:
        content = response.content
    except Exception:  # a streamed body not read (downloads): there is no JSON to give
        return None
    if not content or len(content) > MAX_JSON_BYTES:
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def default_error_for_status(status: int) -> type[ProviderError]:
    """The error class a bare HTTP status means when the provider's table says nothing."""
    if status in (401, 403):
        return AuthenticationError
    if status == 402:
        return InsufficientCreditsError
    if status == 404:
        return ModelUnavailableError
    if status in (408, 409, 425, 429):
        return RateLimitError if status == 429 else ProviderUnavailableError
    if status >= 500:
        return ProviderUnavailableError
    return InvalidRequestError


def raise_for_error(response: httpx.Response, *, provider: str, table: ErrorTable,
                    code: str | int | None = None, message: str | None = None,
                    param: str | None = None, request_id: str | None = None,
                    retry_after: float | None = None) -> None:
    """Raise the mapped ``ProviderError`` for an error response; return if it is a success.

    ``code`` is the provider's own code, looked up in ``table`` before the HTTP status.
    """
    if response.is_success and code is None:
        return
    status = response.status_code
    cls = table.get(code) if code is not None else None
    if cls is None:
        cls = table.get(status) or default_error_for_status(status)
    request_id = request_id or response.headers.get("x-request-id")
    text = message or f"HTTP {status} from {provider}"
    context: dict[str, Any] = {"provider": provider, "status": status, "code": code,
                               "request_id": request_id}
    if cls is InvalidRequestError or issubclass(cls, InvalidRequestError):
        context["param"] = param
    if issubclass(cls, RateLimitError | ProviderUnavailableError):
        context["retry_after"] = (retry_after if retry_after is not None
                                  else retry_after_seconds(response.headers))
    raise cls(text, **context)
