"""Keep signed URLs out of the gateway's logs.

httpx logs every request URL at INFO, and providers sign output URLs with tokens in the
query (Runway's ``_jwt``, Google's ``key``). The gateway cuts every URL query from the
records of the HTTP client loggers, so turning logging up never writes a credential.
"""

from __future__ import annotations

import logging
import re

HTTP_LOGGERS = ("httpx", "httpcore", "httpx2", "httpcore2")
_QUERY = re.compile(r"(https?://[^\s\"'?#]+)\?[^\s\"'#]*")


class RedactQueries(logging.Filter):
    """Replace the query of every URL in a record with ``?REDACTED``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _QUERY.sub(r"\1?REDACTED", message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install() -> None:
    """Add the filter to the HTTP client loggers once per process."""
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueries) for f in logger.filters):
            logger.addFilter(RedactQueries())
