"""The router's added time per request, as a ratio to the bare engine on the same job.

Both sides run the same Runway gen4.5 job against the simulator on loopback (fast mode: each
poll advances the job, so no one waits for a render): submit, polls, download of the MP4.
"Bare engine" drives Engine.run with a ready plan and credentials; "router" is
VideoClient.generate on a route whose first candidate (Sora, retired) is screened out, so the
figure includes candidate filtering, normalisation, events and the job-ledger writes (SQLite
on disk). Samples alternate so machine noise hits both alike. Target: ratio <= 1.10.
Run: .venv/bin/python benchmarks/routing_overhead.py [jobs]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from vidbridge import VideoClient, VideoRequest
from vidbridge.config import parse_config
from vidbridge.drivers import drive
from vidbridge.engine import Engine, PollPolicy
from vidbridge.plugins import get_provider

sys.path.insert(0, str(Path(__file__).parent))
from children import simulator_process  # noqa: E402 - benchmark helper beside this file

NO_WAIT = PollPolicy(first=0.0, factor=1.0, cap=0.0, jitter=0.0, provider_guidance=False)
REQUEST = VideoRequest(prompt="benchmark: a lighthouse at dusk", duration=5,
                       aspect_ratio="16:9", resolution="720p")


def main(jobs: int = 60) -> None:
    with simulator_process() as base, tempfile.TemporaryDirectory() as tmp:
        raw = {
            "ledger": str(Path(tmp) / "ledger.sqlite3"),
            "providers": {"sora": {"base_url": f"{base}/openai/v1", "api_key": "sim"},
                          "runway": {"base_url": f"{base}/runway", "api_key": "sim"}},
            "routes": {"default": {"candidates": ["sora:sora-2", "runway:gen4.5"]}},
        }
        config = parse_config(raw)
        http = httpx.Client(timeout=30)
        client = VideoClient(config=config, http=http, poll=NO_WAIT, sleep=lambda s: None)
        adapter = get_provider("runway")
        creds = config.credentials("runway")
        plan = client.plan(REQUEST, "runway:gen4.5")
        engine = Engine(poll_policy=NO_WAIT)
        out = Path(tmp) / "out.mp4"

        def bare() -> None:
            drive(engine.run(adapter, plan, creds, out), http, lambda s: None)

        def routed() -> None:
            client.generate(REQUEST, route="default", output=out)

        for warm in (bare, routed):
            warm()
        bare_s, routed_s = [], []
        for _ in range(jobs):
            for run, samples in ((bare, bare_s), (routed, routed_s)):
                start = time.perf_counter()
                run()
                samples.append(time.perf_counter() - start)
        b, r = statistics.median(bare_s), statistics.median(routed_s)
        print(f"jobs per side: {jobs} (submit + 2 polls + MP4 download over loopback HTTP)")
        print(f"bare engine:  median {b * 1000:.2f} ms/job")
        print(f"router:       median {r * 1000:.2f} ms/job "
              f"(added {1000 * (r - b):.2f} ms: screening 2 candidates, ledger writes, events)")
        print(f"ratio: {r / b:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
