"""Added latency of the gateway over calling the simulator directly, and its requests/s.

The simulator (fast mode) and the gateway each run in a child process. N create+poll+download
cycles run CONCURRENT at a time, twice over the same route (runway gen4.5 on the simulator):
  direct:  AsyncVideoClient.generate -> simulator (submit, polls, MP4 download)
  gateway: official AsyncOpenAI SDK -> gateway (create, polls, download_content), the
           gateway itself running the same generate against the simulator.
Both sides wait at most POLL_S between polls, so the difference is what the gateway adds:
two more HTTP hops per call, its SQLite store, the ledger reads behind each retrieve, and
up to one of the SDK's poll intervals. Prints p50/p99 of each, their difference, and the
gateway's HTTP requests/s over the gateway phase.
Run: .venv/bin/python benchmarks/gateway_load.py [cycles] [concurrent]
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import httpx

from vidbridge import AsyncVideoClient, PollPolicy
from vidbridge.config import parse_config

sys.path.insert(0, str(Path(__file__).parent))
from children import child_server, simulator_process  # noqa: E402 - helper beside this file

POLL_S = 0.01
KEY = "bench-gateway-key"
GATEWAY = f"""
import sys, anyio, uvicorn
from vidbridge import AsyncVideoClient, PollPolicy
from vidbridge.config import load_config
from vidbridge.gateway import create_app

async def capped(seconds):
    await anyio.sleep(min(seconds, {POLL_S}))

cfg = load_config(sys.argv[2])
client = AsyncVideoClient(config=cfg, poll=PollPolicy(first={POLL_S}, cap={POLL_S}, jitter=0),
                          sleep=capped)
app = create_app(cfg, client=client, poll_after_ms={int(POLL_S * 1000)})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def write_config(base: str, tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.toml"
    path.write_text(f"""
ledger = "{tmp / name}-ledger.sqlite3"
[providers.runway]
base_url = "{base}/runway"
api_key = "sim-bench"
[routes.default]
candidates = ["runway:gen4.5"]
[aliases]
"sora-2" = "default"
[gateway]
database = "{tmp / name}-gateway.sqlite3"
output_dir = "{tmp / name}-videos"
max_concurrent_per_key = 100000
""")
    return path


def gateway_process(config: Path) -> contextlib.AbstractContextManager[str]:
    return child_server(GATEWAY, str(config), env={"VIDBRIDGE_GATEWAY_KEYS": KEY},
                        ready_path="/v1/videos")


async def run_load(cycles: int, concurrent: int,
                   cycle: Callable[[int], Awaitable[None]]) -> tuple[list[float], float]:
    """Latency of every cycle, and the wall time of all of them."""
    latencies: list[float] = []
    limiter = anyio.Semaphore(concurrent)

    async def one(index: int) -> None:
        async with limiter:
            started = time.perf_counter()
            await cycle(index)
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    async with anyio.create_task_group() as group:
        for index in range(cycles):
            group.start_soon(one, index)
    return latencies, time.perf_counter() - began


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def direct(base: str, tmp: Path, cycles: int, concurrent: int) -> tuple[list[float], float]:
    cfg = parse_config({"ledger": str(tmp / "direct-ledger.sqlite3"),
                        "providers": {"runway": {"base_url": f"{base}/runway",
                                                 "api_key": "sim-bench"}},
                        "routes": {"default": {"candidates": ["runway:gen4.5"]}},
                        "aliases": {"sora-2": "default"}})

    async def capped(seconds: float) -> None:
        await anyio.sleep(min(seconds, POLL_S))

    client = AsyncVideoClient(config=cfg, poll=PollPolicy(first=POLL_S, cap=POLL_S, jitter=0),
                              sleep=capped, http=httpx.AsyncClient(timeout=60))

    async def cycle(index: int) -> None:
        result = await client.generate({"prompt": f"bench {index}", "duration": 4,
                                        "size": "1280x720"}, model="sora-2",
                                       output=tmp / "direct" / f"{index}.mp4")
        assert result.bytes_written > 0

    try:
        return await run_load(cycles, concurrent, cycle)
    finally:
        await client.aclose()


async def through_gateway(url: str, tmp: Path, cycles: int,
                          concurrent: int) -> tuple[list[float], float, int]:
    import openai

    requests = 0

    async def count(request: object) -> None:
        nonlocal requests
        requests += 1

    http = openai.DefaultAsyncHttpxClient(timeout=60, event_hooks={"request": [count]})
    sdk = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=KEY, http_client=http,
                             max_retries=0)

    async def cycle(index: int) -> None:
        video = await sdk.videos.create_and_poll(model="sora-2", prompt=f"bench {index}",
                                                 seconds="4", size="1280x720",
                                                 poll_interval_ms=int(POLL_S * 1000))
        assert video.status == "completed", video.error
        content = await sdk.videos.download_content(video.id)
        assert len(content.read()) > 0

    try:
        latencies, wall = await run_load(cycles, concurrent, cycle)
    finally:
        await sdk.close()
    return latencies, wall, requests


def main(cycles: int = 200, concurrent: int = 20) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)  # openai>=3.51 marks videos.* so
    with simulator_process() as base, tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        with gateway_process(write_config(base, tmp, "gw")) as url:
            anyio.run(through_gateway, url, tmp, min(cycles, 20), concurrent)  # warm-up
            anyio.run(direct, base, tmp, min(cycles, 20), concurrent)
            plain, plain_wall = anyio.run(direct, base, tmp, cycles, concurrent)
            routed, routed_wall, requests = anyio.run(through_gateway, url, tmp, cycles,
                                                      concurrent)
    print(f"{cycles} create+poll+download cycles, {concurrent} at a time, poll <= "
          f"{POLL_S * 1000:.0f} ms, simulator fast mode, loopback")
    for label, values, wall in (("direct (library -> simulator)", plain, plain_wall),
                                ("gateway (SDK -> gateway -> sim)", routed, routed_wall)):
        print(f"{label:34s} p50 {pct(values, 0.5) * 1000:7.1f} ms  p99 "
              f"{pct(values, 0.99) * 1000:7.1f} ms  mean {statistics.mean(values) * 1000:7.1f}"
              f" ms  {len(values) / wall:6.1f} cycles/s")
    print(f"added by the gateway:              p50 "
          f"{(pct(routed, 0.5) - pct(plain, 0.5)) * 1000:7.1f} ms  p99 "
          f"{(pct(routed, 0.99) - pct(plain, 0.99)) * 1000:7.1f} ms")
    print(f"gateway HTTP requests: {requests} in {routed_wall:.2f} s = "
          f"{requests / routed_wall:.0f} requests/s "
          f"({requests / cycles:.1f} per cycle: create, polls, download)")


if __name__ == "__main__":
    args = [int(arg) for arg in sys.argv[1:3]]
    main(*args)
