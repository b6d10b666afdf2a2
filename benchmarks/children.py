"""Servers in child processes for benchmarks: their work never shares our GIL or skews timings."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

SIMULATOR = """
import sys, uvicorn
from vidbridge.simulator import SimulatorSettings, create_app
uvicorn.run(create_app(SimulatorSettings(fast=True, fast_polls=2)), host="127.0.0.1",
            port=int(sys.argv[1]), log_level="warning")
"""


@contextlib.contextmanager
def child_server(script: str, *args: str, env: dict[str, str] | None = None,
                 ready_path: str = "/") -> Iterator[str]:
    """Run ``script`` (given a free port as its first argument); yield its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen([sys.executable, "-c", script, str(port), *args],
                             env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                httpx.get(base + ready_path, timeout=1)
                break
            time.sleep(0.05)
        yield base
    finally:
        child.terminate()
        child.wait(10)


def simulator_process() -> contextlib.AbstractContextManager[str]:
    """The simulator in fast mode (every poll advances a job)."""
    return child_server(SIMULATOR)
