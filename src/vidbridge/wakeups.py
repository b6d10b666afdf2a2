"""Wake-up signals that cut a job's poll wait short (a provider's push said "look now").

The engine's poll loop yields ``Sleep(seconds, wake=key)``; the drivers wait through
``Wakeups`` instead of a plain sleep, so ``wake(key)`` from any thread (the gateway's callback
route, a DBOS message) ends that job's current wait at once, or its next one if no wait is
running (a push that lands while a poll is in flight is not lost). A wake never changes a
job's state: the poll that follows reads the provider, as it would have anyway.

Keys are per job *request*: ``wake_key(provider, request_key)``, known before the submit (the
token URL goes into the submit body), so a push that beats the submit's answer still counts.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # asyncio loads only with an async wait: sync clients stay light
    import asyncio

# A wake nobody has waited for yet is kept this long (a push that beat the job's first wait);
# then it is dropped, so wakes for jobs that never wait cannot pile up.
PENDING_KEEP_S = 900.0
MAX_PENDING = 10_000


class CallbackUrls(Protocol):
    """Where a job's provider may push (the gateway's token URLs); None: nowhere."""

    def url_for(self, provider: str, request_key: str) -> str | None: ...


def wake_key(provider: str, request_key: str) -> str:
    """The key a job's poll waits under: the config's provider name and our request key."""
    return f"{provider}/{request_key}"


class _Waiter:
    """One wait in progress: a thread's event, an asyncio event on its own loop, or (an
    injected sleep that runs whole) only the flag a wake sets."""

    __slots__ = ("async_event", "loop", "thread_event", "woken")

    def __init__(self, loop: asyncio.AbstractEventLoop | None, blocking: bool = True) -> None:
        self.loop = loop
        self.woken = False
        self.thread_event = threading.Event() if loop is None and blocking else None
        self.async_event: asyncio.Event | None = None
        if loop is not None:
            import asyncio

            self.async_event = asyncio.Event()

    def set(self) -> None:
        self.woken = True
        if self.thread_event is not None:
            self.thread_event.set()
        elif self.loop is not None and self.async_event is not None:
            # A closed loop raises RuntimeError: nobody is waiting there any more.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.async_event.set)


class Wakeups:
    """Per-key wake signals shared by every driver of one client (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._waiting: dict[str, set[_Waiter]] = {}
        self._pending: dict[str, float] = {}
        self.woken = 0  # wakes delivered (waits cut short or pending taken): for benchmarks

    def wake(self, key: str) -> bool:
        """End ``key``'s current wait, or its next one; True when a wait was running."""
        with self._lock:
            waiters = self._waiting.get(key)
            if waiters:
                for waiter in waiters:
                    waiter.set()
                return True
            now = self.clock()
            if len(self._pending) >= MAX_PENDING:
                self._prune(now)
            self._pending[key] = now
            return False

    def _prune(self, now: float) -> None:
        for stale in [k for k, at in self._pending.items() if now - at > PENDING_KEEP_S]:
            del self._pending[stale]
        while len(self._pending) >= MAX_PENDING:  # still full: drop the oldest
            del self._pending[next(iter(self._pending))]

    def _take(self, key: str) -> bool:
        at = self._pending.pop(key, None)
        return at is not None and self.clock() - at <= PENDING_KEEP_S

    def _enter(self, key: str, loop: asyncio.AbstractEventLoop | None,
               blocking: bool = True) -> _Waiter | None:
        """Register a wait, or None when a wake is already pending (consumed here)."""
        with self._lock:
            if self._take(key):
                self.woken += 1
                return None
            waiter = _Waiter(loop, blocking)
            self._waiting.setdefault(key, set()).add(waiter)
            return waiter

    def _leave(self, key: str, waiter: _Waiter) -> None:
        with self._lock:
            waiters = self._waiting.get(key)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiting[key]

    def wait(self, key: str, seconds: float,
             sleep: Callable[[float], None] | None = None) -> bool:
        """Block up to ``seconds`` or until woken; True if woken. An injected ``sleep``
        (tests' fake time) runs whole, then a wake that came meanwhile is reported."""
        if seconds <= 0:  # nothing to cut short: only a wake already pending is taken
            with self._lock:
                woke = self._take(key)
        else:
            real = sleep is None or sleep is time.sleep
            waiter = self._enter(key, None, blocking=real)
            if waiter is None:
                return True
            try:
                if real:
                    assert waiter.thread_event is not None
                    waiter.thread_event.wait(seconds)
                else:
                    assert sleep is not None
                    sleep(seconds)
            finally:
                self._leave(key, waiter)
            woke = waiter.woken
        if woke:
            self.woken += 1
        return woke

    async def await_wait(self, key: str, seconds: float,
                         sleep: Callable[[float], Any] | None = None) -> bool:
        """The async ``wait``: races the (injected) sleep against the wake; True if woken."""
        import asyncio

        waiter = self._enter(key, asyncio.get_running_loop())
        if waiter is None:
            return True
        try:
            assert waiter.async_event is not None
            slept = (sleep or asyncio.sleep)(max(seconds, 0.0))
            if not isinstance(slept, Awaitable):
                woke = waiter.woken  # a blocking sleep ran whole
            else:
                woke = await _race(slept, waiter.async_event)
        finally:
            self._leave(key, waiter)
        if woke:
            self.woken += 1
        return woke


async def _race(slept: Awaitable[Any], event: asyncio.Event) -> bool:
    import asyncio

    tasks = (asyncio.ensure_future(slept), asyncio.ensure_future(event.wait()))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # reaped: nothing logged
    return event.is_set()
