"""Wakeable poll waits and the provider-neutral callback URL (issue 14, deliverable 5)."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx

from vidbridge import Job, PollPolicy, VideoRequest
from vidbridge.core import ClientCore
from vidbridge.engine import Engine, Sleep
from vidbridge.provider import Credentials
from vidbridge.wakeups import Wakeups, wake_key

BOUND_S = 10.0


def test_a_wake_ends_a_blocking_wait_from_another_thread() -> None:
    wakeups, result = Wakeups(), []
    waiter = threading.Thread(target=lambda: result.append(wakeups.wait("k", 3600.0)))
    waiter.start()
    while not wakeups._waiting:  # registered (loopback-fast; bounded by the join below)
        time.sleep(0.001)
    started = time.monotonic()
    assert wakeups.wake("k") is True
    waiter.join(BOUND_S)
    assert result == [True] and time.monotonic() - started < BOUND_S


def test_a_wake_before_the_wait_is_kept_for_it_and_only_for_that_key() -> None:
    wakeups, slept = Wakeups(), []
    assert wakeups.wake("a") is False  # nobody waits yet: pending
    assert wakeups.wait("b", 5.0, slept.append) is False  # another job sleeps its time
    assert wakeups.wait("a", 5.0, slept.append) is True  # returns at once
    assert slept == [5.0]
    assert wakeups.wait("a", 5.0, slept.append) is False  # a wake counts once


def test_an_async_wait_is_woken_from_a_thread() -> None:
    async def run() -> bool:
        wakeups = Wakeups()
        loop = asyncio.get_running_loop()
        loop.call_later(0.01, lambda: threading.Thread(target=wakeups.wake,
                                                       args=("k",)).start())
        return await asyncio.wait_for(wakeups.await_wait("k", 3600.0), BOUND_S)

    assert asyncio.run(run()) is True


class _Slow:
    """A fake adapter whose job is done on the third poll."""

    name = "fake"
    poll_interval = 0.0

    def __init__(self) -> None:
        self.polls = 0

    def build_poll(self, job: Job, creds: Credentials) -> httpx.Request:
        return httpx.Request("GET", "http://fake/job")

    def parse_job(self, response: httpx.Response, previous: Job) -> Job:
        self.polls += 1
        status = "succeeded" if self.polls >= 3 else "running"
        return previous.model_copy(update={"status": status})


def test_the_poll_loop_yields_wakeable_sleeps_under_the_jobs_key() -> None:
    engine = Engine(poll_policy=PollPolicy(first=60, jitter=0))
    adapter = _Slow()
    steps = engine.wait(adapter, Job(provider="fake", id="j1", status="queued"),  # type: ignore[arg-type]
                        Credentials(), None, wake=wake_key("fake", "vid_1"))
    step = next(steps)
    seen = []
    while True:
        assert isinstance(step, Sleep) and step.wake == "fake/vid_1"
        seen.append(step.seconds)
        step = steps.send(None)  # the poll request
        try:
            step = steps.send(httpx.Response(200))
        except StopIteration as done:
            assert done.value.status == "succeeded"
            break
    assert len(seen) == 3


class _Callbacks:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def url_for(self, provider: str, request_key: str) -> str:
        self.asked.append((provider, request_key))
        return f"https://gw.example/callbacks/{provider}/tok-{request_key}"


def test_only_a_pushing_model_gets_the_callback_url_and_the_ledger_never_stores_it() -> None:
    core = ClientCore()
    core.callbacks = source = _Callbacks()
    request = VideoRequest(prompt="a lighthouse", duration=5)
    kling = core.plan(request, "kling:kling-v2-6:std", request_key="vid_1")
    runway = core.plan(request, "runway:gen4.5", request_key="vid_1")
    assert kling.callback_url == "https://gw.example/callbacks/kling/tok-vid_1"
    assert runway.callback_url is None and source.asked == [("kling", "vid_1")]
    assert "tok-vid_1" not in kling.model_dump_json() and "tok-" not in repr(kling)
    assert core.plan(request, "kling:kling-v2-6:std").callback_url is None  # no job key


def test_adapters_map_the_url_to_their_own_field_and_nothing_else() -> None:
    core = ClientCore()
    core.callbacks = _Callbacks()
    request = VideoRequest(prompt="a lighthouse", duration=5)
    kling = core.adapter("kling")
    creds = Credentials(api_key="ak", secret_key="s" * 32)  # type: ignore[arg-type]
    plan = core.plan(request, "kling:kling-v2-6:std", request_key="vid_1")
    bare = plan.model_copy(update={"callback_url": None})
    sent = _body(kling.build_submit(plan, creds))
    plain = _body(kling.build_submit(bare, creds))
    assert sent["callback_url"] == plan.callback_url and "callback_url" not in plain
    # The id a lost submit is looked up by never depends on the gateway's address.
    assert sent["external_task_id"] == plain["external_task_id"]
    omni = core.adapter("omni")
    gemini = core.plan(request, "omni:gemini-omni-1.2-flash", request_key="vid_2")
    body = _body(omni.build_submit(gemini, Credentials(api_key="k")))  # type: ignore[arg-type]
    assert body["webhook_config"] == {"uris": [gemini.callback_url]}
    vertex = Credentials(api_key="k", options={"backend": "vertex", "project": "p",  # type: ignore[arg-type]
                                               "location": "global"})
    assert "webhook_config" not in _body(omni.build_submit(gemini, vertex))


def _body(request: httpx.Request) -> dict[str, object]:
    import json

    return dict(json.loads(request.content))


def test_a_pushed_job_is_polled_only_as_a_safety_net() -> None:
    engine = Engine(poll_policy=PollPolicy(first=2, jitter=0, pushed_floor=60))

    def waits(pushed: bool) -> list[float]:
        steps = engine.wait(_Slow(), Job(provider="fake", id="j", status="queued"),  # type: ignore[arg-type]
                            Credentials(), None, wake="fake/v", pushed=pushed)
        seen, step = [], next(steps)
        while True:
            seen.append(step.seconds)
            steps.send(None)
            try:
                step = steps.send(httpx.Response(200))
            except StopIteration:
                return seen

    assert waits(False) == [2.0, 3.0, 4.5]
    assert waits(True) == [60.0, 60.0, 60.0]
