"""Per-provider in-flight limits: at most ``max_concurrent`` requests to a provider at once,
and an HTTP pool sized to every provider's slots."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

import anyio
import httpx

from vidbridge import AsyncVideoClient, Credentials, PollPolicy, VideoClient
from vidbridge.config import parse_config
from vidbridge.limits import DEFAULT_MAX_CONCURRENT, Tokens

from .fakes import FakeAcme
from .helpers import acme_pm

FAST = PollPolicy(first=0.0, factor=1.0, cap=0.0, jitter=0.0, provider_guidance=False)


class Gauge(httpx.AsyncBaseTransport):
    """Answers from the fake Acme server after a yield, noting the most requests in flight."""

    def __init__(self) -> None:
        self.server, self.now, self.peak = FakeAcme(), 0, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await anyio.sleep(0.001)
            response = self.server(request)
            await response.aread()
            return response
        finally:
            self.now -= 1


def test_requests_in_flight_never_exceed_max_concurrent() -> None:
    gauge = Gauge()

    async def main() -> None:
        client = AsyncVideoClient(credentials={"acme": Credentials(api_key="k")},
                                  pm=acme_pm(), poll=FAST, sleep=lambda s: None,
                                  http=httpx.AsyncClient(transport=gauge), max_concurrent=3)
        async with client, anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(lambda: client.generate({"prompt": "x"},
                                                         model="acme:motion-2"))

    anyio.run(main)
    assert gauge.peak == 3 and gauge.server.submits == {"acme": 20}


def until(condition: Callable[[], bool], limit_s: float = 10.0) -> bool:
    """Poll ``condition`` (yielding the GIL between tries) for at most ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0)  # no wait: lets the other threads run
    return True


def waiting_for_a_slot(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if frame.f_code is Tokens.__enter__.__code__:
            return True
        frame = frame.f_back
    return False


class Holding(httpx.BaseTransport):
    """Answers from the fake Acme server, each request held until the test lets it go."""

    def __init__(self) -> None:
        self.server, self.now, self.peak = FakeAcme(), 0, 0
        self.lock, self.go = threading.Lock(), threading.Event()
        self.held = threading.Semaphore(0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        self.held.release()
        try:
            assert self.go.wait(10)
            response = self.server(request)
            response.read()
            return response
        finally:
            with self.lock:
                self.now -= 1


def test_sync_threads_share_the_providers_slots() -> None:
    transport = Holding()
    client = VideoClient(credentials={"acme": Credentials(api_key="k")}, pm=acme_pm(),
                         poll=FAST, sleep=lambda s: None,
                         http=httpx.Client(transport=transport), max_concurrent=2)
    threads = [threading.Thread(target=client.generate, args=({"prompt": "x"},),
                                kwargs={"model": "acme:motion-2"}) for _ in range(5)]
    for thread in threads:
        thread.start()
    assert transport.held.acquire(timeout=10) and transport.held.acquire(timeout=10)
    # The other three are seen waiting for a slot (their stacks), not in the transport.
    assert until(lambda: sum(waiting_for_a_slot(thread) for thread in threads) == 3)
    assert transport.peak == 2
    transport.go.set()
    for thread in threads:
        thread.join(10)
    assert transport.peak == 2 and transport.server.submits == {"acme": 5}


def test_pool_is_sized_to_every_providers_slots() -> None:
    config = parse_config({"providers": {"acme": {"api_key_env": "ACME_KEY",
                                                  "max_concurrent": 5},
                                         "other": {"plugin": "acme", "api_key_env": "X"}},
                           "routes": {"default": {"candidates": ["acme:motion-2"]}}},
                          pm=acme_pm(), environ={"ACME_KEY": "k", "X": "k"})
    client = AsyncVideoClient(config=config, pm=acme_pm())
    assert client.core.limit_for("acme") == 5
    assert client.core.limit_for("other") == DEFAULT_MAX_CONCURRENT
    assert client.core.pool_size() == 5 + DEFAULT_MAX_CONCURRENT
    pool = client.http._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == 5 + DEFAULT_MAX_CONCURRENT
