"""Slow clients are cut off: a deadline for the request headers and one for the body.

uvicorn times out only idle keep-alive connections: a client sending its headers or its body
one byte a second holds a connection (and a task) for as long as it likes, and a few hundred
of them starve everyone else. Two limits close that:

- **headers**: ``HEADER_TIMEOUT_S`` (10 s) from the moment a connection opens, or from the
  end of the previous response on a kept-alive connection, to a complete request head.
  Enforced in the HTTP protocol (a subclass of uvicorn's h11 protocol): the connection is
  closed without an answer, as nginx's ``client_header_timeout`` does.
- **body**: ``BODY_TIMEOUT_S`` (60 s, enough for a 25 MB upload at ~3.5 Mbit/s) from the
  first read of the body to its last byte. Enforced in ASGI middleware around ``receive``:
  the client gets a 408 in the official error shape and the connection is closed.

Both are ``[gateway] header_timeout_s`` / ``body_timeout_s`` in the config.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..compat import _errors as e

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 60.0


def body_too_slow(timeout_s: float) -> e.APIStatusError:
    return e.status_error(408, f"The request body did not arrive within {timeout_s:g} "
                               "seconds.", code="request_timeout",
                          headers={"connection": "close"})


class BodyDeadline:
    """ASGI middleware: the whole body must arrive within ``timeout_s`` of its first read."""

    def __init__(self, app: Any, timeout_s: float = BODY_TIMEOUT_S) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        complete = False

        async def bounded() -> Any:
            nonlocal deadline, complete
            if complete:  # after the body, receive() only waits for a disconnect
                return await receive()
            if deadline is None:
                deadline = loop.time() + self.timeout_s
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise body_too_slow(self.timeout_s) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, bounded, send)


def guarded_h11(header_timeout_s: float = HEADER_TIMEOUT_S) -> type[Any]:
    """uvicorn's h11 protocol, closing a connection whose request head is late."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadlineH11(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(header_timeout_s, self._head_late)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_late(self) -> None:
            self._head_timer = None
            if self.cycle is None or self.cycle.response_complete:  # no request in progress
                self.transport.close()

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # the head is in: the body deadline takes over

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request's head has the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadlineH11
