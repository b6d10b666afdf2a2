"""Prints the fault matrix after the run (cells that did not run are left blank)."""

from __future__ import annotations

from typing import Any

from .harness import FAULTS, RESULTS, WIRES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    width = max(len(f.name) for f in FAULTS)
    columns = [(wire.name, mode) for wire in WIRES for mode in ("sync", "async")]
    heads = [f"{name}/{mode[0]}" for name, mode in columns]
    sizes = [max(len(head), 8) for head in heads]
    write = terminalreporter.write_line
    write("")
    write("fault matrix (ok: as expected; ->fb fell back; stop: route stopped; * n/a on "
          "this wire)")
    write(" " * width + " | " + " | ".join(h.ljust(s) for h, s in zip(heads, sizes, strict=True)))
    for fault in FAULTS:
        cells = [RESULTS.get((name, fault.name, mode), "").ljust(size)
                 for (name, mode), size in zip(columns, sizes, strict=True)]
        write(fault.name.ljust(width) + " | " + " | ".join(cells))
