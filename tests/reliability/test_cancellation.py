"""A caller cancels (async) or interrupts (sync: KeyboardInterrupt) a ``generate`` mid-flight.

Each window is reached deterministically over the fake Acme server: the server acts on the
window's request (a submit makes its job), and then its answer is withheld - the sync run
raises ``KeyboardInterrupt`` there, the async one waits until it is cancelled (an asyncio
``task.cancel()`` from outside, or an anyio cancel scope fired at that instant, as
``move_on_after`` would). The poll wait is stopped in the injected ``sleep``; the download
after half of its body. No test sleeps: time is a ``FakeClock``.

What a careful user expects afterwards: a re-run of the same ``request_id`` (same client, a
fresh client on the same ledger file, or ``resume``) never submits again and carries on the
same provider job; a submit whose answer was lost follows the unanswered-intent rule (looked
up, else uncertain with how to settle it: never "still in flight" for ever); the output file
is complete or absent, with no part file left; no in-flight slot is lost; and nothing happens
at garbage-collection time.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from vidbridge import (
    AsyncVideoClient,
    Credentials,
    Job,
    PollPolicy,
    SubmitUncertainError,
    VideoClient,
    hookimpl,
)
from vidbridge.config import parse_config
from vidbridge.ledger import Entry, Ledger
from vidbridge.limits import tag
from vidbridge.plugins import register

from ..fakes import MP4, Acme, FakeAcme, FakeClock
from ..helpers import acme_pm

MODEL = "acme:motion-2"
REQUEST = {"prompt": "a fox crossing a frozen river", "duration": 4}
POLL = PollPolicy(first=1.0, factor=1.0, cap=1.0, jitter=0.0, provider_guidance=False)
CREDS = {"acme": Credentials(name="acme-key", api_key="test-key")}
WINDOWS = ["submit", "poll wait", "poll", "download"]
# The row each window leaves: a submit whose answer never came may have made a job upstream.
STATE_AFTER = {"submit": "uncertain", "poll wait": "accepted", "poll": "accepted",
               "download": "succeeded"}
HOWS = ["sync: KeyboardInterrupt", "async: task.cancel()", "async: cancel scope"]


class Trap:
    """Stops the first run at ``window``: once, then every request is answered normally."""

    def __init__(self, window: str | None, server: FakeAcme, clock: FakeClock) -> None:
        self.window, self.server, self.clock = window, server, clock
        self.armed = window is not None
        self.reached: Callable[[], None] = lambda: None  # the async test's signal
        self.hits = 0

    def springs(self, window: str, request: httpx.Request | None = None) -> bool:
        if not self.armed or window != self.window:
            return False
        self.armed, self.hits = False, self.hits + 1
        return True

    @staticmethod
    def window_of(request: httpx.Request) -> str:
        if request.url.host == "cdn.acme.example":
            return "download"
        return "submit" if request.method == "POST" else "poll"

    # -- sync: the interrupt is raised where the answer would have come -----------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self.server(request)  # upstream acts on it (a submit makes its job)
        window = self.window_of(request)
        if not self.springs(window):
            return response
        if window == "download":
            return _streamed(response, self._interrupted_body())
        raise KeyboardInterrupt

    def _interrupted_body(self) -> Iterator[bytes]:
        yield MP4[: len(MP4) // 2]
        raise KeyboardInterrupt

    def sleep(self, seconds: float) -> None:
        if self.springs("poll wait"):
            raise KeyboardInterrupt
        self.clock.sleep(seconds)

    # -- async: the call waits there until it is cancelled ------------------------------------
    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        response = self.server(request)
        window = self.window_of(request)
        if not self.springs(window):
            return response
        if window == "download":
            return _streamed(response, self._stalled_body())
        await self._stall()
        raise AssertionError("not cancelled")

    async def _stalled_body(self) -> AsyncIterator[bytes]:
        yield MP4[: len(MP4) // 2]
        await self._stall()

    async def asleep(self, seconds: float) -> None:
        if self.springs("poll wait"):
            await self._stall()
        self.clock.sleep(seconds)

    async def _stall(self) -> None:
        self.reached()
        await anyio.sleep_forever()


def _streamed(response: httpx.Response, body: Any) -> httpx.Response:
    headers = dict(response.headers)
    headers["content-length"] = str(len(MP4))  # the whole video is announced, half comes
    return httpx.Response(response.status_code, headers=headers, content=body)


class Failures:
    """Records ``request_failed`` as observers hear it (spans, gauges close on it)."""

    def __init__(self) -> None:
        self.heard: list[str] = []

    @hookimpl
    def request_failed(self, request_id: str, error: BaseException) -> None:
        self.heard.append(type(error).__name__)


def stop(how: str, call: Callable[[], Any], trap: Any) -> None:
    """Run ``call`` and stop it where ``trap`` springs: it raises KeyboardInterrupt there
    (sync), or calls ``trap.reached`` and waits (async), and then the run is cancelled - by
    ``task.cancel()`` from outside, or by a cancel scope fired at that instant."""
    if how.startswith("sync"):
        with pytest.raises(KeyboardInterrupt):
            call()
        return

    async def cancelled() -> None:
        if how == "async: task.cancel()":
            reached = asyncio.Event()
            trap.reached = reached.set
            task = asyncio.ensure_future(call())
            await reached.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        else:
            with anyio.CancelScope() as scope:
                trap.reached = scope.cancel
                await call()
            assert scope.cancelled_caught

    anyio.run(cancelled)


class Setup:
    """One fake server, one ledger file; clients built on both, sync or async."""

    def __init__(self, tmp_path: Path, how: str, window: str | None) -> None:
        self.tmp, self.how = tmp_path, how
        self.ledger_path = tmp_path / "jobs.sqlite3"
        self.out = tmp_path / "out" / "video.mp4"
        self.server, self.clock = FakeAcme(polls_to_finish=2), FakeClock()
        self.trap = Trap(window, self.server, self.clock)
        self.failures = Failures()

    @property
    def sync(self) -> bool:
        return self.how.startswith("sync")

    def client(self, **options: Any) -> Any:
        pm = options.pop("pm", None) or acme_pm()
        if not pm.is_registered(self.failures):
            register(self.failures, name="failures", pm=pm)
        common: dict[str, Any] = dict(credentials=options.pop("credentials", CREDS),
                                      clock=self.clock, poll=POLL, pm=pm,
                                      ledger=Ledger(self.ledger_path), **options)
        if self.sync:
            return VideoClient(transport=httpx.MockTransport(self.trap.handle),
                               sleep=self.trap.sleep, **common)
        return AsyncVideoClient(transport=httpx.MockTransport(self.trap.ahandle),
                                sleep=self.trap.asleep, **common)

    def call(self, client: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        """A call that is not interrupted (the trap is spent or aimed elsewhere)."""
        if self.sync:
            return getattr(client, method)(*args, **kwargs)

        async def main() -> Any:
            with anyio.fail_after(30):  # a lost slot would wait for ever: fail instead
                return await getattr(client, method)(*args, **kwargs)

        return anyio.run(main)

    def interrupted(self, client: Any, request_id: str, **where: Any) -> None:
        """Run a generate into the trap and stop it there, as ``how`` says."""
        self.trap.armed = True
        hits = self.trap.hits
        where = where or {"model": MODEL}
        stop(self.how, lambda: client.generate(
            REQUEST, output=self.out, request_id=request_id, **where), self.trap)
        assert self.trap.hits == hits + 1, "the run never reached its window"

    def rows(self, request_id: str) -> list[Entry]:
        return Ledger(self.ledger_path).entries(request_id)

    def parts(self) -> list[Path]:
        return sorted(self.out.parent.glob(".*.part")) if self.out.parent.exists() else []


@pytest.fixture(params=HOWS)
def how(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _assert_left_clean(setup: Setup) -> None:
    assert setup.parts() == [], "a part file was left behind"
    assert not setup.out.exists() or setup.out.read_bytes() == MP4


@pytest.mark.parametrize("window", WINDOWS)
def test_the_interrupted_run_leaves_a_row_saying_what_may_exist(
        tmp_path: Path, how: str, window: str) -> None:
    setup = Setup(tmp_path, how, window)
    setup.interrupted(setup.client(), "order-1")
    (row,) = setup.rows("order-1")
    assert row.state == STATE_AFTER[window]
    assert setup.server.submits == {"acme": 1}
    if window != "submit":
        assert row.job_id == "acme-1"
    else:
        # Nobody waits for that answer any more: the row says how a person settles it.
        assert row.error_kind == "submit_uncertain" and "reconcile" in (row.error or "")
    _assert_left_clean(setup)
    assert not setup.out.exists()


@pytest.mark.parametrize("rerun", ["same client", "fresh client", "resume"])
@pytest.mark.parametrize("window", ["poll wait", "poll", "download"])
def test_a_rerun_after_acceptance_finishes_the_same_job_without_a_second_submit(
        tmp_path: Path, how: str, window: str, rerun: str) -> None:
    setup = Setup(tmp_path, how, window)
    first = setup.client()
    setup.interrupted(first, "order-1")
    (row,) = setup.rows("order-1")
    client = first if rerun == "same client" else setup.client()
    if rerun == "resume":
        result = setup.call(client, "resume", row.key, output=setup.out)
    else:
        result = setup.call(client, "generate", REQUEST, model=MODEL, output=setup.out,
                            request_id="order-1")
    assert result.job.id == "acme-1"
    assert setup.server.submits == {"acme": 1}
    assert setup.out.read_bytes() == MP4
    assert setup.parts() == []
    assert [r.state for r in setup.rows("order-1")] == ["finished"]


@pytest.mark.parametrize("rerun", ["same client", "fresh client", "resume"])
def test_a_rerun_after_a_lost_submit_answer_is_uncertain_not_in_flight_for_ever(
        tmp_path: Path, how: str, rerun: str) -> None:
    """The cancelled submit's process is alive (it is this one), but nothing waits for the
    answer: a re-run must not say "still waiting in pid N" for as long as it lives."""
    setup = Setup(tmp_path, how, "submit")
    first = setup.client()
    setup.interrupted(first, "order-1")
    (row,) = setup.rows("order-1")
    client = first if rerun == "same client" else setup.client()
    for _ in range(2):  # the same answer each time, never a submit
        with pytest.raises(SubmitUncertainError) as raised:
            if rerun == "resume":
                setup.call(client, "resume", row.key, output=setup.out)
            else:
                setup.call(client, "generate", REQUEST, model=MODEL, output=setup.out,
                           request_id="order-1")
        assert "still waiting" not in str(raised.value)
        assert f"jobs reconcile {row.key}" in str(raised.value)
    assert setup.server.submits == {"acme": 1}
    assert [r.state for r in setup.rows("order-1")] == ["uncertain"]
    _assert_left_clean(setup)

    # Settled as `jobs reconcile --adopt acme-1` does: the rerun finishes that very job.
    Ledger(setup.ledger_path).adopt(row.key, Job(
        provider="acme", model="motion-2", id="acme-1", status="queued",
        credential="acme-key"), source="person")
    result = setup.call(client, "generate", REQUEST, model=MODEL, output=setup.out,
                        request_id="order-1")
    assert result.job.id == "acme-1" and setup.out.read_bytes() == MP4
    assert setup.server.submits == {"acme": 1}


def test_a_route_rerun_after_a_lost_submit_answer_tries_no_other_candidate(
        tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first candidate's job may exist: the next candidate would be a second paid job."""
    monkeypatch.setenv("ALPHA_KEY", "a-key")
    monkeypatch.setenv("BETA_KEY", "b-key")
    pm = acme_pm(Acme("alpha"), Acme("beta"))
    config = parse_config({
        "providers": {name: {"api_key_env": f"{name.upper()}_KEY"} for name in ("alpha", "beta")},
        "routes": {"default": {"candidates": ["alpha:motion-2", "beta:motion-2"]}}}, pm=pm)
    setup = Setup(tmp_path, how, "submit")
    client = setup.client(pm=pm, config=config, credentials={})
    setup.interrupted(client, "order-1", route="default")
    for again in (client, setup.client(pm=pm, config=config, credentials={})):
        with pytest.raises(SubmitUncertainError):
            setup.call(again, "generate", REQUEST, route="default", output=setup.out,
                       request_id="order-1")
    assert setup.server.submits == {"alpha": 1}
    assert [(r.provider, r.state) for r in setup.rows("order-1")] == [("alpha", "uncertain")]


def test_steps_closed_unfinished_write_nothing(tmp_path: Path) -> None:
    """A suspended submit closed without an interruption (a generator collected, a host that
    drops it) is no instant at which anything happened: its intent is left as it was."""
    setup = Setup(tmp_path, "sync: KeyboardInterrupt", None)
    client = setup.client()
    steps = client.core.generate_steps(REQUEST, model=MODEL, request_id="order-1")
    assert next(steps).method == "POST"  # suspended with the submit in flight
    steps.close()
    gc.collect()
    assert [r.state for r in setup.rows("order-1")] == ["intent"]
    assert setup.server.submits == {}


@pytest.mark.parametrize("window", WINDOWS)
def test_more_cancellations_than_slots_leave_the_client_working(
        tmp_path: Path, how: str, window: str) -> None:
    setup = Setup(tmp_path, how, window)
    client = setup.client(max_concurrent=2)
    for n in range(3):
        setup.interrupted(client, f"order-{n}")
    if setup.sync:  # a lost token would block for ever: wait in a thread, bounded
        done: list[Any] = []
        worker = threading.Thread(target=lambda: done.append(client.generate(
            REQUEST, model=MODEL, output=setup.out, request_id="order-last")), daemon=True)
        worker.start()
        worker.join(30)
        assert done, "the client hangs: an in-flight slot was lost"
        result = done[0]
    else:
        result = setup.call(client, "generate", REQUEST, model=MODEL, output=setup.out,
                            request_id="order-last")
    assert result.path == setup.out and setup.out.read_bytes() == MP4
    assert setup.server.submits == {"acme": 4}


@pytest.mark.parametrize("window", WINDOWS)
def test_the_interruption_is_handled_when_it_happens_not_at_garbage_collection(
        tmp_path: Path, how: str, window: str) -> None:
    """A driver that lets the interruption out leaves the step generator suspended; closing
    it later (when the traceback is dropped) would run its handlers at an arbitrary time,
    with ``GeneratorExit``. Observers hear of the interruption itself, once, at once."""
    setup = Setup(tmp_path, how, window)
    setup.interrupted(setup.client(), "order-1")
    expected = "KeyboardInterrupt" if setup.sync else "CancelledError"
    assert setup.failures.heard == [expected]
    (before,) = setup.rows("order-1")
    gc.collect()
    (after,) = setup.rows("order-1")
    assert setup.failures.heard == [expected]
    assert (after.state, after.updated) == (before.state, before.updated)


# -- a provider that can find a lost answer again (Kling, by our external_task_id) -----------

KLING = Credentials(name="kling-sim", api_key="sim-kling-access",
                    secret_key="sim-kling-secret-key-32-bytes-long")


class StopAfterSubmit(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The real transport to the simulator; the first submit reaches it (its job is made),
    then its answer is withheld: KeyboardInterrupt (sync), or a wait until cancelled."""

    def __init__(self, sync: bool) -> None:
        # No kept-alive connections: each run has its own event loop (``anyio.run``), and a
        # connection opened on one could not be closed from the next.
        plain = httpx.Limits(max_keepalive_connections=0)
        self.inner: Any = (httpx.HTTPTransport(limits=plain) if sync
                           else httpx.AsyncHTTPTransport(limits=plain))
        self.armed = True
        self.reached: Callable[[], None] = lambda: None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.armed and request.method == "POST":
            self.armed = False
            response.close()
            raise KeyboardInterrupt
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.armed and request.method == "POST":
            self.armed = False
            await response.aclose()
            self.reached()
            await anyio.sleep_forever()
        return response


def test_a_lost_kling_submit_answer_is_looked_up_and_that_job_finished(
        tmp_path: Path, how: str, sim: tuple[str, Any]) -> None:
    base, counting = sim
    setup = Setup(tmp_path, how, None)
    transport = StopAfterSubmit(setup.sync)
    common: dict[str, Any] = dict(
        credentials={"kling": KLING.model_copy(update={"base_url": f"{base}/kling"})},
        clock=setup.clock, transport=transport, ledger=Ledger(setup.ledger_path),
        poll=PollPolicy(first=0.0, factor=1.0, cap=0.0, jitter=0.0, provider_guidance=False))
    if setup.sync:
        client: Any = VideoClient(sleep=setup.clock.sleep, **common)
    else:
        client = AsyncVideoClient(sleep=setup.clock.asleep, **common)
    # The simulator lives for the module and our external id follows the request id: one each.
    request_id = f"order-{tmp_path.name}"
    kwargs = dict(model="kling:kling-v2-6:pro", output=setup.out, request_id=request_id)
    try:
        _lost_then_found(setup, client, transport, kwargs, request_id, counting)
    finally:
        if setup.sync:
            client.close()
        else:
            anyio.run(client.aclose)


def _lost_then_found(setup: Setup, client: Any, transport: StopAfterSubmit,
                     kwargs: dict[str, Any], request_id: str, counting: Any) -> None:
    wire = "kling"
    posts, jobs = counting.posts.get(wire, 0), len(counting.app.state.simulator.store.all(wire))
    stop(setup.how, lambda: client.generate(REQUEST, **kwargs), transport)
    (row,) = setup.rows(request_id)
    assert row.state == "uncertain" and row.job_id is None
    made = counting.app.state.simulator.store.all(wire)[jobs:]
    assert len(made) == 1  # the provider did make the job: only its answer was lost

    result = setup.call(client, "generate", REQUEST, **kwargs)
    assert result.job.id == made[0].id  # found again by our own id and finished
    assert counting.posts.get(wire, 0) == posts + 1
    assert setup.out.read_bytes()[:8] and setup.parts() == []
    (row,) = setup.rows(request_id)
    assert (row.state, row.source) == ("finished", "lookup")


class _InterruptedWait:
    """A slot whose wait is interrupted (Ctrl-C while every slot is taken)."""

    def __enter__(self) -> None:
        raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        raise AssertionError("the slot was never taken")


def test_a_submit_stopped_waiting_for_a_slot_was_never_sent_and_a_rerun_sends_it(
        tmp_path: Path, how: str) -> None:
    """Nothing left the machine: the row says so (``rejected``, not ``uncertain``), so a
    cancelled batch does not leave a reconcile chore per queued job."""
    setup = Setup(tmp_path, how, None)
    client = setup.client(max_concurrent=1)
    if setup.sync:
        client.limiter.slot = lambda request: _InterruptedWait()
        with pytest.raises(KeyboardInterrupt):
            client.generate(REQUEST, model=MODEL, output=setup.out, request_id="order-1")
        del client.limiter.slot
    else:
        async def queued_then_cancelled() -> None:
            held = tag(httpx.Request("POST", "https://api.acme.example/x"), "acme")
            async with client.limiter.slot(held):  # the only slot is taken
                task = asyncio.ensure_future(client.generate(
                    REQUEST, model=MODEL, output=setup.out, request_id="order-1"))
                for _ in range(1000):  # until it waits for the slot (its intent is written)
                    await asyncio.sleep(0)
                    if setup.rows("order-1"):
                        break
                await asyncio.sleep(0)
                if how == "async: task.cancel()":
                    task.cancel()
                    with pytest.raises(asyncio.CancelledError):
                        await task
                else:
                    with anyio.move_on_after(0):
                        await task
                    assert task.cancelled()

        anyio.run(queued_then_cancelled)
    (row,) = setup.rows("order-1")
    assert (row.state, row.error_kind) == ("rejected", "interrupted")
    assert setup.server.submits == {}
    result = setup.call(client, "generate", REQUEST, model=MODEL, output=setup.out,
                        request_id="order-1")
    assert result.path == setup.out and setup.server.submits == {"acme": 1}
