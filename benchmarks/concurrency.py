"""1,000 jobs in flight: concurrent ``AsyncVideoClient.generate`` calls through the router on
one event loop, against the simulator in its own process, with default settings (default poll
policy, default ``max_concurrent`` and the HTTP pool it sizes).

Each size runs in a fresh child process so its peak RSS is its own. Prints, per size: wall
time, peak client RSS, HTTP requests per job and errors, and the 1,000/100 ratios (near
linear growth is the goal; the issue's targets: 0 errors, <= 60 s, <= 250 MB at 1,000).
Run: .venv/bin/python benchmarks/concurrency.py [sizes...]   (default: 100 1000)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from children import simulator_process  # noqa: E402 - benchmark helper beside this file

CHILD = r"""
import asyncio, json, resource, sys, tempfile, time
from pathlib import Path
from vidbridge import AsyncVideoClient, VideoRequest
from vidbridge.config import parse_config

base, jobs = sys.argv[1], int(sys.argv[2])
folder = Path(tempfile.mkdtemp(prefix="vb-concurrency-"))
config = parse_config({
    "ledger": str(folder / "ledger.sqlite3"),
    "providers": {
        "runway": {"base_url": base + "/runway", "api_key": "sim-runway-key"},
        "kling": {"base_url": base + "/kling", "api_key": "sim-kling-access-key",
                  "secret_key": "sim-kling-secret-key-of-32-bytes-or-more"}},
    "routes": {"default": {"candidates": ["runway:gen4.5", "kling:kling-v2-6:pro"]}}})
request = VideoRequest(prompt="a thousand lanterns over a lake", duration=5,
                       aspect_ratio="16:9", resolution="720p")

async def main():
    client = AsyncVideoClient(config=config)
    sent = 0

    async def count(_request):
        nonlocal sent
        sent += 1

    client.http.event_hooks["request"].append(count)
    errors = []

    async def one(n):
        try:
            await client.generate(request, route="default", output=folder / f"{n}.mp4")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(jobs)))
    wall = time.perf_counter() - started
    await client.aclose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"jobs": jobs, "wall_s": wall, "rss_mb": rss_mb,
                      "requests_per_job": sent / jobs, "errors": len(errors),
                      "first_error": errors[0] if errors else None,
                      "cpu_s": time.process_time()}))

asyncio.run(main())
"""


def measure(base: str, jobs: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, base, str(jobs)], check=True,
                         capture_output=True, text=True, timeout=900)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [100, 1000]
    with simulator_process() as base:
        results = [measure(base, jobs) for jobs in sizes]
    print(f"{'jobs':>6} {'wall s':>8} {'CPU s':>7} {'peak RSS MB':>12} {'req/job':>8} "
          f"{'errors':>6}")
    for r in results:
        print(f"{r['jobs']:>6} {r['wall_s']:>8.1f} {r['cpu_s']:>7.1f} {r['rss_mb']:>12.0f} "
              f"{r['requests_per_job']:>8.2f} {r['errors']:>6}")
        if r["first_error"]:
            print(f"       first error: {r['first_error']}")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        scale = large["jobs"] / small["jobs"]
        print(f"x{scale:.0f} jobs: wall x{large['wall_s'] / small['wall_s']:.2f}, "
              f"CPU x{large['cpu_s'] / small['cpu_s']:.2f}, "
              f"RSS x{large['rss_mb'] / small['rss_mb']:.2f}")
    big = results[-1]
    ok = big["errors"] == 0 and big["wall_s"] <= 60 and big["rss_mb"] <= 250
    print(f"targets at {big['jobs']} jobs (0 errors, <= 60 s, <= 250 MB): "
          f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
