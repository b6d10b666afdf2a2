"""One redaction function for everything vidbridge writes: log lines and error excerpts.

Providers sign output URLs with tokens in the query (Runway's ``_jwt``, Google's ``key``,
storage ``X-Goog-Signature``...), and a log line or a quoted body may carry a credential
header or a bearer token. ``redact`` cuts every URL query (a signature parameter we do not
know by name is still a secret) and masks credential header values and bearer tokens.
``install()`` puts a filter doing this on vidbridge's own loggers and the HTTP client loggers,
so turning logging up to DEBUG never writes a credential.
"""

from __future__ import annotations

import logging
import re

REDACTED = "REDACTED"
SECRET_HEADERS = ("authorization", "proxy-authorization", "x-goog-api-key", "x-api-key",
                  "api-key", "cookie", "set-cookie")
# Query parameters that carry a key or a URL signature: Veo accepts ?key=, Runway signs
# output URLs with _jwt, storage redirects carry X-Goog-/X-Amz- signatures.
SECRET_QUERY = ("key", "_jwt", "token", "X-Goog-Signature", "X-Goog-Credential",
                "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "Signature",
                "sig")
LOGGERS = ("vidbridge", "vidbridge.compat", "vidbridge.gateway", "vidbridge.engine",
           "vidbridge.routing", "httpx", "httpcore", "httpx2", "httpcore2")

_QUERY = re.compile(r"(https?://[^\s\"'?#<>]+)\?[^\s\"'#<>]*")
_NAMED_QUERY = re.compile(
    r"([?&](?:" + "|".join(re.escape(name) for name in SECRET_QUERY) + r")=)[^&\"'\s<>]+",
    re.IGNORECASE)
_HEADER = re.compile(
    r"((?:^|[\s{,'\"(\[])(?:" + "|".join(re.escape(name) for name in SECRET_HEADERS)
    + r")['\"]?\s*[:=,]\s*['\"]?)(?!REDACTED)[^'\"\r\n,})\]]+", re.IGNORECASE)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+(?!REDACTED)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")


def redact(text: str, *, keep_queries: bool = False) -> str:
    """``text`` with URL queries, credential header values and bearer tokens replaced.

    ``keep_queries`` redacts only the named signature parameters (``SECRET_QUERY``) and keeps
    the rest of each query readable (cassettes, which reviewers read).
    """
    if keep_queries:
        text = _NAMED_QUERY.sub(lambda match: match[1] + REDACTED, text)
    else:
        text = _QUERY.sub(r"\1?" + REDACTED, text)
    text = _HEADER.sub(lambda match: match[1] + REDACTED, text)
    text = _BEARER.sub(lambda match: f"{match[1]} {REDACTED}", text)
    return _JWT.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrite every record's message through ``redact``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not format: leave it to logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class _CutPathSecret(logging.Filter):
    """Replace what ``pattern``'s second part matches in a record's arguments (uvicorn's access
    log passes the request path as one), keeping group 1, the part that names the route."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        super().__init__()
        self.pattern = pattern

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(self.pattern.sub(r"\1" + REDACTED, a) if isinstance(a, str)
                                else a for a in record.args)
        return True


def cut_from_access_log(pattern: re.Pattern[str], name: str = "uvicorn.access") -> None:
    """Keep a secret carried in request paths (a link signature, a callback token) out of the
    server's access log; idempotent per pattern. ``RedactingFilter`` cannot: these secrets are
    ours, in our own routes, and look like any other path."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, _CutPathSecret) and f.pattern == pattern for f in logger.filters):
        logger.addFilter(_CutPathSecret(pattern))


def install(names: tuple[str, ...] = LOGGERS) -> None:
    """Add the filter to ``names`` (idempotent). Filters on a logger see only its own records,
    so each logger vidbridge writes to is listed, not just the ``vidbridge`` parent."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
