"""Wakes between gateway workers that share a PostgreSQL database (LISTEN/NOTIFY).

A provider calls back whichever worker its load balancer picks, but the job's poll wait runs
in the DBOS step of one worker, possibly another. ``DBOS.recv`` could carry the wake only to a
wait written at the workflow level (it refuses to run inside a step, dbos 3.4.0
``_dbos.py``), and the poll is one step driving the engine's loop; so the callback route
publishes the job's wake key with ``pg_notify`` instead, and every worker listens on one
connection and wakes its own ``Wakeups``. A worker that is not waiting on that key ignores it.
A lost notification costs nothing but time: polls stay on as the safety net.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..wakeups import Wakeups

log = logging.getLogger("vidbridge.gateway.wake_relay")

CHANNEL = "vidbridge_wake"
MAX_KEY_CHARS = 512  # pg_notify payloads must stay under 8000 bytes; ours are short


class WakeRelay:
    """Publishes wake keys and delivers everyone's to this process's ``Wakeups``."""

    def __init__(self, url: str, wakeups: Wakeups) -> None:
        import psycopg

        self._psycopg = psycopg
        self._url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.wakeups = wakeups
        self._lock = threading.Lock()
        self._sender: Any = None
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="vidbridge-wake-relay",
                                        daemon=True)
        self._thread.start()

    def publish(self, key: str) -> None:
        """Wake ``key`` on every worker (this one included, through its own listener)."""
        if len(key) > MAX_KEY_CHARS:
            return
        with self._lock:
            for _ in range(2):  # one reconnect if the connection went away
                try:
                    if self._sender is None or self._sender.closed:
                        self._sender = self._psycopg.connect(self._url, autocommit=True)
                    self._sender.execute("SELECT pg_notify(%s, %s)", (CHANNEL, key))
                    return
                except self._psycopg.Error as exc:
                    log.warning("wake not published: %s", type(exc).__name__)
                    self._sender = None
        self.wakeups.wake(key)  # the database is unreachable: at least wake this worker

    def wait_listening(self, timeout: float) -> bool:
        """Whether the listener is subscribed (tests; publishing earlier may be missed)."""
        return self._listening.wait(timeout)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with self._psycopg.connect(self._url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self.wakeups.wake(note.payload)
            except self._psycopg.Error as exc:
                self._listening.clear()
                log.warning("wake relay reconnecting: %s", type(exc).__name__)
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
        with self._lock:
            if self._sender is not None:
                self._sender.close()
                self._sender = None
