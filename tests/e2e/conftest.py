"""End-to-end fixtures: our adapters and engine against the simulator, in process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from vidbridge import AsyncVideoClient, Credentials, PollPolicy, VideoClient
from vidbridge.simulator import SimulatorSettings, create_app

BASE = "http://simulator.test"
FAST = PollPolicy(first=0.0, factor=1.0, cap=0.0, jitter=0.0, provider_guidance=False)


@dataclass(frozen=True)
class Wire:
    """One provider wire of the simulator and the adapter settings that reach it."""

    name: str
    provider: str
    model: str
    prefix: str
    options: tuple[tuple[str, str], ...] = ()

    def credentials(self, base: str = BASE) -> Credentials:
        return Credentials(name=f"{self.name}-sim", api_key="sim-key",
                           secret_key="sim-secret-key-of-at-least-32-bytes",
                           base_url=base + self.prefix, options=dict(self.options))


WIRES = [
    Wire("sora", "sora", "sora-2", "/openai/v1"),
    Wire("veo-vertex", "veo", "veo-3.1-generate-001", "/vertex",
         (("backend", "vertex"), ("project", "e2e"), ("location", "us-central1"))),
    # Retired on the Gemini API since 2026-10-22 (the router skips it); called directly it
    # still exercises the Gemini wire: predictLongRunning, operations, file download + key.
    Wire("veo-gemini", "veo", "veo-3.1-fast-generate-preview", "/gemini",
         (("backend", "gemini"),)),
    Wire("runway", "runway", "gen4.5", "/runway"),
    Wire("kling", "kling", "kling-v2-6:pro", "/kling"),
]


def client_for(wire: Wire, **settings: Any) -> AsyncVideoClient:
    """An async client whose HTTP goes straight into the simulator's ASGI app."""
    app = create_app(SimulatorSettings(fast=True, sora_retired=False, **settings))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=30)
    # allow_retired: Sora and Veo on Gemini are retired, and their wires are still tested.
    return AsyncVideoClient(credentials={wire.provider: wire.credentials()}, http=http,
                            poll=FAST, sleep=lambda seconds: None, allow_retired=True)


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    """A real simulator on loopback (for faults only a socket shows, e.g. a dropped read)."""
    from vidbridge.simulator import serve_in_thread

    app = create_app(SimulatorSettings(fast=True, sora_retired=False))
    with serve_in_thread(app) as base:
        yield base


def sync_client_for(wire: Wire, base: str) -> VideoClient:
    return VideoClient(credentials={wire.provider: wire.credentials(base)}, poll=FAST,
                       sleep=lambda seconds: None, allow_retired=True)


@pytest.fixture(params=WIRES, ids=[wire.name for wire in WIRES])
def wire(request: pytest.FixtureRequest) -> Iterator[Wire]:
    yield request.param
