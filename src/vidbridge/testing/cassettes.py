"""How cassettes are recorded and replayed: secrets out, bodies readable, requests pinned.

``vcr_config()`` is what the contract suite hands to pytest-recording. It never sets
``record_mode``: the ``--record-mode`` flag decides, and replay (``none``) is the default.
"""

from __future__ import annotations

import re
from typing import Any

from ..redaction import REDACTED as REDACTED
from ..redaction import SECRET_QUERY as SECRET_QUERY
from ..redaction import redact

# Request headers that carry a credential (cookies are dropped with the noisy headers).
SECRET_HEADERS = ("authorization", "x-goog-api-key", "x-api-key", "api-key")
NOISY_HEADERS = frozenset({"set-cookie", "openai-organization", "openai-project", "cf-ray",
                           "date", "x-goog-user-project", "alt-svc", "server-timing"})
MULTIPART_BOUNDARY = "vidbridge-boundary"
# Recorded video bodies above this size become a placeholder: cassettes stay reviewable.
MAX_VIDEO_BODY = 16 * 1024

_BOUNDARY = re.compile(r"boundary=\"?([^\";]+)\"?")


def vcr_config() -> dict[str, Any]:
    """Keyword arguments for ``vcr.use_cassette``: filters, scrubber and matchers."""
    return {
        "filter_headers": [(name, REDACTED) for name in SECRET_HEADERS],
        "filter_query_parameters": [(name, REDACTED) for name in SECRET_QUERY],
        "before_record_request": canonical_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,  # readable diffs, and text the scan can see
        # vcrpy's "body" matcher compares JSON bodies by value; canonical_request makes
        # multipart bodies comparable by giving them one fixed boundary.
        "match_on": ("method", "scheme", "host", "port", "path", "query", "body"),
    }


def redact_signed_urls(text: str) -> str:
    """Replace the value of every secret query parameter inside ``text`` with REDACTED."""
    return redact(text, keep_queries=True)


def canonical_request(request: Any) -> Any:
    """Give a multipart request body a fixed boundary (applied on record and on replay).

    httpx draws a random boundary per request; with a fixed one a cassette pins each part
    (names, file names, types and bytes) and the plain body matcher can compare them.
    """
    content_type = _header(request.headers, "content-type")
    match = _BOUNDARY.search(content_type or "")
    if not content_type or not content_type.startswith("multipart/") or match is None:
        return request
    boundary = match[1]
    body = request.body
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogateescape")
    if body is not None:
        request.body = body.replace(boundary.encode(), MULTIPART_BOUNDARY.encode())
    _set_header(request.headers, "content-type", content_type.replace(boundary,
                                                                      MULTIPART_BOUNDARY))
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drop noisy headers, redact signed URLs, and shrink large video bodies (on record)."""
    headers: dict[str, list[str]] = response.get("headers") or {}
    for name in [name for name in headers if name.lower() in NOISY_HEADERS]:
        del headers[name]
    for name in [name for name in headers if name.lower() == "location"]:
        headers[name] = [redact_signed_urls(value) for value in headers[name]]
    body = response.get("body") or {}
    content = body.get("string")
    content_type = next((values[0] for name, values in headers.items()
                         if name.lower() == "content-type" and values), "")
    if isinstance(content, bytes | bytearray) and content_type.startswith("video/"):
        if len(content) > MAX_VIDEO_BODY:
            body["string"] = (f"vidbridge: {len(content)} video bytes removed by "
                              "scrub_response").encode()
    elif isinstance(content, bytes | bytearray):
        try:
            text = bytes(content).decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            body["string"] = redact_signed_urls(text).encode("utf-8")
    elif isinstance(content, str):
        body["string"] = redact_signed_urls(content)
    new = body.get("string")
    if new is not content and isinstance(new, bytes):
        for name in [name for name in headers if name.lower() == "content-length"]:
            headers[name] = [str(len(new))]
    return response


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else str(value)
    return None


def _set_header(headers: Any, name: str, value: str) -> None:
    for key in list(dict(headers)):
        if key.lower() == name:
            headers[key] = value
