"""Crash cells for ``vidbridge serve``: the gateway process SIGKILLed in each window of a paid
submit while the official ``openai`` SDK holds a video id, restarted on the same database,
ledger and port; its recovery re-runs every unfinished video under its id.

What each cell asserts: the submits (POSTs) that reached the simulator and the jobs it made
(never a second generation), the ledger row, the status the SDK sees (``completed`` with an
MP4, or ``failed`` with code ``submit_uncertain`` where nothing can prove what the provider
holds) and no ``.part`` file left. The gateway polls at ``[gateway] poll_interval_s`` =
``FAST_POLL_S``; the after-accept cell's first process polls slowly (``--poll-interval``) to
hold its window open.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .crashkit import (
    DEADLINE_S,
    KLING,
    RUNWAY,
    SLOW_DOWNLOAD,
    SLOW_POLL_S,
    SORA,
    Counting,
    Gateway,
    Wire,
    kill,
    record,
    run_cli,
    wait_for,
)

# every videos.* method of openai>=3.51 is deprecated (the gateway tests silence it too)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
WIRES = [KLING, RUNWAY]


class Served:
    """One serve cell: the gateway, the SDK client, the simulator's counts before it ran."""

    def __init__(self, tmp: Path, base: str, wire: Wire, counting: Counting) -> None:
        import openai

        self.gateway = Gateway(tmp, base, wire)
        self.wire, self.counting = wire, counting
        self.sdk = openai.OpenAI(base_url=self.gateway.url, api_key="unused", max_retries=0,
                                 timeout=DEADLINE_S)
        self.posts, self.jobs = counting.submits(wire), len(counting.jobs(wire))
        self.started = time.monotonic()
        self.running: list[Any] = []

    def start(self, *options: str) -> Any:
        process = self.gateway.start(*options)
        self.running.append(process)
        return process

    def create(self, prompt: str) -> Any:
        return self.sdk.videos.create(model="sora-2", prompt=prompt, seconds="4",
                                      size="1280x720")

    def ended(self, video_id: str) -> Any:
        """The video once the SDK sees it completed or failed (bounded)."""
        deadline = time.monotonic() + DEADLINE_S
        while (video := self.sdk.videos.retrieve(video_id)).status not in ("completed",
                                                                             "failed"):
            assert time.monotonic() < deadline, f"never ended: {video.status}"
            time.sleep(0.05)
        return video

    def new_jobs(self) -> list[Any]:
        return self.counting.jobs(self.wire)[self.jobs:]

    def submits(self) -> int:
        return self.counting.submits(self.wire) - self.posts

    def completed(self, video_id: str) -> None:
        video = self.ended(video_id)
        assert video.status == "completed", (video.error, self.gateway.log()[-2000:])
        assert self.sdk.videos.download_content(video_id).read()[4:8] == b"ftyp"
        assert self.gateway.states() == ["finished"] and self.gateway.parts() == []

    def failed_uncertain(self, video_id: str) -> Any:
        video = self.ended(video_id)
        assert video.status == "failed", self.gateway.log()[-2000:]
        assert video.error is not None and video.error.code == "submit_uncertain"
        assert "reconcile" in video.error.message
        assert self.gateway.states() == ["uncertain"] and self.gateway.parts() == []
        return video

    def record(self, window: str, outcome: str) -> None:
        record(window, f"serve/{self.wire.name}", self.started, len(self.new_jobs()), outcome,
               self.gateway.rows())

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=DEADLINE_S)


@pytest.fixture
def served(sim: tuple[str, Counting], tmp_path: Path) -> Iterator[Any]:
    base, counting = sim
    cells: list[Served] = []

    def make(wire: Wire, at: str | None = None) -> Served:
        cell = Served(tmp_path, at or base, wire, counting)
        cells.append(cell)
        return cell

    yield make
    for cell in cells:
        cell.stop()


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_serve_killed_before_send(wire: Wire, served: Any, sim: tuple[str, Counting],
                                  blackhole: str) -> None:
    cell = served(wire, at=blackhole)  # the first process's submit reaches no provider
    first = cell.start()
    video = cell.create(f"a lighthouse, serve {wire.name} before send")
    wait_for("intent written", lambda: cell.gateway.states() == ["intent"], first)
    kill(first)
    assert cell.submits() == 0

    cell.gateway.point_at(sim[0])  # the network is back; same database, ledger and port
    cell.start()
    # The dead process's intent cannot be told from a submit still on its way: not even
    # Kling's lookup finding nothing proves "never sent", so it is reported, not re-sent.
    cell.failed_uncertain(video.id)
    assert cell.submits() == 0 and cell.new_jobs() == []
    [row] = cell.gateway.rows()
    settled = run_cli(cell.gateway.env, "jobs", "reconcile", row["key"], "--abandon")
    assert settled.returncode == 0, settled.stdout + settled.stderr
    assert cell.gateway.states() == ["abandoned"]
    cell.record("before send", "failed submit_uncertain, abandoned")


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_serve_killed_with_submit_in_flight(wire: Wire, served: Any) -> None:
    cell = served(wire)
    first = cell.start()
    video = cell.create(f"a lighthouse, serve {wire.name} in flight "
                        "[[scenario:latency=1.5@submit]]")
    wait_for("submit held by the provider",
             lambda: cell.submits() == 1 and cell.gateway.states() == ["intent"], first)
    kill(first)
    wait_for("the held submit made a job", lambda: len(cell.new_jobs()) == 1, None)
    [job] = cell.new_jobs()

    cell.start()
    if wire.lookup:  # found by our external_task_id: adopted, polled, downloaded
        cell.completed(video.id)
        assert [row["job_id"] for row in cell.gateway.rows()] == [job.id]
        outcome = "looked up, completed"
    else:  # nothing to look it up by: reported, never sent again
        cell.failed_uncertain(video.id)
        outcome = "failed submit_uncertain"
    assert cell.submits() == 1 and len(cell.new_jobs()) == 1
    cell.record("submit in flight", outcome)


def test_serve_killed_after_accept(served: Any) -> None:
    wire = SORA  # the job is ours by its own answer: no lookup, one wire is enough
    cell = served(wire)
    first = cell.start("--poll-interval", str(SLOW_POLL_S))  # holds the window open
    video = cell.create(f"a lighthouse, serve {wire.name} after accept")
    wait_for("job accepted upstream", lambda: cell.gateway.states() == ["accepted"], first)
    kill(first)
    assert cell.submits() == 1 and len(cell.new_jobs()) == 1

    cell.start()  # [gateway] poll_interval_s: recovery polls and downloads quickly
    cell.completed(video.id)
    assert cell.submits() == 1 and len(cell.new_jobs()) == 1  # never resubmitted
    cell.record("after accept", "polled, completed")


def test_serve_killed_mid_download(served: Any) -> None:
    wire = RUNWAY  # no lookup happens in this window: one wire is enough
    cell = served(wire)
    first = cell.start()
    video = cell.create(f"a lighthouse, serve {wire.name} mid-download {SLOW_DOWNLOAD}")
    wait_for("bytes in the part file",
             lambda: any(part.stat().st_size > 0 for part in cell.gateway.parts()), first)
    assert cell.gateway.states() == ["succeeded"]
    kill(first)

    cell.start()
    cell.completed(video.id)  # downloaded again, the killed one's part file removed
    assert cell.submits() == 1 and len(cell.new_jobs()) == 1
    cell.record("mid-download", "completed, no .part")
