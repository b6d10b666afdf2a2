"""Request body cap, enforced before a handler sees the body: by ``Content-Length`` when it
is declared, else while the body streams in (chunked uploads cannot slip past)."""

from __future__ import annotations

import json
from typing import Any

from ..compat._errors import RequestTooLargeError

Scope = dict[str, Any]


def too_large(limit: int) -> RequestTooLargeError:
    return RequestTooLargeError(f"Request body is larger than this gateway's limit of "
                                f"{limit} bytes.", code="request_too_large")


class BodyLimit:
    """ASGI middleware: 413 in the official error shape above ``max_bytes``."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        # More digits than any limit has is too large as it is: int() refuses 4,300+ digits
        # (uvicorn's h11 refuses such a header first; another ASGI server may not).
        if declared is not None and declared.isdigit() and (
                len(declared) > len(str(self.max_bytes)) or int(declared) > self.max_bytes):
            await _send_error(send, too_large(self.max_bytes))
            return
        received = 0

        async def limited() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large(self.max_bytes)  # the app's error handler answers 413
            return message

        await self.app(scope, limited, send)


async def _send_error(send: Any, error: RequestTooLargeError) -> None:
    body = json.dumps(error.to_body()).encode()
    await send({"type": "http.response.start", "status": error.status_code,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
