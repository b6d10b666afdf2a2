"""The crash cells' machinery: real ``vidbridge`` processes (``generate`` and ``serve``) over
files in a temp dir, the simulator's counters, windows found by state under a deadline, the
SIGKILL, and the table the run prints (``conftest.py``).

Each window is detected by watching the ledger file (read-only, ``mode=ro``), the output
folder and the simulator's counters, never by a blind sleep; a bounded deadline fails the cell
if a window is never reached.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VIDBRIDGE = str(Path(sys.executable).with_name("vidbridge"))
DEADLINE_S = 20.0
FAST_POLL_S = 0.05   # `--poll-interval` / `[gateway] poll_interval_s` while a cell runs on
SLOW_POLL_S = 5.0    # while a cell holds the after-accept window open
# Only the job's first download trickles, over 3 s in two pieces (a ~30 KB clip): bytes are
# in the part file after 1.5 s and stay there 1.5 s; the recovery's download is quick.
SLOW_DOWNLOAD = "[[scenario:slow_download=3:1]]"


@dataclass(frozen=True)
class Wire:
    name: str            # provider entry, simulator mount and the table's column
    model: str
    entry: str           # the TOML table of the provider (without base_url)
    lookup: bool         # a lost submit answer can be found again
    mount: str = ""      # the simulator path under the base URL (default: /<name>)
    upstream: str = ""   # the simulator's own name for the wire (default: name)

    @property
    def base_path(self) -> str:
        return self.mount or f"/{self.name}"

    @property
    def jobs_key(self) -> str:
        return self.upstream or self.name


KLING = Wire("kling", "kling:kling-v2-6:pro",
             'api_key = "sim-kling-access"\nsecret_key = "sim-kling-secret-key-32-bytes-long"\n',
             lookup=True)
RUNWAY = Wire("runway", "runway:gen4.5", 'api_key = "sim-runway-key"\n', lookup=False)
SORA = Wire("sora", "sora:sora-2", 'api_key = "sim-openai-key"\nallow_retired = true\n',
            lookup=True, mount="/openai/v1", upstream="openai")

# (window, column) -> what the cell saw, e.g. "ok 1 job finished 3.1s"; printed after the run
CRASH_RESULTS: dict[tuple[str, str], str] = {}
WINDOWS = ["before send", "submit in flight", "after accept", "mid-download"]


def record(window: str, column: str, started: float, jobs: int, outcome: str,
           rows: list[dict[str, Any]]) -> None:
    """A passed cell: upstream jobs, what happened, the ledger row(s) at the end, wall time."""
    states = ",".join(row["state"] for row in rows) or "-"
    CRASH_RESULTS[(window, column)] = (f"ok {jobs} job{'s' * (jobs != 1)}, {outcome}, row "
                                       f"{states}, {time.monotonic() - started:.1f}s")


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

    def submits(self, wire: Wire) -> int:
        return self.posts.get(wire.base_path.strip("/").split("/")[0], 0)

    def jobs(self, wire: Wire) -> list[Any]:
        return list(self.app.state.simulator.store.all(wire.jobs_key))


def read_rows(ledger: Path) -> list[dict[str, Any]]:
    """The ledger's rows, read without taking part in the writer's transactions."""
    if not ledger.exists():
        return []
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5)
    db.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in db.execute("SELECT * FROM ledger ORDER BY created")]
    except sqlite3.OperationalError:
        return []  # the process has created the file but not yet its table
    finally:
        db.close()


def parts_in(folder: Path) -> list[Path]:
    return list(folder.glob(".*.part")) if folder.exists() else []


def wait_for(what: str, reached: Callable[[], bool], process: subprocess.Popen[str] | None
             ) -> None:
    """Poll ``reached`` until it holds, the process exits (a failure) or the deadline passes."""
    deadline = time.monotonic() + DEADLINE_S
    while not reached():
        if process is not None and process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            errors = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"exited before {what}: {output}{errors}")
        assert time.monotonic() < deadline, f"window never reached: {what}"
        time.sleep(0.02)


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=DEADLINE_S)
    assert process.returncode == -signal.SIGKILL


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VIDBRIDGE, *args], env=env, capture_output=True, text=True,
                          timeout=DEADLINE_S)


def free_port() -> int:
    with socket.socket() as probe:  # the gateway restarts on the same address
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Gateway:
    """``vidbridge serve`` in its own process over one database, ledger and output folder,
    routing the OpenAI model ``sora-2`` to one wire."""

    def __init__(self, tmp: Path, base: str, wire: Wire) -> None:
        self.port, self.tmp, self.wire, self.starts = free_port(), tmp, wire, 0
        self.ledger = tmp / "ledger.sqlite3"
        self.videos = tmp / "videos"
        self.config = tmp / "gateway.toml"
        self.point_at(base)
        self.env = {**os.environ, "VIDBRIDGE_LEDGER": str(self.ledger)}

    def point_at(self, base: str) -> None:
        wire = self.wire
        self.config.write_text(
            'default_route = "default"\n'
            f'[providers.{wire.name}]\nbase_url = "{base}{wire.base_path}"\n{wire.entry}'
            f'[routes.default]\ncandidates = ["{wire.model}"]\nretries = 0\n'
            '[aliases]\n"sora-2" = "default"\n'
            f'[gateway]\ndatabase = "{self.tmp / "gateway.sqlite3"}"\n'
            f'output_dir = "{self.videos}"\npoll_interval_s = {FAST_POLL_S}\n')

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, *options: str) -> subprocess.Popen[str]:
        """Start serving (``options``: e.g. ``--poll-interval 5``); returns once it listens."""
        self.starts += 1
        log = self.tmp / f"serve-{self.starts}.log"  # a file: a full pipe would block it
        with log.open("w") as sink:
            process = subprocess.Popen(
                [VIDBRIDGE, "serve", "-c", str(self.config), "--port", str(self.port),
                 "--insecure-no-auth", *options], env=self.env, stdout=sink,
                stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + DEADLINE_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return process
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(f"serve exited: {log.read_text()}") from None
                assert time.monotonic() < deadline, "serve never listened"
                time.sleep(0.05)

    def log(self) -> str:
        return "".join(path.read_text() for path in sorted(self.tmp.glob("serve-*.log")))

    def rows(self) -> list[dict[str, Any]]:
        return read_rows(self.ledger)

    def states(self) -> list[str]:
        return [row["state"] for row in self.rows()]

    def parts(self) -> list[Path]:
        return parts_in(self.videos)
