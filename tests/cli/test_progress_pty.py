"""Progress on a real terminal: `vidbridge generate` in a pty renders live, Ctrl-C is handled."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread

SIMULATOR = Path(__file__).resolve().parents[2] / "examples" / "simulator.toml"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")


def simulator_config(tmp_path: Path, render_seconds: float) -> Iterator[Path]:
    # Real time here (a child process polls it), polled every 0.2 s.
    settings = SimulatorSettings(seed=2, render_seconds=render_seconds)
    with serve_in_thread(create_app(settings)) as base:
        path = tmp_path / "sim.toml"
        path.write_text(f'ledger = "{tmp_path / "ledger.sqlite3"}"\n'
                        + SIMULATOR.read_text().replace("http://127.0.0.1:8750", base))
        yield path


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    yield from simulator_config(tmp_path, render_seconds=1.5)


@pytest.fixture
def slow_config(tmp_path: Path) -> Iterator[Path]:
    """Renders outlast the test, so Ctrl-C always lands while the job runs."""
    yield from simulator_config(tmp_path, render_seconds=600)


def spawn(args: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    with interruptible_children():
        child = subprocess.Popen([sys.executable, "-m", "vidbridge", *args], stdin=follower,
                                 stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    return child, leader


@contextlib.contextmanager
def interruptible_children() -> Iterator[None]:
    """Children started here get Ctrl-C as on a user's terminal, even when the test run
    itself ignores SIGINT (started in the background by a non-interactive shell, as `cmd &`
    is): an ignored SIGINT is inherited across exec, and Python then installs no
    KeyboardInterrupt handler, so the child would never hear the test's Ctrl-C."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # what exec hands on: the default
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def read_until(leader: int, child: subprocess.Popen[bytes], marker: bytes | None,
               timeout: float = 30.0) -> bytes:
    """Everything the child wrote, until ``marker`` appears (or it exits); bounded."""
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the pty
                break
            seen += chunk
            if marker is not None and marker in seen:
                break
        elif child.poll() is not None:
            break
    return seen


def test_generate_renders_live_progress_on_a_terminal(config: Path, tmp_path: Path) -> None:
    child, leader = spawn(["generate", "a kite at dusk", "--model", "veo:veo-3.1-generate-001",
                           "--duration", "4", "-c", str(config), "-o", str(tmp_path / "v.mp4"),
                           "--poll-interval", "0.2"])
    try:
        seen = read_until(leader, child, None)
        assert child.wait(timeout=30) == 0, seen.decode(errors="replace")
    finally:
        child.kill()
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "accepted: veo job" in text
    assert "\x1b[" in text  # Rich drew (and redrew) the live line with terminal codes
    assert "veo:veo-3.1-generate-001  running" in text
    assert "v.mp4" in text and (tmp_path / "v.mp4").stat().st_size > 0


def test_ctrl_c_cancels_the_remote_job(slow_config: Path, tmp_path: Path) -> None:
    child, leader = spawn(["generate", "a kite at dusk", "--model", "runway:gen4.5",
                           "--duration", "5", "-c", str(slow_config), "-o", str(tmp_path / "v.mp4"),
                           "--poll-interval", "0.2"])
    try:
        seen = read_until(leader, child, b"accepted:")
        assert b"accepted:" in seen, seen.decode(errors="replace")
        child.send_signal(signal.SIGINT)
        seen += read_until(leader, child, None)
        assert child.wait(timeout=30) == 130
    finally:
        child.kill()
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "cancelled runway job" in text, text  # Runway's API cancels (DELETE /v1/tasks/ID)
    assert "Traceback" not in text
