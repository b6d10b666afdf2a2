"""The one typed path from a provider's body to an adapter's values (public contract).

An adapter declares the shapes it reads as ``WireModel`` subclasses (pydantic, lenient:
fields the provider adds are ignored, numbers become strings where a string is declared)
and reads every body with ``parse_as``. A body of the wrong shape -- not JSON, HTML, an
object missing its id, a field of the wrong type -- becomes a ``ProviderError`` that names
the provider, the HTTP status, what was expected and a short excerpt of what came, never a
``KeyError`` or ``TypeError``. ``unknown_status`` does the same for a status value an
adapter's table does not know, and ``timestamp`` reads epoch times without overflowing.
The way back, from an answer's values to the next URL: ``segment`` (a job id),
``resource_path`` (a name with slashes) and ``host_label`` (a region in a host name), so an
id cannot send a request that carries the key anywhere else.

    class Task(wire.WireModel):
        id: str
        status: str
        progress: float | None = None

    task = wire.parse_as(response, Task, provider="acme", expected="a task object")
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ProviderError, ProviderUnavailableError, SubmitUncertainError, response_json
from .redaction import redact

EXCERPT_CHARS = 120
M = TypeVar("M", bound=BaseModel)


class WireModel(BaseModel):
    """Base of a provider response shape: unknown fields ignored, numbers read as strings."""

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True,
                              defer_build=True)


def excerpt(response: httpx.Response, limit: int = EXCERPT_CHARS) -> str:
    """The start of the body as printable text, redacted (it may hold a signed URL)."""
    try:
        content = response.content
    except Exception:  # a streamed body nobody read
        return "<unread body>"
    if not content:
        return "<empty body>"
    text = content[: limit * 4].decode("utf-8", "replace")
    text = "".join(char if char.isprintable() else " " for char in text)
    text = " ".join(redact(text).split())
    cut = len(text) > limit or len(content) > limit * 4
    return repr(text[:limit] + ("..." if cut else ""))


def malformed(response: httpx.Response, *, provider: str, expected: str,
              problem: str = "", submit: bool = False) -> ProviderError:
    """The error for a body that is not the ``expected`` shape.

    A wrong answer to a *submit* that reported success may still mean the job was accepted
    (and billed), so it is a ``SubmitUncertainError`` (never resubmitted blindly); otherwise
    it is a ``ProviderUnavailableError`` (retryable: a poll or a later call may read fine).
    """
    status = response.status_code
    why = f" ({problem})" if problem else ""
    message = (f"{provider} answered HTTP {status} with a body that is not {expected}{why}: "
               f"{excerpt(response)}")
    request_id = response.headers.get("x-request-id")
    if submit and response.is_success:
        return SubmitUncertainError(message + "; the job may have been accepted",
                                    provider=provider, status=status, request_id=request_id)
    return ProviderUnavailableError(message, provider=provider, status=status,
                                    request_id=request_id)


def parse_as(response: httpx.Response, model: type[M], *, provider: str, expected: str,
             submit: bool = False, data: Any = None) -> M:
    """``model`` validated from the JSON body (or from ``data`` already taken from it)."""
    if data is None:
        data = response_json(response)
    if data is None:
        raise malformed(response, provider=provider, expected=expected,
                        problem="no JSON", submit=submit)
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        problem = _first_problem(invalid)
    except RecursionError:  # absurd nesting inside a field typed Any
        problem = "nested too deeply"
    raise malformed(response, provider=provider, expected=expected, problem=problem,
                    submit=submit)


def read(model: type[M], data: Any) -> M | None:
    """``model`` from ``data``, or None when it does not fit (an error envelope that does not
    parse still leaves the HTTP status to map)."""
    try:
        return model.model_validate(data)
    except (ValidationError, RecursionError):
        return None


def unknown_status(response: httpx.Response, value: Any, known: Mapping[str, Any] | Any, *,
                   provider: str, what: str = "status") -> ProviderError:
    """The error for a status value the adapter's table does not know (read, not guessed)."""
    shown = repr(value)[:EXCERPT_CHARS]
    return ProviderUnavailableError(
        f"{provider} answered HTTP {response.status_code} with an unknown {what} {shown}; "
        f"known: {', '.join(map(str, known))}", provider=provider,
        status=response.status_code, request_id=response.headers.get("x-request-id"))


def timestamp(seconds: Any, *, scale: float = 1.0) -> datetime | None:
    """An epoch time (seconds, or milliseconds with ``scale=1000``) as UTC, else None.

    A value that is not a number, or out of datetime's range, is treated as absent: a time
    stamp is never worth failing a job over.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(float(seconds) / scale, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def iso_time(text: Any) -> datetime | None:
    """An ISO 8601 time (``2026-01-01T00:00:00Z``), else None (absent or unreadable)."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _first_problem(invalid: ValidationError) -> str:
    first = invalid.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "body"
    return f"{where}: {first.get('msg', 'invalid')}"[:EXCERPT_CHARS]


# Parsed submit URLs by their text (see ``endpoint``); cleared when full, not an LRU: the
# distinct submit URLs of a process are few (one per provider base and model or family).
_ENDPOINTS: dict[str, httpx.URL] = {}
_ENDPOINTS_MAX = 256


def endpoint(text: str) -> httpx.URL:
    """``text`` as an ``httpx.URL``, parsed once per process.

    For a submit's URL: the configured base URL and fixed path segments, the same for every
    request to one model, so its parse (most of the cost of building an ``httpx.Request``)
    is paid once. Never pass a URL that carries a secret (a ``?key=`` query) or a per-job id:
    the cache keeps what it is given, and a per-job URL would only fill it.
    """
    url = _ENDPOINTS.get(text)
    if url is None:
        if len(_ENDPOINTS) >= _ENDPOINTS_MAX:
            _ENDPOINTS.clear()
        url = _ENDPOINTS[text] = httpx.URL(text)
    return url


# What a job id is nearly always (UUIDs, ``video_...``, digits): kept as it is, unquoted.
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")


def segment(value: str) -> str:
    """A provider's job id as one URL path segment, for the poll, cancel and download URLs.

    The id comes from an answer (or a person's ``--adopt``); a ``/``, ``?``, ``#`` or ``..``
    in it must not steer a request carrying our key elsewhere on the provider's host (httpx
    resolves ``..``). Such characters are percent-encoded; an empty, ``.`` or ``..`` id is
    ``httpx.InvalidURL``, which the engine reports as the answer's ``ProviderError``.
    """
    if value in ("", ".", ".."):
        raise httpx.InvalidURL(f"{value!r} is not a job id a URL path can carry")
    return value if _PLAIN_SEGMENT.fullmatch(value) else quote(value, safe="")


def resource_path(name: str) -> str:
    """A resource name made of segments (``models/veo-3.1/operations/abc``), each one
    ``segment``-checked: its slashes stay, nothing else in it can add or climb a level."""
    return "/".join(segment(part) for part in name.split("/"))


_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def host_label(value: str) -> str:
    """``value`` (a region such as ``us-central1``) as one DNS label of a host name, else
    ``httpx.InvalidURL``: a region read from a job id must not name another host."""
    if not _HOST_LABEL.fullmatch(value):
        raise httpx.InvalidURL(f"{value[:80]!r} is not a region a host name can carry")
    return value


def check_region(options: Mapping[str, str], provider: str, credential: str) -> None:
    """A configured ``location`` option that ``host_label`` refuses, as a ``ConfigError``
    when the credentials are checked (before any request), naming the option."""
    from .errors import ConfigError

    location = options.get("location")
    if location is not None and not _HOST_LABEL.fullmatch(location):
        raise ConfigError(f"{provider}: location {location[:80]!r} of credential {credential!r}"
                          " is not a region such as us-central1 or global")
