"""Gateway workers on one PostgreSQL: throughput and added latency for 1, 2 and 3 workers.

    .venv/bin/python benchmarks/scale_out.py [--jobs 120] [--cap 16] [--clients 12]
        [--poll-ms 100] [--queue-poll-s 0.2]

One run, side by side: the simulator (fast mode) in this process, counting Kling tasks in
flight (submitted and not yet seen finished); a throwaway PostgreSQL (tests/postgres.py);
N worker processes (tests/scale/worker.py, the `vidbridge serve` app with fast polling);
closed-loop clients (official SDK) creating and polling videos. Baseline: the same jobs
through the library directly (no gateway, no DBOS), so "added" is what the gateway and its
durable workflows cost per job. Prints the machine's load before and after, jobs/s, p50/p99
latency and what the gateway added to each, the ratio to one worker, and the largest number
of tasks in flight at the simulator against the configured cap.

Every job asks for the same clip (one prompt): the simulator draws the prompt into the MP4
it encodes, one encode at a time, so distinct prompts made its encoder the bottleneck
(an earlier version measured that, not the workers). It encodes once and serves the bytes.
The workers poll their DBOS queues at the gateway's default pace (0.2 s; the crash tests'
0.05 s costs each worker ~20 PostgreSQL transactions a second per queue, which grew the CPU
per job with every worker added), and the SDK clients poll every 100 ms (each retrieve costs
a worker a request and two reads). The last table says where the CPU went, per job.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import openai  # noqa: E402
from children import child_server  # noqa: E402 - helper beside this file
from tests import postgres  # noqa: E402
from tests.compat.simenv import POLL, afast_sleep, raw_config  # noqa: E402
from tests.scale.test_workers import KEY, workers  # noqa: E402

from vidbridge.client import AsyncVideoClient  # noqa: E402
from vidbridge.config import parse_config  # noqa: E402
from vidbridge.ledger import Ledger  # noqa: E402

# The simulator in its own process (sharing no GIL with the clients), counting Kling tasks
# in flight: submitted and not yet seen finished by a poll. GET /_bench/stats reads them.
SIMULATOR = r"""
import json, os, re, sys
import uvicorn
from vidbridge.simulator import SimulatorSettings, create_app

SUBMIT = "/kling/v1/videos/text2video"
TASK = re.compile(rb'"task_id"\s*:\s*"([^"]+)"')
live, stats = set(), {"peak": 0, "submits": 0}
inner = create_app(SimulatorSettings(fast=True, fast_polls=3, seed=1))


async def app(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/_bench/stats":
        body = json.dumps({**stats, "cpu_s": sum(os.times()[:2])}).encode()
        if scope["method"] == "DELETE":
            live.clear()
            stats.update(peak=0, submits=0)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
        return
    if scope["type"] != "http" or not scope["path"].startswith(SUBMIT):
        await inner(scope, receive, send)
        return
    chunks = []

    async def capture(message):
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    await inner(scope, receive, capture)
    body = b"".join(chunks)
    found = TASK.search(body)
    if found and scope["method"] == "POST":
        stats["submits"] += 1
        live.add(found.group(1))
        stats["peak"] = max(stats["peak"], len(live))
    elif found and (b'"succeed"' in body or b'"failed"' in body):
        live.discard(found.group(1))


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


warnings.filterwarnings("ignore", category=DeprecationWarning)  # the SDK's videos.* notice
POLL_MS = 100  # the clients' poll interval: the resolution of the latency figures
PROMPT = "a kite over a beach"  # one clip for every job: see the module docstring


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def cpu_s(pid: int, children: bool = False) -> float:
    """CPU seconds (user + system) a process used, from /proc; ``children`` adds those of its
    reaped children (PostgreSQL's backends, one per connection, are the postmaster's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def postmaster(server: postgres.Server) -> int:
    return int((server.root / "data" / "postmaster.pid").read_text().split()[0])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_clients(bases: list[str], jobs: int, clients: int,
                poll_ms: int = POLL_MS) -> tuple[float, list[float]]:
    """Closed loop: ``clients`` threads each create a video and poll it to the end."""
    sdks = [openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=2) for base in bases]
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(jobs))

    def one_client(index: int) -> None:
        sdk = sdks[index % len(sdks)]
        for _ in counter:
            started = time.perf_counter()
            video = sdk.videos.create(prompt=PROMPT, seconds="5", size="1280x720")
            done = sdk.videos.poll(video.id, poll_interval_ms=poll_ms)
            assert done.status == "completed", done.error
            with lock:
                latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one_client, range(clients)))
    return time.perf_counter() - began, latencies


def baseline(sim: str, tmp: Path, jobs: int, concurrency: int) -> tuple[float, list[float]]:
    """The same jobs through the library directly: no gateway, no database server."""
    cfg = parse_config(raw_config(sim, tmp))

    async def main() -> tuple[float, list[float]]:
        client = AsyncVideoClient(config=cfg, poll=POLL, sleep=afast_sleep,
                                  ledger=Ledger(tmp / "direct.sqlite3"))
        gate, latencies = asyncio.Semaphore(concurrency), []

        async def one(n: int) -> None:
            async with gate:
                started = time.perf_counter()
                await client.generate({"prompt": PROMPT, "duration": 5, "size": "1280x720"},
                                      model="kling:kling-v2-6:std", output=tmp / f"{n}.mp4",
                                      request_id=f"direct-{n}")
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(jobs)))
        wall = time.perf_counter() - began
        await client.aclose()
        return wall, latencies

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=120)
    parser.add_argument("--cap", type=int, default=16, help="[gateway.queues.kling] cap")
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--queue-poll-s", type=float, default=0.2,
                        help="each worker's DBOS queue polling interval (the gateway's default)")
    parser.add_argument("--poll-ms", type=int, default=POLL_MS,
                        help="the SDK clients' retrieve interval (each retrieve costs a worker)")
    args = parser.parse_args()
    os.environ["VB_QUEUE_POLL_S"] = str(args.queue_poll_s)  # read by tests/scale/worker.py
    print(f"before: {load()}")
    print(f"{args.jobs} jobs per run, {args.clients} SDK clients polling every {args.poll_ms} "
          f"ms, DBOS queues polled every {args.queue_poll_s} s, cap {args.cap}")
    server = postgres.start()
    rows: list[tuple[int, float, float, float, int, int]] = []
    cpu: list[tuple[int, float, float, float, float, float]] = []
    try:
        with child_server(SIMULATOR, ready_path="/_bench/stats") as sim:
            with tempfile.TemporaryDirectory() as folder:
                wall, lat = baseline(sim, Path(folder), args.jobs, args.clients)
            direct_p50, direct_p99 = statistics.median(lat), percentile(lat, 0.99)
            print(f"direct library (no gateway): {args.jobs / wall:.1f} jobs/s, "
                  f"p50 {direct_p50 * 1000:.0f} ms, p99 {direct_p99 * 1000:.0f} ms")
            for count in (1, 2, 3):
                httpx.delete(f"{sim}/_bench/stats")
                url = server.create_database(f"bench{count}")
                sim_before = httpx.get(f"{sim}/_bench/stats").json()["cpu_s"]
                pg_before = cpu_s(postmaster(server), children=True)
                with tempfile.TemporaryDirectory() as folder, \
                        workers(count, sim, Path(folder), url, cap=args.cap) as procs:
                    worker_before = sum(cpu_s(proc.pid) for proc, _ in procs)  # start-up
                    mine = time.process_time()
                    wall, lat = run_clients([base for _, base in procs], args.jobs,
                                            args.clients, args.poll_ms)
                    mine = time.process_time() - mine
                    worker_cpu = sum(cpu_s(proc.pid) for proc, _ in procs) - worker_before
                stats = httpx.get(f"{sim}/_bench/stats").json()
                # After the workers exit: their connections' backends are reaped by then.
                pg_cpu = cpu_s(postmaster(server), children=True) - pg_before
                rows.append((count, args.jobs / wall, statistics.median(lat),
                             percentile(lat, 0.99), stats["peak"], stats["submits"]))
                cpu.append((count, worker_cpu, stats["cpu_s"] - sim_before, pg_cpu, mine,
                            wall))
    finally:
        server.stop()
    print(f"after: {load()}")
    one = rows[0][1]
    print(f"{'workers':>7} {'jobs/s':>7} {'x1':>5} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'added p50':>9} {'added p99':>9} {'peak in flight':>14} {'submits':>7}")
    for count, rate, p50, p99, peak, submits in rows:
        print(f"{count:>7} {rate:>7.2f} {rate / one:>5.2f} {p50 * 1000:>7.0f} "
              f"{p99 * 1000:>7.0f} {(p50 - direct_p50) * 1000:>7.0f}ms "
              f"{(p99 - direct_p99) * 1000:>7.0f}ms {peak:>7} <= {args.cap:<4} {submits:>7}")
        assert peak <= args.cap, "the per-provider cap was exceeded"
        assert submits == args.jobs, "a job was submitted twice (or never)"
    cores = os.cpu_count() or 1
    print(f"CPU ms per job (where the {cores} cores went; busy = all CPU / (wall x cores)):")
    print(f"{'workers':>7} {'workers':>8} {'simulator':>9} {'postgres':>8} {'clients':>7} "
          f"{'total':>6} {'busy':>5}")
    for count, workers_s, sim_s, pg_s, clients_s, wall in cpu:
        total = workers_s + sim_s + pg_s + clients_s
        print(f"{count:>7} {workers_s / args.jobs * 1000:>8.1f} {sim_s / args.jobs * 1000:>9.1f} "
              f"{pg_s / args.jobs * 1000:>8.1f} {clients_s / args.jobs * 1000:>7.1f} "
              f"{total / args.jobs * 1000:>6.1f} {total / (wall * cores):>5.0%}")
    print(json.dumps({"cap": args.cap, "jobs": args.jobs, "rows": rows, "cpu": cpu}))


if __name__ == "__main__":
    main()
