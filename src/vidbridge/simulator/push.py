"""Provider push: POST a job's status changes to the callback URL its submit named.

Kling sends its bare task object to ``callback_url`` on status changes (reference kling.md
§3.6); the simulator sends two: when rendering starts (``processing``) and the ending. The
Gemini API's per-request ``webhook_config.uris`` receive event notifications whose body is
not documented in the sources read: the simulator sends ``{"type": "interaction.completed"
| "interaction.failed", "data": {"id"}}`` at the ending (event names from google-genai
3.6.1's webhook event list) — our reading.

Each push runs as a background task, waits on the simulated clock (``settings.pause``), and
is tried ``push_tries`` times with backoff; a receiver that never answers 2xx is given up
on. Nothing here blocks a request of the simulator.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx

from .jobs import QUEUED_SHARE, Job
from .settings import SimulatorSettings

log = logging.getLogger("vidbridge.simulator.push")
MAX_PENDING = 1000  # pushes in flight; more are dropped (the receiver still polls)
MAX_WAITS = 1000


class Pusher:
    """Schedules and sends the pushes of one simulator."""

    def __init__(self, settings: SimulatorSettings) -> None:
        self.settings = settings
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent: list[tuple[str, int | None]] = []  # (url, status or None): for tests

    def schedule(self, job: Job, url: str, body_of: Callable[[], dict[str, Any]],
                 progress: bool = False) -> None:
        """Push ``body_of()`` to ``url`` once ``job`` is done (clock mode only); with
        ``progress`` also once when it starts rendering (Kling calls back on each change)."""
        if self.settings.fast or len(self._tasks) >= MAX_PENDING:
            return
        task = asyncio.get_running_loop().create_task(self._run(job, url, body_of, progress))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Job, url: str, body_of: Callable[[], dict[str, Any]],
                   progress: bool) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            if progress and await self._until(job, QUEUED_SHARE) == "running":
                await self._send(client, url, body_of())
            if await self._until(job, 1.0) == "done":
                await self._send(client, url, body_of())

    async def _until(self, job: Job, share: float) -> str | None:
        """Wait (simulated clock) until ``share`` of the render time passed; the phase then,
        or None if the job was cancelled or the clock never got there."""
        settings = self.settings
        for _ in range(MAX_WAITS):  # bounded: an injected clock may never reach the end
            if job.cancelled:
                return None
            phase, _ = job.stage(settings)
            left = job.created + share * job.render_seconds(settings) - settings.now()
            if left <= 0 or phase == "done":
                return phase
            await settings.pause(max(left, 0.001))
        return None

    async def _send(self, client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> None:
        settings = self.settings
        for attempt in range(max(settings.push_tries, 1)):
            status: int | None = None
            try:
                status = (await client.post(url, json=body)).status_code
            except httpx.HTTPError as exc:
                log.debug("push to %s failed: %s", url, type(exc).__name__)
            self.sent.append((url, status))
            if status is not None and (200 <= status < 300 or status in (400, 404, 410)):
                return  # delivered, or the receiver says it will never take it
            if attempt + 1 < settings.push_tries:
                await settings.pause(settings.push_backoff_seconds * 2 ** attempt)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def callback_urls(value: Any) -> list[str] | None:
    """The http(s) URLs of a Gemini ``webhook_config`` ({uris: [...], user_metadata}), or
    None when it is not that shape."""
    if not isinstance(value, dict) or not set(value) <= {"uris", "user_metadata"}:
        return None
    uris = value.get("uris", [])
    if not isinstance(uris, list) or not all(
            isinstance(uri, str) and uri.startswith(("http://", "https://")) for uri in uris):
        return None
    if not isinstance(value.get("user_metadata", {}), dict):
        return None
    return list(uris)
