"""Simulated time on an injected clock, and the latency / download faults."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread

from .conftest import OPENAI, RUNWAY, FakeClock, Sleeps, inspect_mp4


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def timed(clock: FakeClock, sleeps: Sleeps) -> TestClient:
    return TestClient(create_app(SimulatorSettings(
        clock=clock, render_seconds=10, sora_retired=False, sleep=sleeps)))


def test_jobs_follow_the_injected_clock(timed: TestClient, clock: FakeClock) -> None:
    video_id = timed.post("/openai/v1/videos", headers=OPENAI, json={"prompt": "x"}).json()["id"]

    def status_at(t: float) -> tuple[str, int]:
        clock.now = 1000 + t
        video = timed.get(f"/openai/v1/videos/{video_id}", headers=OPENAI).json()
        return video["status"], video["progress"]

    assert status_at(0.5) == ("queued", 0)
    assert status_at(3.0) == ("in_progress", 22)
    assert status_at(3.0) == ("in_progress", 22)  # polling alone does not move time
    assert status_at(9.1) == ("in_progress", 90)
    assert status_at(10.0) == ("completed", 100)


def test_poll_hint_follows_render_time(timed: TestClient) -> None:
    video_id = timed.post("/openai/v1/videos", headers=OPENAI, json={"prompt": "x"}).json()["id"]
    response = timed.get(f"/openai/v1/videos/{video_id}", headers=OPENAI)
    assert response.headers["openai-poll-after-ms"] == "2500"


def test_runway_throttled_phase_on_the_clock(timed: TestClient, clock: FakeClock) -> None:
    task_id = timed.post("/runway/v1/image_to_video", json={
        "model": "gen4_turbo", "promptImage": "https://a/b.png", "ratio": "960:960"},
        headers={**RUNWAY, "X-Vidbridge-Scenario": "throttled"}).json()["id"]
    seen = []
    for t in (0.1, 0.7, 5.0, 10.0):
        clock.now = 1000 + t
        seen.append(timed.get(f"/runway/v1/tasks/{task_id}", headers=RUNWAY).json()["status"])
    assert seen == ["PENDING", "THROTTLED", "RUNNING", "SUCCEEDED"]


def test_latency_sleeps_on_the_injected_sleeper(client: TestClient, sleeps: Sleeps) -> None:
    client.get("/openai/v1/videos", headers={**OPENAI, "X-Vidbridge-Scenario": "latency=1.5"})
    client.get("/openai/v1/videos", headers={**OPENAI, "X-Vidbridge-Scenario": "latency"})
    assert sleeps.calls == [1.5, 1.0]


def _finished_runway_output(client: httpx.Client, scenario: str) -> str:
    task_id = client.post("/runway/v1/image_to_video", json={
        "model": "gen4_turbo", "promptImage": "https://a/b.png", "ratio": "1280:720",
        "duration": 2, "promptText": f"x [[scenario:{scenario}]]"}, headers=RUNWAY).json()["id"]
    for _ in range(5):
        task = client.get(f"/runway/v1/tasks/{task_id}", headers=RUNWAY).json()
    return str(task["output"][0])


def test_slow_download_trickles_on_the_sleeper(client: TestClient, sleeps: Sleeps) -> None:
    url = _finished_runway_output(client, "slow_download=4")
    clip = inspect_mp4(client.get(url).content)
    assert clip.seconds == pytest.approx(2, abs=0.1)
    assert len(sleeps.calls) >= 2 and sum(sleeps.calls) == pytest.approx(4)


@pytest.fixture
def served(settings: SimulatorSettings) -> Iterator[httpx.Client]:
    with serve_in_thread(create_app(settings)) as base_url, httpx.Client(
            base_url=base_url, timeout=10) as client:
        yield client


def test_dropped_download_breaks_the_read_once(served: httpx.Client) -> None:
    url = _finished_runway_output(served, "drop_download_once")
    with pytest.raises(httpx.TransportError):
        served.get(url)
    assert inspect_mp4(served.get(url).content).seconds == pytest.approx(2, abs=0.1)


def test_serve_in_thread_picks_a_free_port(served: httpx.Client) -> None:
    assert served.base_url.port not in (None, 0)
    index = served.get("/").json()
    assert "drop_download" in index["scenarios"] and "/kling" in index["providers"]
