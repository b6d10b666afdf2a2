"""Median time of `import vidbridge` against importing httpx + pydantic + pluggy alone, and
of `vidbridge --help` (a whole process) against `python -c pass`.

Each sample is a fresh interpreter that times only its import statement, alternating the two
so machine noise hits both alike. Target: ratio <= 1.5 (optional parts load lazily); the
CLI's help starts in under 300 ms (Typer and Rich load only when the CLI runs).
Run: .venv/bin/python benchmarks/import_time.py [samples]
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROBE = "import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"


def sample(modules: str) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE.format(modules=modules)],
                         capture_output=True, text=True, check=True)
    return float(out.stdout)


def wall(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole process: CPU time barely moves when the
    machine is shared, so it says what the process costs when wall time is noisy."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_argv() -> list[str]:
    script = Path(sys.executable).with_name("vidbridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vidbridge"]


def main(samples: int = 15) -> None:
    base, ours, used, bare, helped = [], [], [], [], []
    for _ in range(samples):
        bare.append(wall([sys.executable, "-c", "pass"]))
        helped.append(wall([*cli_argv(), "--help"]))
        base.append(sample("httpx, pydantic, pluggy"))
        ours.append(sample("vidbridge"))
        # What a program that generates pays: the public names resolve lazily on first use.
        used.append(sample("vidbridge; vidbridge.VideoClient; vidbridge.VideoRequest; "
                           "vidbridge.Credentials; vidbridge.normalise"))
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, vidbridge; print(sorted(m for m in sys.modules if "
         "m.split('.')[0] in {'starlette','uvicorn','av','typer','rich','jwt','PIL','sqlite3',"
         "'dbos','psycopg','fsspec','s3fs','botocore'}))"],
        capture_output=True, text=True, check=True).stdout.strip()
    b, o, u = statistics.median(base), statistics.median(ours), statistics.median(used)
    print(f"import httpx+pydantic+pluggy: median {b * 1000:.1f} ms over {samples} runs")
    print(f"import vidbridge:             median {o * 1000:.1f} ms over {samples} runs")
    print(f"ratio: {o / b:.2f} (target <= 1.5)")
    print(f"import vidbridge + first use of VideoClient, VideoRequest, Credentials, normalise: "
          f"median {u * 1000:.1f} ms, ratio {u / b:.2f} (pydantic's BaseModel machinery, which "
          "`import pydantic` alone defers, is most of the difference)")
    print(f"optional modules loaded by `import vidbridge`: {loaded}")
    p, h = (statistics.median(w for w, _ in bare), statistics.median(w for w, _ in helped))
    pc, hc = (statistics.median(c for _, c in bare), statistics.median(c for _, c in helped))
    print(f"python -c pass:               median {p * 1000:.1f} ms wall, {pc * 1000:.1f} ms CPU "
          "(whole process)")
    print(f"vidbridge --help:             median {h * 1000:.1f} ms wall, {hc * 1000:.1f} ms CPU "
          f"(whole process), ratio {h / p:.2f} wall / {hc / pc:.2f} CPU to python -c pass "
          "(target < 300 ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
