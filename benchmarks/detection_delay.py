"""How late a finished job is noticed: the default poll schedule vs provider push (callbacks).

One run, two modes over the same seeded job lengths, each with its own simulator (clock mode,
Kling, job lengths drawn from RENDER_S by seed) and its own gateway in this process:
  default:   the default PollPolicy (2 s, x1.5, cap 20 s, jitter 10 %, Kling's 5 s floor)
  callbacks: [gateway] callbacks = true: the simulator POSTs to the job's callback URL when
             it ends and the gateway polls at once; meanwhile polls are the safety net only
             (PollPolicy.pushed_floor, 60 s between them).
Time runs SCALE times faster than real on both sides (the simulator's clock and sleeps, the
gateway's poll sleeps), so minutes of rendering take seconds. Delays are reported in
simulated seconds = real seconds x SCALE; that also multiplies the callback path's real HTTP
latency by SCALE, so the callback figures are an upper bound (the unscaled real delay is
printed too). Per job: delay = (result ready: the gateway's video turned completed, after its
download) - (done at the provider: created + its render time); polls = status GETs upstream.
Run: .venv/bin/python benchmarks/detection_delay.py [jobs] [seed]
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from vidbridge import AsyncVideoClient, PollPolicy
from vidbridge.config import parse_config
from vidbridge.gateway import create_app, serve_in_thread
from vidbridge.ledger import Ledger
from vidbridge.simulator import SimulatorSettings
from vidbridge.simulator import create_app as create_simulator
from vidbridge.simulator import serve_in_thread as serve_simulator

SCALE = 10.0
RENDER_S = (30.0, 180.0)  # Kling jobs take "one to several minutes" (reference §8)
KEY = "bench-detection-key"
MODEL = "kling:kling-v2-6:std"
PROMPT = "a lighthouse at dusk"  # one prompt: the simulator encodes the clip once, not per job


def scaled_clock() -> float:
    return time.monotonic() * SCALE


async def scaled_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds / SCALE)


@contextlib.contextmanager
def stack(tmp: Path, seed: int, callbacks: bool) -> Iterator[dict[str, Any]]:
    settings = SimulatorSettings(seed=seed, render_spread=RENDER_S, clock=scaled_clock,
                                 sleep=scaled_sleep, latency_seconds=0.0)
    sim_app = create_simulator(settings)
    with serve_simulator(sim_app) as sim:
        cfg = parse_config({
            "ledger": str(tmp / "jobs.sqlite3"),
            "providers": {"kling": {"base_url": f"{sim}/kling", "api_key": "sim-bench-ak",
                                    "secret_key": "sim-bench-secret-key-of-32-bytes!!"}},
            "gateway": {"callbacks": callbacks, "public_url": "http://127.0.0.1:9",
                        "max_concurrent_per_key": 1000},
        })
        polls: dict[str, int] = {}

        async def count(request: httpx.Request) -> None:
            path = request.url.path
            if request.method == "GET" and "/v1/videos/text2video/" in path:
                task = path.rsplit("/", 1)[1]
                polls[task] = polls.get(task, 0) + 1

        http = httpx.AsyncClient(timeout=30, event_hooks={"request": [count]})
        client = AsyncVideoClient(config=cfg, http=http, poll=PollPolicy(),
                                  sleep=scaled_sleep, ledger=Ledger(cfg.ledger_path()))
        app = create_app(cfg, client=client, keys=[KEY], database=tmp / "gateway.sqlite3",
                         output_dir=tmp / "videos")
        ready: dict[str, float] = {}
        lock = threading.Lock()

        def on_done(video: Any, owner: str) -> None:
            with lock:
                ready[video.id] = scaled_clock()

        app.state.service.listeners.append(on_done)
        seen: dict[str, float] = {}  # provider job id -> when a poll first read it succeeded
        recorded = client.core.engine.on_update

        def on_update(job: Any) -> None:
            if job.status == "succeeded":
                seen.setdefault(job.id, scaled_clock())
            if recorded is not None:
                recorded(job)

        client.core.engine.on_update = on_update
        with serve_in_thread(app) as url:
            if app.state.callbacks is not None:
                app.state.callbacks.base = url
            yield {"url": url, "sim": sim_app.state.simulator, "ready": ready, "polls": polls,
                   "service": app.state.service, "seen": seen}


def run(tmp: Path, jobs: int, seed: int, callbacks: bool) -> dict[str, Any]:
    with stack(tmp, seed, callbacks) as s:
        headers = {"authorization": f"Bearer {KEY}"}
        with httpx.Client(timeout=30, headers=headers) as http:
            ids = [http.post(f"{s['url']}/v1/videos",
                             json={"prompt": PROMPT, "model": MODEL, "seconds": "5"}
                             ).json()["id"] for n in range(jobs)]
        deadline = time.monotonic() + (RENDER_S[1] + 120) / SCALE + 60
        while len(s["ready"]) < jobs and time.monotonic() < deadline:
            time.sleep(0.05)
        ledger = s["service"].core.ledger
        delays, detected, polls = [], [], []
        for video_id in ids:
            entry = ledger.entries(video_id)[-1]
            job = s["sim"].store.get("kling", entry.job_id) if entry.job_id else None
            if job is None or video_id not in s["ready"]:
                continue
            done_at = job.created + job.render_seconds(s["sim"].settings)
            delays.append(s["ready"][video_id] - done_at)
            if job.id in s["seen"]:
                detected.append(s["seen"][job.id] - done_at)
            polls.append(s["polls"].get(job.id, 0))
        pushed = sum(1 for _, status in s["sim"].pusher.sent if status == 204)
        return {"delays": delays, "detected": detected, "polls": polls, "pushed": pushed,
                "jobs": jobs}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered))) - 1))]


def main() -> None:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, callbacks in (("default", False), ("callbacks", True)):
            folder = Path(tmp) / name
            folder.mkdir()
            results[name] = run(folder, jobs, seed, callbacks)
    print(f"detection delay, Kling on the simulator, {jobs} jobs of {RENDER_S[0]:.0f}-"
          f"{RENDER_S[1]:.0f} s (seed {seed}), time x{SCALE:g}")
    print("delay = done at the provider -> result ready (downloaded); seen = -> a poll read "
          "it succeeded. 'sim s' = real x SCALE (waits at provider pace, but the real HTTP "
          "path inflated x SCALE: an upper bound); 'real ms' = unscaled")
    print(f"{'mode':<10} {'done':>4} {'med sim s':>9} {'p95 sim s':>9} {'med real ms':>11} "
          f"{'p95 real ms':>11} {'seen p95 ms':>11} {'polls/job':>9} {'max polls':>9} "
          f"{'pushes':>6}")
    for name, r in results.items():
        d, p = r["delays"], r["polls"]
        if not d:
            print(f"{name:<10} no job finished")
            continue
        seen = p95(r["detected"]) / SCALE * 1000 if r["detected"] else float("nan")
        print(f"{name:<10} {len(d):>4} {statistics.median(d):>9.2f} {p95(d):>9.2f} "
              f"{statistics.median(d) / SCALE * 1000:>11.0f} {p95(d) / SCALE * 1000:>11.0f} "
              f"{seen:>11.0f} {statistics.mean(p):>9.2f} {max(p):>9} {r['pushed']:>6}")
    base, push = results["default"]["delays"], results["callbacks"]["delays"]
    if base and push:
        ratio = statistics.median(push) / max(statistics.median(base), 1e-9)
        per_job = (statistics.mean(results["callbacks"]["polls"])
                   / max(statistics.mean(results["default"]["polls"]), 1e-9))
        print(f"callbacks vs default: median delay x{ratio:.3f}, "
              f"p95 x{p95(push) / max(p95(base), 1e-9):.3f}, polls per job x{per_job:.3f}")
        real_p95 = p95(push) / SCALE
        polls_ok = max(results["callbacks"]["polls"]) <= 3
        print(f"target (callbacks: p95 <= 1 s, <= 3 polls per job): real p95 {real_p95:.2f} s "
              f"{'met' if real_p95 <= 1 and polls_ok else 'NOT met'}; scaled upper bound "
              f"{p95(push):.2f} s {'met' if p95(push) <= 1 and polls_ok else 'NOT met'}")


if __name__ == "__main__":
    main()
