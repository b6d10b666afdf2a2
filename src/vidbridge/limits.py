"""Per-provider in-flight limits, and an HTTP pool sized to match.

Every request the engine yields carries its provider's name (``request.extensions``); the
drivers hold one semaphore per provider, so at most ``max_concurrent`` requests to a provider
are in flight and the rest wait in a cheap FIFO queue. The pool has a connection for each
slot: waiting in httpcore's own pool queue instead costs O(waiters) per assignment, which
made 1,000 concurrent jobs CPU-bound (issue 10: 215 of 226 s in
``_assign_requests_to_connections``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import httpx

# Enough for a busy account (providers' own concurrency caps are lower), and small enough that
# a pool of this many connections per provider stays cheap.
DEFAULT_MAX_CONCURRENT = 64
PROVIDER_TAG = "vidbridge.provider"


def tag(request: httpx.Request, provider: str) -> httpx.Request:
    """Mark ``request`` as ``provider``'s (the drivers limit by this)."""
    request.extensions[PROVIDER_TAG] = provider
    return request


def provider_of(request: httpx.Request) -> str:
    return str(request.extensions.get(PROVIDER_TAG) or request.url.host)


def pool_limits(total: int) -> httpx.Limits:
    """A pool with a kept-alive connection for each in-flight slot."""
    return httpx.Limits(max_connections=total, max_keepalive_connections=total,
                        keepalive_expiry=30.0)


class Limiter:
    """Lazily built semaphores, one per provider, sized by ``limit_for(provider)``."""

    def __init__(self, limit_for: Callable[[str], int], *, asynchronous: bool) -> None:
        self.limit_for = limit_for
        self.asynchronous = asynchronous
        self._slots: dict[str, Any] = {}
        self._guard = threading.Lock()

    def slot(self, request: httpx.Request) -> Any:
        """The semaphore (a context manager; ``async with`` for the async driver)."""
        provider = provider_of(request)
        found = self._slots.get(provider)
        if found is None:
            with self._guard:
                found = self._slots.get(provider)
                if found is None:
                    limit = self.limit_for(provider)
                    if self.asynchronous:
                        import anyio

                        found = anyio.Semaphore(limit)
                    else:
                        found = Tokens(limit)
                    self._slots[provider] = found
        return found


class Tokens:
    """The sync drivers' slots: ``limit`` tokens in a C-implemented queue. Taking one blocks
    (without the GIL) while all are out; a ``threading.Semaphore`` would run a few dozen lines
    of Python per request for the same thing."""

    __slots__ = ("_tokens",)

    def __init__(self, limit: int) -> None:
        self._tokens: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(limit):
            self._tokens.put(None)

    def __enter__(self) -> None:
        self._tokens.get()

    def __exit__(self, *exc: object) -> None:
        self._tokens.put(None)
