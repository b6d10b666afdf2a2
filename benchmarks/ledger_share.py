"""How much of the router's CPU per job beyond the baseline is the ledger's writes.

``engine_overhead.py``'s job and baseline, in interleaved rounds in one run, with two more
contenders: the router with its ledger in memory (the SQL without the file), and the router
whose transitions after the intent write nothing (``Ledger._set`` replaced for its rounds
only). What is left above the baseline in the last is everything vidbridge does besides the
ledger's UPDATEs; the gap between the first two is what writing them to the file costs.
Measured 2026-12-04 (2-core VM): baseline 2.361 ms, router 1.100x, in memory 1.044x, no
transitions 0.999x. Run: .venv/bin/python benchmarks/ledger_share.py [rounds]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Beside this file (a script's folder leads sys.path).
from children import child_server
from engine_overhead import STUB, baseline, vidbridge_jobs

from vidbridge.ledger import Ledger

JOBS = 20


def main(rounds: int = 60) -> None:
    written = Ledger._set

    def unwritten(self: Ledger, key: str, state: str, **fields: Any) -> None:
        return None

    with child_server(STUB, ready_path="/v1/tasks/ready") as base, \
            tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        contenders = {"baseline": baseline(base, folder),
                      "router": vidbridge_jobs(base, folder)[0],
                      "in memory": vidbridge_jobs(base, folder, ":memory:")[0],
                      "no transitions": vidbridge_jobs(base, folder, "unwritten.sqlite3")[0]}
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for run in contenders.values():
            for _ in range(10):
                run()
        order = random.Random(0)
        for _ in range(rounds):
            for name in order.sample(list(contenders), len(contenders)):
                Ledger._set = unwritten if name == "no transitions" else written  # type: ignore[method-assign]
                started = time.process_time()
                for _ in range(JOBS):
                    contenders[name]()
                samples[name].append((time.process_time() - started) / JOBS * 1000)
        Ledger._set = written  # type: ignore[method-assign]
    base_ms = statistics.median(samples["baseline"])
    print(f"CPU per job, median of {rounds} interleaved rounds of {JOBS}:")
    for name, values in samples.items():
        ms = statistics.median(values)
        print(f"  {name:<15} {ms:6.3f} ms  ratio {ms / base_ms:.3f}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
