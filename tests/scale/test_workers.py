"""Several gateway workers on one PostgreSQL behind the official SDK; one is SIGKILLed at a
chosen step. Every job still ends completed or failed with a reason, with exactly one submit
per job upstream (counted at the simulator), and the jobs spread over the workers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from vidbridge.simulator import SimulatorSettings
from vidbridge.simulator import create_app as create_simulator
from vidbridge.simulator import serve_in_thread as serve_simulator

from ..compat.simenv import raw_config

pytest.importorskip("dbos")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK's videos.*
KEY = "gw-scale-key"
WORKER = Path(__file__).with_name("worker.py")
SUBMIT = "/kling/v1/videos/text2video"
JOBS = 6
CAP = 2  # Kling queue: jobs in flight at once across the workers
DEADLINE_S = 90  # a bound on the whole wait, far above what it takes
# Each test starts 2-3 worker processes: ~8 s each on an idle 2-core machine (all five
# ~40 s), three times that when the machine is busy. The 200-line batch (~65 s) is opt-in
# locally (VIDBRIDGE_SLOW=1); .ci/run sets it.
SLOW = pytest.mark.skipif(os.environ.get("VIDBRIDGE_SLOW") != "1",
                          reason="opt-in (~65 s): set VIDBRIDGE_SLOW=1")


class Counting:
    """The simulator's ASGI app, counting the requests it receives (method, path)."""

    def __init__(self, app: Any) -> None:
        self.app, self.calls = app, []  # type: list[tuple[str, str]]
        self.answered: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.calls.append((scope["method"], scope["path"]))
        call = (scope["method"], scope["path"])

        async def answering(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                self.answered.append(call)
            await send(message)

        await self.app(scope, receive, answering)

    def submits(self) -> int:
        return sum(1 for method, path in self.calls if method == "POST" and path == SUBMIT)

    def jobs_made(self) -> int:
        """Submits the provider accepted (a 200 answer): the jobs that exist, and are paid."""
        return sum(1 for method, path in self.answered if method == "POST" and path == SUBMIT)


@pytest.fixture(scope="module")
def simulator() -> Iterator[tuple[str, Counting]]:
    counting = Counting(create_simulator(SimulatorSettings(fast=True, seed=3, fast_polls=12)))
    with serve_simulator(counting) as base:  # type: ignore[arg-type]
        yield base, counting


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def workers(count: int, sim: str, tmp: Path, url: str, kill: str = "",
            cap: int = 2) -> Iterator[list[Any]]:
    raw = raw_config(sim, tmp, gateway={"worker_timeout_s": 2.0, "route": "kling-only",
                                        "max_concurrent_per_key": 1000,
                                        "output_dir": str(tmp / "shared-videos"),
                                        "queues": {"kling": {"max_concurrent": cap}}})
    (tmp / "config.json").write_text(json.dumps(raw))
    env = {**os.environ, "VB_KEY": KEY, "VB_KILL": kill, "VB_KILL_MARK": str(tmp / "killed"),
           "VB_KILL_ARMED": str(tmp / "armed")}
    procs = []
    for _ in range(count):
        port = free_port()
        proc = subprocess.Popen([sys.executable, str(WORKER), str(tmp / "config.json"),
                                 str(port), url], env=env)
        procs.append((proc, f"http://127.0.0.1:{port}"))
    try:
        for proc, base in procs:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, "a worker exited at start-up"
                with contextlib.suppress(httpx.TransportError):
                    httpx.get(base + "/v1/videos", timeout=2)
                    break
                assert time.monotonic() < deadline, "a worker never started"
                time.sleep(0.1)
        yield procs
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def sdk(base: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0)


def settle(clients: list[openai.OpenAI], ids: list[str]) -> dict[str, Any]:
    """Poll every video through the given workers until each is terminal."""
    final: dict[str, Any] = {}
    deadline = time.monotonic() + DEADLINE_S
    turn = 0
    while len(final) < len(ids):
        assert time.monotonic() < deadline, f"unfinished: {set(ids) - set(final)}"
        for video_id in ids:
            if video_id in final:
                continue
            turn += 1
            try:
                video = clients[turn % len(clients)].videos.retrieve(video_id)
            except openai.APIConnectionError:
                continue  # that worker is the dead one
            if video.status in ("completed", "failed"):
                final[video_id] = video
        time.sleep(0.05)
    return final


@pytest.mark.parametrize("kill", ["submit-before", "submit-inflight", "poll", "download"])
def test_a_worker_killed_mid_job_loses_nothing_and_pays_once(
        kill: str, simulator: tuple[str, Counting], postgres_url: str, tmp_path: Path) -> None:
    sim, counting = simulator
    before, made_before = counting.submits(), counting.jobs_made()
    with workers(2, sim, tmp_path, postgres_url, kill, cap=CAP) as procs:
        clients = [sdk(base) for _, base in procs]
        ids = [clients[n % 2].videos.create(prompt=f"a kite, {kill} {n}", seconds="5",
                                            size="1280x720").id for n in range(JOBS)]
        (tmp_path / "armed").touch()  # the next worker to reach the kill point dies
        final = settle(clients, ids)
        killed = [proc for proc, _ in procs if proc.poll() == -signal.SIGKILL]
        assert len(killed) == 1, "the kill point was never reached"
    for video in final.values():
        assert video.status == "completed" or (video.error and video.error.message), video
    completed = [v for v in final.values() if v.status == "completed"]
    uncertain = [v for v in final.values() if v.status != "completed"]
    assert counting.submits() - before <= JOBS  # at most one submit per job, none repeated
    # Kling's lookup adopts a lost answer, so every job the provider made completes: nothing
    # paid for is lost. The one exception is a second submit the killed worker had written
    # the intent of but not yet sent, or only half sent (the queue lets it run two): no job
    # exists upstream, and since nothing proves that, it fails as submit_uncertain (never
    # resent) rather than completing.
    assert counting.jobs_made() - made_before == len(completed)
    assert len(uncertain) <= CAP - 1, uncertain
    assert all(v.error.code == "submit_uncertain" for v in uncertain), uncertain
    files = sorted((tmp_path / "shared-videos").glob("*.mp4"))
    assert len(files) == len(completed) and all(f.read_bytes()[4:8] == b"ftyp" for f in files)
    assert not list((tmp_path / "shared-videos").glob(".*.part")) or kill == "download"


def test_three_workers_share_the_work_and_any_serves_any_read(
        simulator: tuple[str, Counting], postgres_url: str, tmp_path: Path) -> None:
    sim, counting = simulator
    before = counting.submits()
    with workers(3, sim, tmp_path, postgres_url) as procs:
        clients = [sdk(base) for _, base in procs]
        ids = [clients[n % 3].videos.create(prompt=f"a kite {n}", seconds="5",
                                            size="1280x720").id for n in range(9)]
        final = settle(clients[::-1], ids)  # read through other workers than the creator
        assert {v.status for v in final.values()} == {"completed"}
        content = clients[2].videos.download_content(ids[0]).read()  # created on worker 0
        assert content[4:8] == b"ftyp"
        listed = {v.id for v in clients[1].videos.list(limit=100)}
        assert set(ids) <= listed
    assert counting.submits() - before == 9
    import psycopg

    with psycopg.connect(postgres_url) as db:
        executors = db.execute("SELECT executor_id, count(*) FROM dbos.workflow_status "
                               "GROUP BY executor_id").fetchall()
    assert len(executors) >= 2, executors  # the queue spread the jobs over workers


@SLOW
def test_a_batch_of_200_lines_survives_a_worker_killed_mid_poll(
        simulator: tuple[str, Counting], postgres_url: str, tmp_path: Path) -> None:
    sim, counting = simulator
    before = counting.submits()
    lines = "".join(json.dumps({"custom_id": f"line-{n}", "method": "POST", "url": "/v1/videos",
                                "body": {"prompt": f"a kite, take {n}", "seconds": "5",
                                         "size": "1280x720"}}) + "\n" for n in range(200))
    with workers(2, sim, tmp_path, postgres_url, "poll", cap=16) as procs:
        clients = [sdk(base) for _, base in procs]
        upload = clients[0].files.create(file=("b.jsonl", lines.encode()), purpose="batch")
        batch = clients[0].batches.create(input_file_id=upload.id, endpoint="/v1/videos",  # type: ignore[arg-type]
                                          completion_window="24h")
        deadline = time.monotonic() + DEADLINE_S
        while sum(1 for _ in clients[0].videos.list(limit=100)) < 200:  # all lines created
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (tmp_path / "armed").touch()
        while True:
            assert time.monotonic() < deadline * 2, "the batch never completed"
            try:
                done = clients[0].batches.retrieve(batch.id)
            except openai.APIConnectionError:  # the accepting worker was the one killed
                done = clients[1].batches.retrieve(batch.id)
            if done.status == "completed":
                break
            time.sleep(0.1)
        killed = [proc for proc, _ in procs if proc.poll() == -signal.SIGKILL]
        assert len(killed) == 1, "the kill point was never reached"
    assert done.request_counts is not None and done.request_counts.completed == 200
    assert counting.submits() - before == 200  # one submit per line, none repeated
