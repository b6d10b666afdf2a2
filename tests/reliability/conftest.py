"""Prints the fault matrix and the crash table after the run (cells that did not run are left
blank); the crash cells' simulator and black-hole port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread

from .crashkit import CRASH_RESULTS, WINDOWS, Counting
from .harness import FAULTS, RESULTS, WIRES


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[str, Counting]]:
    """The simulator in a thread on 127.0.0.1 (port 0), its counters read in this process."""
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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    write = terminalreporter.write_line
    if RESULTS:
        _fault_matrix(write)
    if CRASH_RESULTS:
        _crash_table(write)


def _fault_matrix(write: Any) -> None:
    width = max(len(f.name) for f in FAULTS)
    columns = [(wire.name, mode) for wire in WIRES for mode in ("sync", "async")]
    heads = [f"{name}/{mode[0]}" for name, mode in columns]
    sizes = [max(len(head), 8) for head in heads]
    write("")
    write("fault matrix (ok: as expected; ->fb fell back; stop: route stopped; * n/a on "
          "this wire)")
    write(" " * width + " | " + " | ".join(h.ljust(s) for h, s in zip(heads, sizes, strict=True)))
    for fault in FAULTS:
        cells = [RESULTS.get((name, fault.name, mode), "").ljust(size)
                 for (name, mode), size in zip(columns, sizes, strict=True)]
        write(fault.name.ljust(width) + " | " + " | ".join(cells))


def _crash_table(write: Any) -> None:
    cells = sorted(CRASH_RESULTS.items(), key=lambda item: (item[0][1], WINDOWS.index(item[0][0])))
    width = max(len(column) for _, column in CRASH_RESULTS)
    write("")
    write("crash cells (real process SIGKILLed in the window, then recovered: upstream jobs "
          "counted at the simulator, what happened, ledger row at the end, cell wall time)")
    for (window, column), result in cells:
        write(f"{column.ljust(width)} | {window.ljust(16)} | {result}")
