"""A simulator on loopback and vidbridge configs pointing at it, for compat and gateway tests.

Runway and Kling ask for 5 s between polls; the clients here sleep at most 10 ms instead, and
the simulator's fast mode moves a job one step per poll, so nothing waits for real.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx

from vidbridge import AsyncVideoClient, PollPolicy, VideoClient
from vidbridge.config import Config, parse_config
from vidbridge.ledger import Ledger

POLL = PollPolicy(first=0.01, cap=0.05, jitter=0)
MAX_SLEEP_S = 0.01


def fast_sleep(seconds: float) -> None:
    time.sleep(min(seconds, MAX_SLEEP_S))


async def afast_sleep(seconds: float) -> None:
    await anyio.sleep(min(seconds, MAX_SLEEP_S))


def raw_config(base: str, tmp: Path, **top: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "ledger": str(tmp / "jobs.sqlite3"),
        "providers": {
            "runway": {"base_url": f"{base}/runway", "api_key": "sim-runway-key"},
            "kling": {"base_url": f"{base}/kling", "api_key": "sim-kling-access",
                      "secret_key": "sim-kling-secret-key-32-bytes-long"},
        },
        "routes": {
            "default": {"candidates": ["runway:gen4.5", "kling:kling-v2-6:std"], "retries": 0},
            "kling-only": {"candidates": ["kling:kling-v2-6:std"], "retries": 0},
        },
        "aliases": {"sora-2": "default", "sora-2-pro": "default"},
    }
    raw.update(top)
    return raw


def config(base: str, tmp: Path, **top: Any) -> Config:
    return parse_config(raw_config(base, tmp, **top))


class Counter:
    """Counts upstream requests by (method, path tail) through httpx event hooks."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> None:
        self.calls.append((request.method, request.url.path))

    async def acall(self, request: httpx.Request) -> None:
        self(request)

    def count(self, method: str, contains: str) -> int:
        return sum(1 for m, path in self.calls if m == method and contains in path)


def sync_client(cfg: Config, counter: Counter | None = None) -> VideoClient:
    hooks = {"request": [counter]} if counter else {}
    http = httpx.Client(timeout=10, event_hooks=hooks)  # type: ignore[arg-type]
    return VideoClient(config=cfg, http=http, poll=POLL, sleep=fast_sleep,
                       ledger=Ledger(cfg.ledger_path()))


def async_client(cfg: Config, counter: Counter | None = None,
                 sleep: Any = afast_sleep) -> AsyncVideoClient:
    hooks = {"request": [counter.acall]} if counter else {}
    http = httpx.AsyncClient(timeout=10, event_hooks=hooks)  # type: ignore[arg-type]
    return AsyncVideoClient(config=cfg, http=http, poll=POLL, sleep=sleep,
                            ledger=Ledger(cfg.ledger_path()))


def png(width: int = 1280, height: int = 720) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def iter_ids(videos: Iterator[Any]) -> list[str]:
    return [video.id for video in videos]
