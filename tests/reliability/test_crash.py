"""Crash cells for the CLI: a real ``vidbridge generate`` SIGKILLed in each window of a paid
submit, then recovered by running the same command again, counting the jobs the provider made.

Windows (issue 10): *before send* (intent written, nothing reached the provider), *in flight*
(the provider holds the create answer), *after accept* (the job is ours, polling) and
*mid-download* (the video trickles into its ``.part`` file). The simulator runs in this
process (``conftest.sim``); faults ride on the prompt as ``[[scenario:...]]`` markers, which
stay on the job. ``vidbridge serve``'s cells are in ``test_crash_serve.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from .crashkit import (
    DEADLINE_S,
    FAST_POLL_S,
    KLING,
    RUNWAY,
    SLOW_DOWNLOAD,
    SLOW_POLL_S,
    VIDBRIDGE,
    Counting,
    Wire,
    kill,
    parts_in,
    read_rows,
    record,
    run_cli,
    wait_for,
)

WIRES = [KLING, RUNWAY]


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
        self.started = time.monotonic()

    def point_at(self, base: str) -> None:
        self.config.write_text(f'[providers.{self.wire.name}]\nbase_url = "{base}/'
                               f'{self.wire.name}"\n{self.wire.entry}')

    def generate(self, prompt: str, poll: float = FAST_POLL_S) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [VIDBRIDGE, "generate", prompt, "--model", self.wire.model, "--out", str(self.out),
             "--request-id", "crash-cell", "--duration", "5", "--poll-interval", str(poll)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.env, *args)

    def rows(self) -> list[dict[str, Any]]:
        return read_rows(self.ledger)

    def states(self) -> list[str]:
        return [row["state"] for row in self.rows()]

    def parts(self) -> list[Path]:
        return parts_in(self.out.parent)

    def record(self, window: str, counting: Counting, outcome: str) -> None:
        jobs = len([job for job in counting.jobs(self.wire)
                    if job.id in {row["job_id"] for row in self.rows()}])
        record(window, f"cli/{self.wire.name}", self.started, jobs, outcome, self.rows())


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
    posts = counting.submits(wire)
    first = cell.generate(prompt)
    wait_for("intent written", lambda: cell.states() == ["intent"], first)
    kill(first)
    assert counting.submits(wire) == posts

    cell.point_at(base)  # the network is back
    # Not even Kling's lookup proves "no job": a submit may still be on its way (the next
    # cell), so the request stops uncertain on every wire until a person decides.
    again = cell.run("generate", prompt, "--model", wire.model, "--out", str(cell.out),
                     "--request-id", "crash-cell", "--poll-interval", str(FAST_POLL_S))
    assert again.returncode != 0 and "reconcile" in again.stdout + again.stderr
    [row] = uncertain_rows(cell)
    abandoned = cell.run("jobs", "reconcile", row["key"], "--abandon")
    assert abandoned.returncode == 0, abandoned.stdout + abandoned.stderr
    assert uncertain_rows(cell) == []
    # The same request id stays let go (a person said so); nothing was ever sent upstream.
    after = cell.run("generate", prompt, "--model", wire.model, "--out", str(cell.out),
                     "--request-id", "crash-cell", "--poll-interval", str(FAST_POLL_S))
    assert after.returncode != 0 and "abandoned" in after.stdout + after.stderr
    assert counting.submits(wire) == posts and cell.states() == ["abandoned"]
    cell.record("before send", counting, "uncertain, abandoned")


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_killed_with_submit_in_flight(wire: Wire, sim: tuple[str, Counting],
                                      tmp_path: Path) -> None:
    base, counting = sim
    cell = Cell(tmp_path, base, wire)
    prompt = f"a kite over dunes, {wire.name} in flight [[scenario:latency=1.5@submit]]"
    posts = counting.submits(wire)
    jobs = len(counting.jobs(wire))
    first = cell.generate(prompt)
    wait_for("submit held by the provider",
             lambda: counting.submits(wire) > posts and cell.states() == ["intent"], first)
    kill(first)
    # the provider goes on and makes the job
    wait_for("the held submit made a job", lambda: len(counting.jobs(wire)) > jobs, None)
    [job] = counting.jobs(wire)[jobs:]

    if wire.lookup:  # found again by external_task_id: adopted, polled, downloaded
        finish(cell, prompt)
        outcome = "looked up"
    else:
        [row] = uncertain_rows(cell)
        adopted = cell.run("jobs", "reconcile", row["key"], "--adopt", job.id)
        assert adopted.returncode == 0, adopted.stdout + adopted.stderr
        finish(cell, prompt)  # the adopted job is polled and downloaded, never resubmitted
        outcome = "uncertain, adopted"
    assert len(counting.jobs(wire)) == jobs + 1 and counting.submits(wire) == posts + 1
    assert [row["job_id"] for row in cell.rows()] == [job.id]
    cell.record("submit in flight", counting, outcome)


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_killed_after_accept(wire: Wire, sim: tuple[str, Counting], tmp_path: Path) -> None:
    base, counting = sim
    cell = Cell(tmp_path, base, wire)
    prompt = f"a kite over dunes, {wire.name} after accept"
    jobs = len(counting.jobs(wire))
    first = cell.generate(prompt, poll=SLOW_POLL_S)  # waits between polls: the window stays open
    wait_for("job accepted", lambda: cell.states() == ["accepted"], first)
    kill(first)
    finish(cell, prompt)
    assert len(counting.jobs(wire)) == jobs + 1
    cell.record("after accept", counting, "polled")


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_killed_mid_download(wire: Wire, sim: tuple[str, Counting], tmp_path: Path) -> None:
    base, counting = sim
    cell = Cell(tmp_path, base, wire)
    prompt = f"a kite over dunes, {wire.name} mid-download {SLOW_DOWNLOAD}"
    jobs = len(counting.jobs(wire))
    first = cell.generate(prompt)
    wait_for("bytes in the part file",
             lambda: any(part.stat().st_size > 0 for part in cell.parts()), first)
    assert cell.states() == ["succeeded"]
    kill(first)
    assert not cell.out.exists()
    finish(cell, prompt)
    assert len(counting.jobs(wire)) == jobs + 1
    cell.record("mid-download", counting, "downloaded, no .part")
