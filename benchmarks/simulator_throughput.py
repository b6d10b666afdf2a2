"""Jobs per second completed through AsyncVideoClient against the simulator, 200 at once.

The simulator runs in a child process (fast mode: every poll advances a job); each job is
a full submit -> polls -> MP4 download over loopback HTTP, written atomically to disk and
recorded in the job ledger. Prints jobs/s and per-job latency percentiles, one figure per
provider wire, so a slow adapter or wire shows up side by side.
Run: .venv/bin/python benchmarks/simulator_throughput.py [concurrent_jobs]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

from vidbridge import AsyncVideoClient, Credentials, PollPolicy, VideoRequest

sys.path.insert(0, str(Path(__file__).parent))
from children import simulator_process  # noqa: E402 - benchmark helper beside this file

MODELS = {  # provider -> (model, base path under the simulator, options)
    "runway": ("gen4.5", "/runway", {}),
    "kling": ("kling-v2-6:pro", "/kling", {}),
    "veo": ("veo-3.1-generate-001", "/vertex",
            {"backend": "vertex", "project": "bench", "location": "us-central1"}),
}
REQUEST = VideoRequest(prompt="throughput: waves on black rocks", duration=5,
                       aspect_ratio="16:9", resolution="720p")
POLL = PollPolicy(first=0.05, factor=1.0, cap=0.05, jitter=0.0, provider_guidance=False)


async def run(provider: str, jobs: int, base: str, folder: Path) -> tuple[float, list[float]]:
    model, path, options = MODELS[provider]
    creds = Credentials(name=provider, api_key="sim-key", secret_key="sim-secret",
                        base_url=base + path, options=options)
    limits = httpx.Limits(max_connections=jobs, max_keepalive_connections=jobs)
    latencies: list[float] = []
    async with AsyncVideoClient(credentials={provider: creds}, poll=POLL,
                                http=httpx.AsyncClient(limits=limits, timeout=60)) as client:
        async def one(index: int) -> None:
            start = time.perf_counter()
            await client.generate(REQUEST, model=f"{provider}:{model}",
                                  output=folder / f"{provider}-{index}.mp4")
            latencies.append(time.perf_counter() - start)

        await one(-1)  # warm: the simulator encodes this shape once
        latencies.clear()
        start = time.perf_counter()
        async with anyio.create_task_group() as group:
            for index in range(jobs):
                group.start_soon(one, index)
        return time.perf_counter() - start, latencies


def main(jobs: int = 200) -> None:
    with simulator_process() as base, tempfile.TemporaryDirectory() as tmp:
        print(f"{jobs} concurrent jobs per provider wire, each submit + polls (every "
              f"{POLL.first * 1000:.0f} ms) + MP4 download, simulator in a child process")
        for provider in MODELS:
            elapsed, latencies = anyio.run(run, provider, jobs, base, Path(tmp))
            latencies.sort()
            p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
            print(f"{provider:7s} {len(latencies)} jobs in {elapsed:.2f} s = "
                  f"{len(latencies) / elapsed:.0f} jobs/s; latency p50 "
                  f"{statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
