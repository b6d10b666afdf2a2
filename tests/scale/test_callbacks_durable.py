"""Provider push wakes DBOS-run jobs: on one SQLite worker, and across PostgreSQL workers."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vidbridge import AsyncVideoClient
from vidbridge.gateway import create_app, serve_in_thread
from vidbridge.ledger import Ledger
from vidbridge.simulator import serve_in_thread as serve_simulator
from vidbridge.wakeups import Wakeups

from ..compat.simenv import config
from ..gateway.conftest import KEY
from ..gateway.test_callbacks import SLOW_POLLS, _pushing_sim

pytest.importorskip("dbos")
BOUND_S = 20.0


def test_the_relay_carries_a_wake_to_another_worker(postgres_url: str) -> None:
    from vidbridge.gateway.wake_relay import WakeRelay

    here, there = Wakeups(), Wakeups()
    sender, receiver = WakeRelay(postgres_url, here), WakeRelay(postgres_url, there)
    try:
        assert sender.wait_listening(BOUND_S) and receiver.wait_listening(BOUND_S)
        woke: list[bool] = []
        waiter = threading.Thread(target=lambda: woke.append(there.wait("kling/v1", 3600.0)))
        waiter.start()
        while not there._waiting:
            time.sleep(0.001)
        started = time.monotonic()
        sender.publish("kling/v1")
        waiter.join(BOUND_S)
        assert woke == [True] and time.monotonic() - started < BOUND_S
        # The sender's own listener hears it too (its thread may run a moment later).
        assert here.wait("kling/v1", BOUND_S) is True
    finally:
        sender.close()
        receiver.close()


class _Polls:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, request: httpx.Request) -> None:
        if request.method == "GET" and "/kling/v1/videos/text2video/" in request.url.path:
            self.count += 1


@contextlib.contextmanager
def _durable(sim: str, tmp: Path, polls: _Polls) -> Iterator[str]:
    cfg = config(sim, tmp, gateway={"callbacks": True, "public_url": "http://127.0.0.1:9"})
    client = AsyncVideoClient(config=cfg, poll=SLOW_POLLS, ledger=Ledger(cfg.ledger_path()))
    http = httpx.Client(timeout=10, event_hooks={"request": [polls]})
    app = create_app(cfg, client=client, keys=[KEY], output_dir=tmp / "videos",
                     poll_after_ms=10, database_url=f"sqlite:///{tmp}/dbos.sqlite3",
                     durable={"http": http, "sleep": time.sleep, "polling_interval_s": 0.05})
    with serve_in_thread(app) as base:
        app.state.callbacks.base = base
        yield base


def test_a_durable_job_is_woken_by_its_providers_push(tmp_path: Path) -> None:
    polls = _Polls()
    with serve_simulator(_pushing_sim()) as sim, _durable(sim, tmp_path, polls) as base:
        headers = {"authorization": f"Bearer {KEY}"}
        started = time.monotonic()
        made = httpx.post(f"{base}/v1/videos", headers=headers,
                          json={"prompt": "a lighthouse", "model": "kling-only"})
        assert made.status_code == 200, made.text
        video_id = made.json()["id"]
        status: Any = None
        while time.monotonic() - started < BOUND_S:
            status = httpx.get(f"{base}/v1/videos/{video_id}", headers=headers).json()
            if status["status"] in ("completed", "failed"):
                break
            time.sleep(0.01)
        assert status["status"] == "completed", status
        assert time.monotonic() - started < SLOW_POLLS.first  # only the push can explain it
        assert polls.count <= 2
