"""Provider push as a poll trigger: ``POST /callbacks/{provider}/{token}`` (issue 14, 5).

The gateway's poll interval here is 60 s, so a video that completes in a few seconds can only
have been woken by the callback. The "pushing" simulator runs on a fake clock whose sleep
advances it, so a job's push fires as soon as it is scheduled; the "stuck" one renders for
ever, so its jobs stay running whatever a forged callback says.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vidbridge import AsyncVideoClient, PollPolicy
from vidbridge.gateway import create_app, serve_in_thread
from vidbridge.ledger import Ledger
from vidbridge.simulator import SimulatorSettings
from vidbridge.simulator import create_app as create_simulator
from vidbridge.simulator import serve_in_thread as serve_simulator

from ..compat.simenv import config
from .conftest import KEY

SLOW_POLLS = PollPolicy(first=60.0, cap=60.0, jitter=0, provider_guidance=False)
BOUND_S = 20.0  # the longest any step here may take (the poll interval is 60 s)


class Wire:
    """Upstream requests with their JSON bodies, through an httpx event hook."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    async def __call__(self, request: httpx.Request) -> None:
        body = None
        if request.method == "POST":
            with contextlib.suppress(ValueError):
                body = json.loads(request.content or b"null")
        self.calls.append((request.method, request.url.path, body))

    def posts(self, contains: str) -> list[Any]:
        return [body for method, path, body in self.calls
                if method == "POST" and contains in path]

    def polls(self, contains: str) -> int:
        return sum(1 for method, path, _ in self.calls if method == "GET" and contains in path
                   and "/bs2/" not in path)


def _pushing_sim() -> Any:
    now = [1_000.0]

    async def advance(seconds: float) -> None:
        now[0] += seconds

    return create_simulator(SimulatorSettings(seed=5, render_seconds=30.0,
                                              clock=lambda: now[0], sleep=advance))


@pytest.fixture(scope="module")
def pushing() -> Iterator[str]:
    with serve_simulator(_pushing_sim()) as base:
        yield base


@pytest.fixture(scope="module")
def stuck() -> Iterator[str]:
    # Real clock, a render time no test outlives: jobs stay running, pushes never fire.
    with serve_simulator(create_simulator(SimulatorSettings(seed=6, render_seconds=1e7))) as base:
        yield base


@contextlib.contextmanager
def gateway(sim: str, tmp: Path, *, callbacks: bool = True) -> Iterator[tuple[str, Any, Wire]]:
    table = {"callbacks": callbacks, "public_url": "http://127.0.0.1:9"}  # set once served
    cfg = config(sim, tmp, gateway=table)
    wire = Wire()
    http = httpx.AsyncClient(timeout=10, event_hooks={"request": [wire]})
    client = AsyncVideoClient(config=cfg, http=http, poll=SLOW_POLLS,
                              ledger=Ledger(cfg.ledger_path()))
    app = create_app(cfg, client=client, keys=[KEY], database=tmp / "gateway.sqlite3",
                     output_dir=tmp / "videos", poll_after_ms=10)
    with serve_in_thread(app) as url:
        if app.state.callbacks is not None:
            app.state.callbacks.base = url  # the ephemeral port is known only now
        yield url, app, wire


def _create(url: str, model: str) -> str:
    answer = httpx.post(f"{url}/v1/videos", headers={"authorization": f"Bearer {KEY}"},
                        json={"prompt": "a lighthouse at dusk", "model": model, "seconds": "5"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _video(url: str, video_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{url}/v1/videos/{video_id}",
                       headers={"authorization": f"Bearer {KEY}"})
    return dict(answer.json())


def _until(check: Any, what: str) -> Any:
    """Poll a local condition (loopback, ~5 ms steps), bounded by ``BOUND_S``."""
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.005)
    raise AssertionError(f"not within {BOUND_S} s: {what}")


def _callback_url(wire: Wire) -> str:
    posted = _until(lambda: wire.posts("/kling/v1/videos/"), "the Kling submit")
    return str(posted[0]["callback_url"])


def test_a_callback_wakes_the_poll_at_once(pushing: str, tmp_path: Path) -> None:
    with gateway(pushing, tmp_path) as (url, _, wire):
        started = time.monotonic()
        video_id = _create(url, "kling-only")
        done = _until(lambda: (v := _video(url, video_id))["status"] == "completed" and v,
                      "the video completed")
        elapsed = time.monotonic() - started
        assert done["status"] == "completed"
        assert elapsed < SLOW_POLLS.first  # only a wake can beat the 60 s poll interval
        assert wire.polls("/kling/v1/videos/text2video/") <= 2
        assert _callback_url(wire).startswith(f"{url}/callbacks/kling/")


def test_the_body_is_never_trusted(stuck: str, tmp_path: Path) -> None:
    with gateway(stuck, tmp_path) as (url, app, wire):
        video_id = _create(url, "kling-only")
        callback = _callback_url(wire)
        task_id = _until(lambda: [e.job_id for e in app.state.service.core.ledger.entries(
            video_id) if e.job_id], "the accepted job")[0]
        forged = {"task_id": task_id, "task_status": "succeed", "task_status_msg": "",
                  "task_result": {"videos": [{"id": "x", "url": "http://127.0.0.1:9/x.mp4",
                                              "duration": "5.0"}]}}
        assert httpx.post(callback, json=forged).status_code == 204
        _until(lambda: wire.polls("/kling/v1/videos/text2video/") >= 1, "the woken poll")
        video = _video(url, video_id)
        assert video["status"] in ("queued", "in_progress")  # as the provider still says
        entry = app.state.service.core.ledger.entries(video_id)[-1]
        assert entry.state == "accepted"
        assert not (tmp_path / "videos").exists() or not any((tmp_path / "videos").iterdir())


def test_unknown_tokens_and_other_providers_are_404_and_nothing_is_500(
        stuck: str, tmp_path: Path) -> None:
    with gateway(stuck, tmp_path) as (url, _, wire):
        _create(url, "kling-only")
        callback = _callback_url(wire)
        token = callback.rsplit("/", 1)[1]
        assert httpx.post(f"{url}/callbacks/kling/{'A' * 43}").status_code == 404
        assert httpx.post(f"{url}/callbacks/runway/{token}").status_code == 404  # wrong path
        assert httpx.post(f"{url}/callbacks/kling/{token[:-1]}").status_code == 404
        hostile = [b"\x00\xff" * 1000, b"{" * 10_000, b"x" * (2 * 1024 * 1024), b""]
        for body in hostile:
            for target in (callback, f"{url}/callbacks/kling/{'%00' * 20}",
                           f"{url}/callbacks/kling/{'z' * 5000}"):
                status = httpx.post(target, content=body,
                                    headers={"content-type": "application/json"}).status_code
                assert status < 500, (target[-20:], len(body), status)
        assert httpx.get(callback).status_code == 405


def test_callbacks_off_sends_no_callback_field_and_serves_no_route(
        stuck: str, tmp_path: Path) -> None:
    with gateway(stuck, tmp_path, callbacks=False) as (url, _, wire):
        _create(url, "kling-only")
        body = _until(lambda: wire.posts("/kling/v1/videos/"), "the Kling submit")[0]
        assert "callback_url" not in body
        assert httpx.post(f"{url}/callbacks/kling/{'A' * 43}").status_code == 404


def test_a_runway_first_route_never_sends_the_callback_to_runway(
        stuck: str, tmp_path: Path) -> None:
    with gateway(stuck, tmp_path) as (url, app, wire):
        _create(url, "default")  # runway:gen4.5, then kling
        body = _until(lambda: wire.posts("/runway/v1/"), "the Runway submit")[0]
        assert not any("callback" in key.lower() or "webhook" in key.lower() for key in body)
        assert "127.0.0.1" not in json.dumps(body)
        plans = {check.provider: check.plan for check in app.state.service.core.router.check(
            _request(), "default", request_key="vid_x")}
        assert plans["runway"].callback_url is None
        assert plans["kling"].callback_url.startswith(f"{url}/callbacks/kling/")


def _request() -> Any:
    from vidbridge import VideoRequest

    return VideoRequest(prompt="a lighthouse at dusk", duration=5)


def test_the_official_sdk_sees_a_pushed_job_complete(pushing: str, tmp_path: Path) -> None:
    openai = pytest.importorskip("openai")
    with gateway(pushing, tmp_path) as (url, _, wire):
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0, timeout=30)
        started = time.monotonic()
        video = sdk.videos.create_and_poll(model="kling-only", prompt="a lighthouse at dusk",
                                           seconds="5", poll_interval_ms=10)
        assert video.status == "completed"
        assert time.monotonic() - started < SLOW_POLLS.first
        assert wire.polls("/kling/v1/videos/text2video/") <= 3
        assert sdk.videos.download_content(video.id).read()[:12].find(b"ftyp") >= 0


def test_tokens_resolve_only_under_their_provider_and_are_swept_with_their_jobs() -> None:
    from vidbridge.gateway.callbacks import CallbackTokens

    now = [100.0]
    tokens = CallbackTokens(":memory:", "https://gw.example/", clock=lambda: now[0])
    url = tokens.url_for("kling", "vid_1")
    assert url is not None and url.startswith("https://gw.example/callbacks/kling/")
    assert tokens.url_for("kling", "vid_1") == url  # a re-plan reuses it
    token = url.rsplit("/", 1)[1]
    assert tokens.resolve("kling", token) == "vid_1"
    assert tokens.resolve("omni", token) is None
    assert tokens.resolve("kling", token.swapcase()) is None
    assert tokens.forget_before(50.0) == 0 and tokens.resolve("kling", token) == "vid_1"
    assert tokens.forget_before(200.0) == 1 and tokens.resolve("kling", token) is None


def test_tokens_are_cut_from_the_access_log(stuck: str, tmp_path: Path) -> None:
    import logging

    with gateway(stuck, tmp_path):
        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                                   '%s - "%s %s HTTP/%s" %d',
                                   ("127.0.0.1:5", "POST", "/callbacks/kling/s3cr3t-Token_x",
                                    "1.1", 204), None)
        for log_filter in logging.getLogger("uvicorn.access").filters:
            log_filter.filter(record)
        assert "s3cr3t" not in record.getMessage()
        assert "/callbacks/kling/REDACTED" in record.getMessage()


def test_only_a_push_worth_a_poll_wakes_and_a_bad_body_always_does() -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from vidbridge.core import ClientCore
    from vidbridge.gateway.callbacks import CallbackTokens, hints, routes

    tokens = CallbackTokens(":memory:", "http://testserver")
    woken: list[tuple[str, str]] = []
    app = Starlette(routes=routes(tokens, lambda p, v: woken.append((p, v)),
                                  hints(ClientCore())))
    url = tokens.url_for("kling", "vid_9")
    assert url is not None
    path = url.removeprefix("http://testserver")
    with TestClient(app) as client:
        for body in ({"task_id": "t", "task_status": "submitted"},
                     {"code": 0, "data": {"task_id": "t", "task_status": "processing"}}):
            assert client.post(path, json=body).status_code == 204
        assert woken == []  # progress notes: the schedule polls anyway
        for raw in (json.dumps({"task_status": "succeed"}).encode(), b"\xff{not json",
                    b"[1, 2]", b"x" * 100_000, b"[" * 50_000):
            assert client.post(path, content=raw).status_code == 204
        assert woken == [("kling", "vid_9")] * 5
