"""One gateway worker in its own process, as `vidbridge serve` runs it, for crash tests.

    python tests/scale/worker.py CONFIG.json PORT DATABASE_URL

The config is `vidbridge serve`'s, plus the simulator's fast polling (a real worker waits
Kling's 5 s between polls). ``VB_KILL`` names where this process SIGKILLs itself, once per
test across all workers (the first to create ``VB_KILL_MARK`` dies):

- ``submit-before``: the submit step started, nothing sent
- ``submit-inflight``: the provider received the submit and answered; the answer is lost
- ``poll``: after the first status poll was answered
- ``download``: after the first chunk of the video arrived
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.compat.simenv import POLL, afast_sleep, fast_sleep  # noqa: E402
from vidbridge.client import AsyncVideoClient  # noqa: E402
from vidbridge.config import parse_config  # noqa: E402
from vidbridge.gateway import create_app  # noqa: E402
from vidbridge.ledger import Ledger  # noqa: E402

KILL = os.environ.get("VB_KILL", "")


def die_once() -> None:
    """SIGKILL this process if the test armed the kill and no worker has died yet."""
    if not os.path.exists(os.environ.get("VB_KILL_ARMED", "/nonexistent")):
        return
    try:
        fd = os.open(os.environ["VB_KILL_MARK"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except (FileExistsError, KeyError):
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


class Killing(httpx.BaseTransport):
    """The real transport, with a SIGKILL at the chosen point of the wire conversation."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        path = request.url.path
        if KILL == "submit-inflight" and request.method == "POST":
            response.read()
            die_once()
        if KILL == "poll" and request.method == "GET" and "/v1/videos/" in path:
            response.read()
            die_once()
        if KILL == "download" and path.endswith(".mp4"):
            response.stream = _dying(response.stream)  # type: ignore[arg-type]
        return response


class _dying(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self.inner = inner

    def __iter__(self) -> Iterator[bytes]:
        for number, chunk in enumerate(self.inner):
            yield chunk  # written to the .part file by the engine
            if number == 0:
                die_once()

    def close(self) -> None:
        self.inner.close()


def main() -> None:
    raw, port, url = json.loads(Path(sys.argv[1]).read_text()), int(sys.argv[2]), sys.argv[3]
    import uvicorn

    cfg = parse_config(raw)
    client = AsyncVideoClient(config=cfg, poll=POLL, sleep=afast_sleep, ledger=Ledger(url))
    hooks = {"submit": lambda _video, phase: die_once() if phase == "before" else None} \
        if KILL == "submit-before" else {}
    app = create_app(cfg, client=client, keys=[os.environ["VB_KEY"]], poll_after_ms=10,
                     database_url=url,
                     durable={"http": httpx.Client(transport=Killing(), timeout=60),
                              "sleep": fast_sleep,
                              # DBOS's queue poll: fast for the crash tests; the benchmark
                              # sets the gateway's default (0.2 s) through VB_QUEUE_POLL_S.
                              "polling_interval_s": float(os.environ.get("VB_QUEUE_POLL_S",
                                                                         "0.05")),
                              "heartbeat_s": 0.25, "hooks": hooks})
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
