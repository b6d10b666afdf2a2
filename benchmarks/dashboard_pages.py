"""Dashboard page times with few jobs and with many, side by side in one run.

Seeds the gateway database with SMALL and LARGE finished videos (one transaction each, no
provider involved), then times each page REPEAT times through Starlette's test client:
the first jobs page, the next page (keyset cursor), failed-only, one key deep in its
history, a job's detail and the spend page. Keyset pages over indexed columns should cost
about the same at both sizes; spend aggregates every row, so it grows with the table.
Run: .venv/bin/python benchmarks/dashboard_pages.py [small] [large]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.compat.simenv import config  # noqa: E402
from tests.ops.conftest import ADMIN_KEY, ENV, NAMED_KEYS  # noqa: E402
from tests.ops.seed import seed  # noqa: E402

from vidbridge.gateway import create_app  # noqa: E402

REPEAT = 20
PAGES = {
    "jobs, first page": "/dashboard",
    "jobs, next page": "/dashboard?before={middle}",
    "jobs, failed only": "/dashboard?status=failed",
    "jobs, one key, deep": "/dashboard?key=team-a&before={deep}",
    "job detail": "/dashboard/jobs/video_seed000042",
    "spend": "/dashboard/spend",
}


def measure(count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        seed(tmp / "gateway.sqlite3", count)
        cfg = config("http://127.0.0.1:9", tmp, gateway={"keys": NAMED_KEYS})
        app = create_app(cfg, keys=["bench-plain"], environ=ENV,
                         database=tmp / "gateway.sqlite3", output_dir=tmp / "videos")
        headers = {"authorization": f"Bearer {ADMIN_KEY}"}
        figures = {}
        with TestClient(app, base_url="http://127.0.0.1") as client:
            for name, url in PAGES.items():
                url = url.format(middle=count // 2, deep=max(2, count // 30))
                client.get(url, headers=headers)  # warm: templates compiled, pages cached
                times = []
                for _ in range(REPEAT):
                    start = time.perf_counter()
                    assert client.get(url, headers=headers).status_code == 200
                    times.append(time.perf_counter() - start)
                figures[name] = statistics.median(times)
        return figures


def main() -> None:
    small = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    large = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    few, many = measure(small), measure(large)
    print(f"dashboard page time, median of {REPEAT} (ms)")
    print(f"{'page':<24}{small:>10}{large:>10}   ratio")
    for name in PAGES:
        print(f"{name:<24}{few[name] * 1000:>10.1f}{many[name] * 1000:>10.1f}"
              f"   {many[name] / few[name]:.2f}x")


if __name__ == "__main__":
    main()
