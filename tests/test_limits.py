"""Per-provider in-flight limits: at most ``max_concurrent`` requests to a provider at once,
and an HTTP pool sized to every provider's slots."""

from __future__ import annotations

import anyio
import httpx

from vidbridge import AsyncVideoClient, Credentials, PollPolicy
from vidbridge.config import parse_config
from vidbridge.limits import DEFAULT_MAX_CONCURRENT

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
