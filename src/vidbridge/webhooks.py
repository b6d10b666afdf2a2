"""Outbound webhooks in the OpenAI format: ``video.completed`` / ``video.failed`` events.

Each terminal video becomes one event per subscribed endpoint, ``{"id", "object": "event",
"type", "created_at", "data": {"id": VIDEO_ID}}``, signed per Standard Webhooks
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) with the endpoint's ``whsec_``
secret, exactly what the official SDK's ``client.webhooks.unwrap`` verifies. A delivery is
recorded before it is sent and after every try, retried with exponential backoff on any
non-2xx answer or network error for a bounded time, and runs in its own task, so a slow or
dead receiver never holds up a job. Requests go out on a client of their own: no provider key
or gateway key can ride along.

The gateway runs a ``Dispatcher`` on its loop; library users (the compat clients, or any
``VideoClient`` through ``WebhookObserver``) get a ``BackgroundDispatcher`` on a thread.
``standardwebhooks`` (the ``server`` extra) is imported on the first signature.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from . import _sql
from .errors import ConfigError
from .hookspecs import hookimpl

if TYPE_CHECKING:
    import httpx

    from .models import VideoResult

log = logging.getLogger("vidbridge.webhooks")
EVENTS = ("video.completed", "video.failed")
EVENT_OF_STATUS = {"completed": "video.completed", "failed": "video.failed",
                   "succeeded": "video.completed", "cancelled": "video.failed"}
RETRY_FOR_S = 3600.0  # give up on an endpoint an hour after the event (the video's lifetime)
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 300.0
TIMEOUT_S = 10.0
USER_AGENT = "vidbridge-webhooks/1"
EXIT_FLUSH_S = 10.0  # how long a finishing process waits for its deliveries

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id TEXT PRIMARY KEY,            -- the webhook-id header: the same on every retry
    event_id TEXT NOT NULL,
    url TEXT NOT NULL,              -- the endpoint (never its secret)
    type TEXT NOT NULL,
    video_id TEXT NOT NULL,
    payload TEXT NOT NULL,          -- the exact body signed and sent
    status TEXT NOT NULL,           -- pending | delivered | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,            -- HTTP status of the last try (NULL: no answer)
    last_error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_video ON webhook_deliveries (video_id);
"""


@dataclass(frozen=True)
class Endpoint:
    """One ``[[gateway.webhooks]]`` entry with its secret read from the environment."""

    url: str
    secret: SecretStr
    events: frozenset[str] = frozenset(EVENTS)
    key: str | None = None  # only videos made with this gateway key (None: all)

    def wants(self, event_type: str, key_name: str | None) -> bool:
        return event_type in self.events and (self.key is None or self.key == key_name)


def endpoints(entries: Iterable[Any], environ: Mapping[str, str]) -> list[Endpoint]:
    """Endpoints from config entries (``url``, ``secret_env``, ``events``, ``key``)."""
    found = []
    for index, entry in enumerate(entries):
        value = environ.get(entry.secret_env, "")
        where = f"gateway.webhooks[{index}].secret_env"
        if not value:
            raise ConfigError(f"{where}: environment variable {entry.secret_env} is not set "
                              "(it holds the endpoint's whsec_... signing secret)")
        if not value.startswith("whsec_"):
            raise ConfigError(f"{where}: ${entry.secret_env} must hold a whsec_... secret "
                              "(base64 after the prefix), as OpenAI issued them")
        found.append(Endpoint(entry.url, SecretStr(value), frozenset(entry.events), entry.key))
    return found


def new_secret() -> str:
    """A fresh ``whsec_`` secret (24 random bytes, base64), for setting up an endpoint."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def event_body(event_type: str, video_id: str, created_at: int) -> str:
    """The JSON an endpoint receives, as the exact text that is signed."""
    return json.dumps({"id": "evt_" + secrets.token_hex(16), "object": "event",
                       "type": event_type, "created_at": created_at,
                       "data": {"id": video_id}}, separators=(",", ":"))


def signed_headers(secret: SecretStr, message_id: str, timestamp: int,
                   body: str) -> dict[str, str]:
    """The Standard Webhooks headers for one try of one message."""
    from standardwebhooks.webhooks import Webhook

    signature = Webhook(secret.get_secret_value()).sign(
        message_id, datetime.fromtimestamp(timestamp, tz=UTC), body)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature, "content-type": "application/json",
            "user-agent": USER_AGENT}


class DeliveryLog:
    """Every delivery and its tries, in SQLite (the gateway database, or memory)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        location = str(path)
        self._lock = threading.Lock()
        # A SQLite path, or the gateway workers' shared postgresql:// URL.
        self._db = _sql.open_with(location, SCHEMA, "webhook store")

    def add(self, delivery_id: str, url: str, event_type: str, video_id: str, payload: str,
            now: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO webhook_deliveries (id, event_id, url, type, video_id, payload, "
                "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (delivery_id, json.loads(payload)["id"], url, event_type, video_id, payload,
                 now, now))

    def tried(self, delivery_id: str, status: int | None, error: str | None, outcome: str,
              now: float) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE webhook_deliveries SET attempts=attempts+1, last_status=?, "
                "last_error=?, status=?, updated_at=? WHERE id=?",
                (status, error, outcome, now, delivery_id))

    def rows(self, where: str = "", *args: Any) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._db.execute(f"SELECT * FROM webhook_deliveries {where} "
                                      "ORDER BY created_at, id", args)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def pending(self) -> list[dict[str, Any]]:
        return self.rows("WHERE status='pending'")

    def close(self) -> None:
        with self._lock:
            self._db.close()


Sleep = Callable[[float], Awaitable[None]]


class Dispatcher:
    """Sends deliveries as tasks on the running loop; ``publish`` never waits."""

    def __init__(self, targets: list[Endpoint], deliveries: DeliveryLog, *,
                 http: httpx.AsyncClient | None = None, clock: Callable[[], float] = time.time,
                 sleep: Sleep = asyncio.sleep, retry_for_s: float = RETRY_FOR_S,
                 first_backoff_s: float = FIRST_BACKOFF_S,
                 max_backoff_s: float = MAX_BACKOFF_S) -> None:
        self.targets = targets
        self.deliveries = deliveries
        self._http = http
        self.clock, self.sleep = clock, sleep
        self.retry_for_s = retry_for_s
        self.first_backoff_s, self.max_backoff_s = first_backoff_s, max_backoff_s
        self._tasks: set[asyncio.Task[None]] = set()
        self._secrets = {target.url: target.secret for target in targets}
        self._loop: asyncio.AbstractEventLoop | None = None  # set by resume(), on the loop

    def publish(self, video_id: str, status: str, key_name: str | None = None) -> list[str]:
        """Record and start one delivery per endpoint that wants this event, from the loop's
        thread or any other (the gateway's durable-workflow steps run in threads). Returns the
        delivery ids."""
        event_type = EVENT_OF_STATUS.get(status)
        if event_type is None:
            return []
        started = []
        now = self.clock()
        for target in self.targets:
            if not target.wants(event_type, key_name):
                continue
            delivery_id = "wh_" + secrets.token_hex(16)
            payload = event_body(event_type, video_id, int(now))
            self.deliveries.add(delivery_id, target.url, event_type, video_id, payload, now)
            self._spawn({"id": delivery_id, "url": target.url, "payload": payload,
                         "created_at": now, "attempts": 0})
            started.append(delivery_id)
        return started

    def resume(self) -> int:
        """Restart deliveries a previous process left pending (call once, on the loop)."""
        self._loop = asyncio.get_running_loop()
        rows = [row for row in self.deliveries.pending() if row["url"] in self._secrets]
        for row in rows:
            self._spawn(row)
        return len(rows)

    def _spawn(self, row: dict[str, Any]) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is None or (self._loop is not None and running is not self._loop):
            if self._loop is None:
                raise RuntimeError("publish from a thread needs resume() on the loop first")
            self._loop.call_soon_threadsafe(self._spawn, row)
            return
        task = running.create_task(self._deliver(row), name=f"webhook-{row['id']}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, row: dict[str, Any]) -> None:
        deadline = row["created_at"] + self.retry_for_s
        delay = self.first_backoff_s * 2 ** row["attempts"]
        while True:
            status, error = await self._try(row)
            ok = status is not None and 200 <= status < 300
            now = self.clock()
            gave_up = not ok and now + min(delay, self.max_backoff_s) > deadline
            outcome = "delivered" if ok else "failed" if gave_up else "pending"
            self.deliveries.tried(row["id"], status, error, outcome, now)
            if outcome != "pending":
                if gave_up:
                    log.warning("webhook %s to %s given up after %.0f s (last: %s)",
                                row["id"], row["url"], now - row["created_at"],
                                status or error)
                return
            await self.sleep(min(delay, self.max_backoff_s))
            delay *= 2

    async def _try(self, row: dict[str, Any]) -> tuple[int | None, str | None]:
        import httpx

        if self._http is None:  # our own client: no default headers, nothing to leak
            self._http = httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False)
        headers = signed_headers(self._secrets[row["url"]], row["id"], int(self.clock()),
                                 row["payload"])
        try:
            response = await self._http.post(row["url"], content=row["payload"].encode(),
                                             headers=headers)
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return response.status_code, None

    async def wait_idle(self) -> None:
        """Until every delivery started so far has ended (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop sending; pending deliveries stay recorded and ``resume`` on the next start."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()


class BackgroundDispatcher:
    """A ``Dispatcher`` on a daemon thread's loop, for code that is not async: ``publish``
    may be called from any thread and returns at once."""

    def __init__(self, targets: list[Endpoint], deliveries: DeliveryLog | None = None,
                 **options: Any) -> None:
        self.deliveries = deliveries or DeliveryLog()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="vidbridge-webhooks", daemon=True)
        self._thread.start()
        self.dispatcher = Dispatcher(targets, self.deliveries, **options)
        self._call(self._resume())
        # A short script exits right after its last video: give its deliveries a bounded
        # moment to go out. What is still pending stays recorded and resumes next time.
        atexit.register(self._flush_at_exit)

    def _flush_at_exit(self) -> None:
        with contextlib.suppress(Exception):
            self.wait_idle(EXIT_FLUSH_S)
        with contextlib.suppress(Exception):
            self.close()

    async def _resume(self) -> int:
        return self.dispatcher.resume()

    async def _publish(self, video_id: str, status: str, key_name: str | None) -> list[str]:
        return self.dispatcher.publish(video_id, status, key_name)

    def _call(self, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()  # type: ignore[arg-type]

    def publish(self, video_id: str, status: str, key_name: str | None = None) -> list[str]:
        return self._call(self._publish(video_id, status, key_name))  # type: ignore[no-any-return]

    def wait_idle(self, timeout: float | None = None) -> None:
        asyncio.run_coroutine_threadsafe(self.dispatcher.wait_idle(), self._loop).result(timeout)

    def close(self) -> None:
        atexit.unregister(self._flush_at_exit)
        if not self._loop.is_running():
            return
        asyncio.run_coroutine_threadsafe(self.dispatcher.aclose(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()


class WebhookObserver:
    """An observer plugin: every finished job of any ``VideoClient`` becomes an event whose
    ``data.id`` is the provider's job id. Register it with ``pm.register(...)``."""

    def __init__(self, targets: list[Endpoint], **options: Any) -> None:
        self.background = BackgroundDispatcher(targets, **options)

    @hookimpl
    def job_finished(self, result: VideoResult) -> None:
        self.background.publish(result.job.id, result.job.status)

    def close(self) -> None:
        self.background.close()
