"""Provider push as a poll trigger: ``POST /callbacks/{provider}/{token}``.

With ``[gateway] callbacks = true`` (and ``public_url``), each job on a model whose row says
``push_callbacks`` gets its own URL ``{public_url}/callbacks/{provider}/{token}``: the token
is ``secrets.token_urlsafe(32)``, minted per (video, provider) and stored only as its SHA-256
in the gateway database (``callback_tokens``), so any worker sharing that database accepts it.
The lifecycle hands the URL to that candidate's adapter only (``Plan.callback_url``); the
adapter maps it to its wire field (Kling ``callback_url``, Gemini API ``webhook_config``).

A call with a known token wakes that job's poll wait at once (``Wakeups``); nothing else.
The body is drained (bounded) and never read: a forged "succeeded" cannot change a job, since
only the poll that follows, which asks the provider, can. An unknown token, or a known one
under another provider's path, is a 404. Polling stays on as the safety net.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import inspect
import logging
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import ConfigError
from ..redaction import cut_from_access_log
from ..wakeups import wake_key

if TYPE_CHECKING:
    from ..config import GatewayConfig
    from ..core import ClientCore
    from .wake_relay import WakeRelay

log = logging.getLogger("vidbridge.gateway.callbacks")

PATH = "/callbacks/{provider}/{token}"
SCHEMA = """
CREATE TABLE IF NOT EXISTS callback_tokens (
    token_hash TEXT PRIMARY KEY,
    video_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS callback_tokens_video ON callback_tokens (video_id);
"""
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")  # token_urlsafe's alphabet, bounded
DRAIN_BYTES = 64 * 1024  # read (and drop) at most this much of a callback's body
MEMO = 4096  # (provider, video) -> URL minted in this process, so re-plans reuse it


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CallbackTokens:
    """Mints and checks per-job callback tokens (the ``CallbackUrls`` the core asks)."""

    def __init__(self, location: str | Path, public_url: str,
                 clock: Callable[[], float] = time.time) -> None:
        from .. import _sql

        self.base = public_url.rstrip("/")
        self.clock = clock
        self._lock = threading.Lock()
        self._db = _sql.open_with(location, SCHEMA, "callback store")
        self._minted: collections.OrderedDict[tuple[str, str], str] = (
            collections.OrderedDict())

    def url_for(self, provider: str, request_key: str) -> str | None:
        """The push URL of one job's candidate (minted on first ask)."""
        memo = (provider, request_key)
        with self._lock:
            url = self._minted.get(memo)
            if url is not None:
                self._minted.move_to_end(memo)
                return url
            token = secrets.token_urlsafe(32)
            self._db.execute(
                "INSERT INTO callback_tokens (token_hash, video_id, provider, created) "
                "VALUES (?, ?, ?, ?)", (_digest(token), request_key, provider, self.clock()))
            url = f"{self.base}/callbacks/{quote(provider, safe='')}/{token}"
            self._minted[memo] = url
            if len(self._minted) > MEMO:
                self._minted.popitem(last=False)
            return url

    def resolve(self, provider: str, token: str) -> str | None:
        """The video a token was minted for under ``provider``, else None."""
        if not TOKEN.fullmatch(token):
            return None
        digest = _digest(token)
        with self._lock:
            row = self._db.execute(
                "SELECT token_hash, video_id, provider FROM callback_tokens "
                "WHERE token_hash = ?", (digest,)).fetchone()
        if row is None:
            return None
        stored_hash, video_id, stored_provider = row
        # Constant-time, so neither the hash nor the provider leaks by timing.
        same_token = hmac.compare_digest(str(stored_hash), digest)
        same_provider = hmac.compare_digest(str(stored_provider).encode(), provider.encode())
        return str(video_id) if same_token and same_provider else None

    def forget_before(self, cutoff: float) -> int:
        """Drop tokens minted before ``cutoff`` (their videos are past retention)."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM callback_tokens WHERE created < ?",
                                      (cutoff,))
        return int(getattr(cursor, "rowcount", 0) or 0)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def attach(gateway: GatewayConfig, core: ClientCore,
           location: str | Path) -> CallbackTokens | None:
    """Serve callbacks when ``[gateway] callbacks`` is on: the core then gives push URLs to
    the candidates that take them. None (and no URL anywhere) when it is off."""
    if not gateway.callbacks:
        return None
    if not gateway.public_url:
        raise ConfigError("[gateway] callbacks = true needs [gateway] public_url: the "
                          "address providers POST to (e.g. https://videos.example.com)")
    tokens = CallbackTokens(location, gateway.public_url)
    core.callbacks = tokens
    cut_from_access_log(CUT)  # a token is a wake permission
    return tokens


CUT = re.compile(r"(/callbacks/[^/\s]+/)[^\s?\"]+")


def routes(tokens: CallbackTokens | None, wake: Callable[[str, str], Any],
           worth_polling: Callable[[str, bytes], bool] | None = None) -> list[Route]:
    """The callback route; ``wake(provider, video_id)`` ends that job's poll wait, unless
    ``worth_polling(provider, body)`` says the push is a mere progress note."""

    async def receive(request: Request) -> Response:
        body = await _drain(request)
        provider = request.path_params["provider"]
        token = request.path_params["token"]
        video_id = None
        if tokens is not None:
            try:
                video_id = await asyncio.to_thread(tokens.resolve, provider, token)
            except (sqlite3.Error, OSError) as exc:  # psycopg errors come as sqlite3's
                log.warning("callback check failed: %s", type(exc).__name__)
                return _error(503, "The gateway could not check the callback; retry later.")
        if video_id is None:
            # Same answer for an unknown token and a wrong provider: nothing to probe.
            return _error(404, "Unknown callback.")
        if worth_polling is not None and body is not None and not worth_polling(provider, body):
            return Response(status_code=204)  # "still processing": the schedule polls anyway
        woken = wake(provider, video_id)
        if inspect.isawaitable(woken):
            await woken
        return Response(status_code=204)

    return [Route(PATH, receive, methods=["POST"])]


async def _drain(request: Request) -> bytes | None:
    """At most ``DRAIN_BYTES`` of the body; None when it is longer or broken (the body only
    ever filters a wake, and an unreadable one wakes)."""
    chunks: list[bytes] = []
    read = 0
    try:
        async for chunk in request.stream():
            chunks.append(chunk)
            read += len(chunk)
            if read > DRAIN_BYTES:
                return None
    except Exception:  # a broken or cut body changes nothing: only the token counts
        return None
    return b"".join(chunks)


def hints(core: ClientCore) -> Callable[[str, bytes], bool]:
    """Ask the provider's adapter whether a push is worth a poll now (its optional
    ``push_worth_polling(body)``; without it, or if it fails, every push is)."""

    def worth_polling(provider: str, body: bytes) -> bool:
        try:
            judge = getattr(core.adapter(provider), "push_worth_polling", None)
            return True if judge is None else bool(judge(body))
        except Exception:  # an adapter's bug must not lose a wake
            log.warning("push hint of %s failed", provider)
            return True

    return worth_polling


def relay(tokens: CallbackTokens | None, database_url: str | None,
          core: ClientCore) -> WakeRelay | None:
    """With callbacks on and workers sharing PostgreSQL, the relay that carries a wake to
    the worker whose DBOS step is waiting (None otherwise: one process sees every wake)."""
    from .._sql import is_url

    if tokens is None or not database_url or not is_url(database_url):
        return None
    from .wake_relay import WakeRelay

    return WakeRelay(database_url, core.wakeups)


def waker(core: ClientCore,
          relay: WakeRelay | None = None) -> Callable[[str, str], Awaitable[None]]:
    """Wake a job's poll wait: in this process (at once, on the loop), or on every worker
    through the relay (a database write, so in a thread)."""

    async def wake(provider: str, video_id: str) -> None:
        key = wake_key(provider, video_id)
        if relay is not None:
            # This worker hears it too, through its own listener.
            await asyncio.to_thread(relay.publish, key)
        else:
            core.wakeups.wake(key)

    return wake


def _error(status: int, message: str) -> Response:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse({"error": {"message": message, "type": kind, "param": None,
                                   "code": None}}, status_code=status)
