"""Crash cells: a real ``vidbridge`` process SIGKILLed in each window of a paid submit, then
recovered, counting the jobs the provider made.

Windows (issue 10): *before send* (intent written, nothing reached the provider), *in flight*
(the provider holds the create answer), *after accept* (the job is ours, polling) and
*mid-download* (the video trickles into its ``.part`` file). Each window is found by watching
the ledger file (read-only) and the simulator's counters, never by a blind sleep; a bounded
deadline fails the cell if a window is never reached.

The simulator runs in this process (a thread on 127.0.0.1, port 0) so its counters are read
directly; faults ride on the prompt as ``[[scenario:...]]`` markers, which stay on the job.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread

# every videos.* method of openai>=3.51 is deprecated (the gateway tests silence it too)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
VIDBRIDGE = str(Path(sys.executable).with_name("vidbridge"))
DEADLINE_S = 20.0


@dataclass(frozen=True)
class Wire:
    name: str
    model: str
    entry: str          # the TOML table of the provider (without base_url)
    lookup: bool        # a lost submit answer can be found again (Kling external_task_id)


WIRES = [
    Wire("kling", "kling:kling-v2-6:pro",
         'api_key = "sim-kling-access"\nsecret_key = "sim-kling-secret-key-32-bytes-long"\n',
         lookup=True),
    Wire("runway", "runway:gen4.5", 'api_key = "sim-runway-key"\n', lookup=False),
]


class Counting:
    """The simulator's ASGI app, counting the POSTs (submits) that reached it per wire."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.posts: dict[str, int] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            wire = scope["path"].strip("/").split("/")[0]
            self.posts[wire] = self.posts.get(wire, 0) + 1
        await self.app(scope, receive, send)

    def jobs(self, wire: str) -> list[Any]:
        return list(self.app.state.simulator.store.all(wire))


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[str, Counting]]:
    counting = Counting(create_app(SimulatorSettings(fast=True, sora_retired=False)))
    with serve_in_thread(counting) as base:
        yield base, counting


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A port that completes TCP handshakes and never reads: requests sent there reach no
    provider (the kernel's accept queue holds them), so a process waits right after its intent."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


class Cell:
    """One CLI crash cell's files: config, ledger, output, and the commands it runs."""

    def __init__(self, tmp: Path, base: str, wire: Wire) -> None:
        self.tmp, self.wire = tmp, wire
        self.ledger = tmp / "ledger.sqlite3"
        self.out = tmp / "out" / "video.mp4"
        self.config = tmp / "vidbridge.toml"
        self.point_at(base)
        self.env = {**os.environ, "VIDBRIDGE_LEDGER": str(self.ledger),
                    "VIDBRIDGE_CONFIG": str(self.config)}

    def point_at(self, base: str) -> None:
        self.config.write_text(f'[providers.{self.wire.name}]\nbase_url = "{base}/'
                               f'{self.wire.name}"\n{self.wire.entry}')

    def generate(self, prompt: str, poll: float = 0.05) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [VIDBRIDGE, "generate", prompt, "--model", self.wire.model, "--out", str(self.out),
             "--request-id", "crash-cell", "--duration", "5", "--poll-interval", str(poll)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([VIDBRIDGE, *args], env=self.env, capture_output=True, text=True,
                              timeout=DEADLINE_S)

    def rows(self) -> list[dict[str, Any]]:
        if not self.ledger.exists():
            return []
        db = sqlite3.connect(f"file:{self.ledger}?mode=ro", uri=True, timeout=5)
        db.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in db.execute("SELECT * FROM ledger ORDER BY created")]
        except sqlite3.OperationalError:
            return []  # the process has created the file but not yet its table
        finally:
            db.close()

    def states(self) -> list[str]:
        return [row["state"] for row in self.rows()]

    def parts(self) -> list[Path]:
        return list(self.out.parent.glob("*.part")) if self.out.parent.exists() else []


def wait_for(what: str, reached: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not reached():
        if process.poll() is not None:
            raise AssertionError(f"exited before {what}: {process.stdout.read()}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"window never reached: {what}"
        time.sleep(0.02)


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=DEADLINE_S)
    assert process.returncode == -signal.SIGKILL


def finish(cell: Cell, prompt: str, states: list[str] | None = None) -> None:
    """Re-run the same command under the same request id: it must end with the video."""
    again = cell.generate(prompt)
    output, _ = again.communicate(timeout=DEADLINE_S * 2)
    assert again.returncode == 0, output
    assert cell.out.read_bytes()[4:8] == b"ftyp"
    assert cell.parts() == []
    assert cell.states() == (states or ["finished"])


def uncertain_rows(cell: Cell) -> list[dict[str, Any]]:
    listed = cell.run("jobs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return [row for row in json.loads(listed.stdout) if row.get("state") == "uncertain"]


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_killed_before_send(wire: Wire, sim: tuple[str, Counting], blackhole: str,
                            tmp_path: Path) -> None:
    base, counting = sim
    cell = Cell(tmp_path, blackhole, wire)  # the first run's submit never reaches a provider
    prompt = f"a kite over dunes, {wire.name} before send"
    first = cell.generate(prompt)
    wait_for("intent written", lambda: cell.states() == ["intent"], first)
    kill(first)
    assert counting.posts.get(wire.name, 0) == 0 and counting.jobs(wire.name) == []

    cell.point_at(base)  # the network is back
    # Not even Kling's lookup proves "no job": a submit may still be on its way (the next
    # cell), so the request stops uncertain on every wire until a person decides.
    again = cell.run("generate", prompt, "--model", wire.model, "--out", str(cell.out),
                     "--request-id", "crash-cell", "--poll-interval", "0.05")
    assert again.returncode != 0 and "reconcile" in again.stdout + again.stderr
    [row] = uncertain_rows(cell)
    abandoned = cell.run("jobs", "reconcile", row["key"], "--abandon")
    assert abandoned.returncode == 0, abandoned.stdout + abandoned.stderr
    assert uncertain_rows(cell) == []
    # The same request id stays let go (a person said so); nothing was ever sent upstream.
    after = cell.run("generate", prompt, "--model", wire.model, "--out", str(cell.out),
                     "--request-id", "crash-cell", "--poll-interval", "0.05")
    assert after.returncode != 0 and "abandoned" in after.stdout + after.stderr
    assert counting.jobs(wire.name) == [] and cell.states() == ["abandoned"]


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_killed_with_submit_in_flight(wire: Wire, sim: tuple[str, Counting],
                                      tmp_path: Path) -> None:
    base, counting = sim
    cell = Cell(tmp_path, base, wire)
    prompt = f"a kite over dunes, {wire.name} in flight [[scenario:latency=1.5@submit]]"
    posts = counting.posts.get(wire.name, 0)
    jobs = len(counting.jobs(wire.name))
    first = cell.generate(prompt)
    wait_for("submit held by the provider",
             lambda: counting.posts.get(wire.name, 0) > posts and cell.states() == ["intent"],
             first)
    kill(first)
    wait_for_accepted = time.monotonic() + DEADLINE_S  # the provider goes on and makes the job
    while len(counting.jobs(wire.name)) == jobs:
        assert time.monotonic() < wait_for_accepted, "the held submit never made a job"
        time.sleep(0.02)
    [job] = counting.jobs(wire.name)[jobs:]

    if wire.lookup:  # found again by external_task_id: adopted, polled, downloaded
        finish(cell, prompt)
    else:
        [row] = uncertain_rows(cell)
        adopted = cell.run("jobs", "reconcile", row["key"], "--adopt", job.id)
        assert adopted.returncode == 0, adopted.stdout + adopted.stderr
        finish(cell, prompt)  # the adopted job is polled and downloaded, never resubmitted
    assert len(counting.jobs(wire.name)) == jobs + 1
    assert [row["job_id"] for row in cell.rows()] == [job.id]


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_killed_after_accept(wire: Wire, sim: tuple[str, Counting], tmp_path: Path) -> None:
    base, counting = sim
    cell = Cell(tmp_path, base, wire)
    prompt = f"a kite over dunes, {wire.name} after accept"
    jobs = len(counting.jobs(wire.name))
    first = cell.generate(prompt, poll=5.0)  # waits between polls: the window stays open
    wait_for("job accepted", lambda: cell.states() == ["accepted"], first)
    kill(first)
    finish(cell, prompt)
    assert len(counting.jobs(wire.name)) == jobs + 1


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_killed_mid_download(wire: Wire, sim: tuple[str, Counting], tmp_path: Path) -> None:
    base, counting = sim
    cell = Cell(tmp_path, base, wire)
    # Only the job's first download trickles (over 6 s): the recovery's is quick.
    prompt = f"a kite over dunes, {wire.name} mid-download [[scenario:slow_download=6:1]]"
    jobs = len(counting.jobs(wire.name))
    first = cell.generate(prompt)
    wait_for("bytes in the part file",
             lambda: any(part.stat().st_size > 0 for part in cell.parts()), first)
    assert cell.states() == ["succeeded"]
    kill(first)
    assert not cell.out.exists()
    finish(cell, prompt)
    assert len(counting.jobs(wire.name)) == jobs + 1


def free_port() -> int:
    with socket.socket() as probe:  # the gateway restarts on the same address
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Gateway:
    """``vidbridge serve`` in its own process over one database, ledger and output folder."""

    def __init__(self, tmp: Path, base: str) -> None:
        self.port, self.tmp = free_port(), tmp
        self.ledger = tmp / "ledger.sqlite3"
        self.config = tmp / "gateway.toml"
        self.config.write_text(
            'default_route = "default"\n'
            f'[providers.sora]\nbase_url = "{base}/openai/v1"\napi_key = "sim-openai-key"\n'
            'allow_retired = true\n'
            '[routes.default]\ncandidates = ["sora:sora-2"]\nretries = 0\n'
            '[aliases]\n"sora-2" = "default"\n'
            f'[gateway]\ndatabase = "{tmp / "gateway.sqlite3"}"\n'
            f'output_dir = "{tmp / "videos"}"\n')
        self.env = {**os.environ, "VIDBRIDGE_LEDGER": str(self.ledger)}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [VIDBRIDGE, "serve", "-c", str(self.config), "--port", str(self.port),
             "--insecure-no-auth"], env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + DEADLINE_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return process
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(f"serve exited: {process.stderr.read()}") from None  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "serve never listened"
                time.sleep(0.05)

    def states(self) -> list[str]:
        return Cell.states(self)  # type: ignore[arg-type]

    def rows(self) -> list[dict[str, Any]]:
        return Cell.rows(self)  # type: ignore[arg-type]


def test_serve_killed_after_accept_recovers_on_restart(sim: tuple[str, Counting],
                                                       tmp_path: Path) -> None:
    import openai

    base, counting = sim
    gateway = Gateway(tmp_path, base)
    jobs = len(counting.jobs("openai"))
    first = gateway.start()
    try:
        client = openai.OpenAI(base_url=gateway.url, api_key="unused", max_retries=0,
                               timeout=DEADLINE_S)
        video = client.videos.create(model="sora-2", prompt="a lighthouse, killed gateway",
                                     seconds="4", size="1280x720")
        wait_for("job accepted upstream", lambda: gateway.states() == ["accepted"], first)
    finally:
        kill(first)
    assert len(counting.jobs("openai")) == jobs + 1

    second = gateway.start()  # same database: recovery re-runs the video under its id
    try:
        deadline = time.monotonic() + DEADLINE_S * 2
        while (done := client.videos.retrieve(video.id)).status not in ("completed", "failed"):
            assert time.monotonic() < deadline, f"never completed: {done.status}"
            time.sleep(0.1)
        assert done.status == "completed", done.error
        assert client.videos.download_content(video.id).read()[4:8] == b"ftyp"
    finally:
        second.terminate()
        second.wait(timeout=DEADLINE_S)
    assert len(counting.jobs("openai")) == jobs + 1  # polled and downloaded, never resubmitted
    assert gateway.states() == ["finished"]
    assert list((tmp_path / "videos").glob(".*.part")) == []
