"""Fixtures for simulator tests: an in-process client, fast jobs, media inspection."""
from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import av
import pytest
from starlette.testclient import TestClient

from vidbridge.simulator import SimulatorSettings, create_app
from vidbridge.simulator.tokens import sign

OPENAI = {"Authorization": "Bearer sk-test-0123456789abcdef"}
GEMINI = {"x-goog-api-key": "AIza-test-key"}
VERTEX = {"Authorization": "Bearer ya29.test-token"}
RUNWAY = {"Authorization": "Bearer key_test", "X-Runway-Version": "2024-11-06"}
VERTEX_MODEL = "/vertex/v1/projects/acme/locations/us-central1/publishers/google/models"


def kling_token(access_key: str = "ak-test", secret: str = "sk-test", ttl: int = 1800,
                skew: int = 5, **extra: object) -> str:
    now = int(time.time())
    return sign({"iss": access_key, "exp": now + ttl, "nbf": now - skew, **extra}, secret)


def kling_headers(**kwargs: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {kling_token(**kwargs)}"}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Clip:
    seconds: float
    width: int
    height: int
    fps: float
    audio: bool


def inspect_mp4(data: bytes) -> Clip:
    """Open `data` with PyAV and report what it really holds."""
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        assert container.duration is not None
        return Clip(seconds=container.duration / 1_000_000, width=video.width,
                    height=video.height, fps=float(video.average_rate or 0),
                    audio=bool(container.streams.audio))


class FakeClock:
    """A simulated clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    """Records sleeps instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def settings(sleeps: Sleeps) -> SimulatorSettings:
    return SimulatorSettings(fast=True, sora_retired=False, sleep=sleeps)


@pytest.fixture
def client(settings: SimulatorSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def make_client(settings: SimulatorSettings, **changes: object) -> TestClient:
    return TestClient(create_app(replace(settings, **changes)))  # type: ignore[arg-type]
