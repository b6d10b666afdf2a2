"""The fault matrix's machinery: a two-candidate route over a fresh in-process simulator per
cell, faults injected on the primary candidate only, and what each cell observed.

Simulator scenarios (``X-Vidbridge-Scenario``) make the provider-side faults; the transport
wrapper makes what only a network does (connection refused, an answer lost after the server
acted, a Retry-After rewritten). Sync cells reach the same ASGI app through a small bridge
that runs it on an event loop in a helper thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from vidbridge import AsyncVideoClient, PollPolicy, VideoClient
from vidbridge.config import parse_config
from vidbridge.errors import error_kind
from vidbridge.ledger import Ledger
from vidbridge.simulator import SimulatorSettings, create_app
from vidbridge.simulator.scenarios import HEADER

BASE = "http://127.0.0.1:9"  # never dialled: the transports answer in process
FAST = PollPolicy(first=0.0, factor=1.0, cap=0.0, jitter=0.0, transient_errors=3,
                  provider_guidance=False)
FALLBACK_ON = ["rate_limited", "unavailable", "model_unavailable", "capability", "timeout",
               "job_failed", "insufficient_credits"]
PROMPT = "a paper boat on a rain-swept street"


@dataclass(frozen=True)
class Wire:
    name: str
    provider: str        # config entry (and adapter) name
    candidate: str       # provider:model
    prefix: str          # simulator mount
    upstream: str        # the simulator's own name for the wire (job counting)
    entry: tuple[tuple[str, Any], ...] = ()
    lookup: bool = False  # a lost submit answer can be found again
    inline: bool = False  # the video comes in the poll answer: no download request


WIRES = [
    Wire("sora", "sora", "sora:sora-2", "/openai/v1", "openai",
         (("allow_retired", True),), lookup=True),
    Wire("veo-gemini", "veo", "veo:veo-3.1-fast-generate-preview", "/gemini", "gemini",
         (("allow_retired", True), ("options", {"backend": "gemini"}))),
    Wire("veo-vertex", "veo", "veo:veo-3.1-generate-001", "/vertex", "vertex",
         (("options", {"backend": "vertex", "project": "rel", "location": "us-central1"}),),
         inline=True),
    Wire("runway", "runway", "runway:gen4.5", "/runway", "runway"),
    Wire("kling", "kling", "kling:kling-v2-6:pro", "/kling", "kling", lookup=True),
]
FALLBACK = {"runway": ("kling", "kling:kling-v2-6:pro", "/kling", "kling")}
DEFAULT_FALLBACK = ("runway", "runway:gen4.5", "/runway", "runway")


@dataclass(frozen=True)
class Fault:
    """One fault on the primary candidate: a simulator scenario and/or a network fault."""

    name: str
    scenario: str | None = None
    refuse: bool = False                 # connection refused (nothing reaches the server)
    lose_answer: str | None = None       # "submit" | "poll" | "download": the server acts,
    lose_always: bool = False            # ... then the answer is lost (once, or always)
    retry_after: str | None = None       # rewrite a 429's Retry-After ("" removes it)
    proxy: int | None = None             # a proxy in front answers the submit with this 5xx
    proxy_forwards: bool = True          # ... after the server acted (or without sending on)


FAULTS = [
    Fault("none"),
    Fault("latency", "latency=0.01"),
    Fault("429+retry-after", "rate_limit=1"),
    Fault("429 bare", "rate_limit", retry_after=""),
    Fault("429 garbage", "rate_limit", retry_after="soon"),
    Fault("5xx", "server_error"),
    Fault("refused", refuse=True),
    Fault("timeout submit", lose_answer="submit"),
    Fault("timeout poll", lose_answer="poll"),
    Fault("timeout download", lose_answer="download", lose_always=True),
    Fault("drop dl once", "drop_download_once"),
    Fault("drop dl always", "drop_download"),
    Fault("malformed json", "malformed_json"),
    Fault("job failed", "job_failed"),
    Fault("content policy", "content_policy"),
    Fault("auth error", "auth_error"),
    Fault("no credits", "insufficient_credits"),
    Fault("retired model", "retired_model"),
    Fault("proxy 502 (sent)", proxy=502),
    Fault("proxy 503 (unsent)", proxy=503, proxy_forwards=False),
]
PROXY_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


class Faulty(httpx.AsyncBaseTransport):
    """The simulator app behind faults that hit only requests under ``prefix``."""

    def __init__(self, app: Any, prefix: str, fault: Fault) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.prefix, self.fault = prefix, fault
        self.lost: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.fault
        primary = request.url.path.startswith(self.prefix)
        if primary and fault.refuse:
            raise httpx.ConnectError("connection refused", request=request)
        if primary and fault.scenario:
            request.headers[HEADER] = fault.scenario
        submit = request.method == "POST" and "fetchPredictOperation" not in request.url.path
        if primary and fault.proxy and submit:
            if fault.proxy_forwards:  # the provider takes the job; the proxy loses its answer
                await (await _network(self.inner, request)).aread()
            return httpx.Response(fault.proxy, content=PROXY_PAGE, request=request,
                                  headers={"content-type": "text/html"})
        response = await _network(self.inner, request)
        if not primary:
            return response
        kind = _kind(request, response)
        if fault.lose_answer == kind and (fault.lose_always or kind not in self.lost):
            self.lost.add(kind)
            await response.aread()
            raise httpx.ReadTimeout(f"answer to the {kind} lost", request=request)
        if response.status_code == 429 and fault.retry_after is not None:
            await response.aread()
            headers = {k: v for k, v in response.headers.items()
                       if k.lower() not in ("retry-after", "retry-after-ms", "content-length")}
            if fault.retry_after:
                headers["retry-after"] = fault.retry_after
            return httpx.Response(429, headers=headers, content=response.content,
                                  request=request)
        return response


async def _network(inner: httpx.AsyncBaseTransport, request: httpx.Request) -> httpx.Response:
    """The app's answer; its failure mid-body looks like a network's (``httpx.ReadError``):
    ASGITransport runs the app to the end, so a dropped stream surfaces as the app's own
    exception where a socket would just close."""
    try:
        return await inner.handle_async_request(request)
    except httpx.TransportError:
        raise
    except Exception as exc:
        raise httpx.ReadError(f"connection closed: {exc}", request=request) from None


def _kind(request: httpx.Request, response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("video/"):
        return "download"
    if request.method == "POST" and "fetchPredictOperation" not in request.url.path:
        return "submit"
    return "poll"


class SyncBridge(httpx.BaseTransport):
    """A blocking transport over an async one, on an event loop in a helper thread."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers,
                                  content=body, request=request)

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class Observed:
    """What one cell saw."""

    error_kind: str | None
    action: str                      # succeeded | fell back | stopped
    upstream: dict[str, int]         # jobs the simulator created, by wire
    file: str                        # complete | absent | PARTIAL
    states: list[tuple[str, str]]    # (provider, ledger state) per row, in order
    message: str = ""
    notes: list[str] = field(default_factory=list)


def config_for(wire: Wire, ledger: Path, route: dict[str, Any] | None = None) -> dict[str, Any]:
    fb_provider, fb_candidate, fb_prefix, _ = FALLBACK.get(wire.name, DEFAULT_FALLBACK)
    keys = {"api_key": "sim-key", "secret_key": "sim-secret-key-of-at-least-32-bytes"}
    providers = {wire.provider: {"base_url": BASE + wire.prefix, **keys, **dict(wire.entry)},
                 fb_provider: {"base_url": BASE + fb_prefix, **keys}}
    return {"ledger": str(ledger), "providers": providers,
            "routes": {"default": {"candidates": [wire.candidate, fb_candidate], "retries": 1,
                                   "fallback_on": FALLBACK_ON, **(route or {})}}}


def run_cell(wire: Wire, fault: Fault, mode: str, folder: Path,
             route: dict[str, Any] | None = None) -> Observed:
    """One generate through the two-candidate route; what happened, upstream and on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(SimulatorSettings(fast=True, sora_retired=False, seed=7,
                                       sleep=_no_sleep))
    transport = Faulty(app, wire.prefix, fault)
    config = parse_config(config_for(wire, folder / "ledger.sqlite3", route))
    target = folder / "video.mp4"
    result: Any = None
    error: BaseException | None = None
    if mode == "async":
        async def main() -> Any:
            async with AsyncVideoClient(config=config, poll=FAST, sleep=lambda s: None,
                                        http=httpx.AsyncClient(transport=transport)) as c:
                return await c.generate({"prompt": PROMPT, "duration": 5}, route="default",
                                        output=target, request_id="cell")

        try:
            result = asyncio.run(main())
        except Exception as exc:
            error = exc
    else:
        bridge = SyncBridge(transport)
        try:
            with VideoClient(config=config, poll=FAST, sleep=lambda s: None,
                             http=httpx.Client(transport=bridge)) as client:
                result = client.generate({"prompt": PROMPT, "duration": 5}, route="default",
                                         output=target, request_id="cell")
        except Exception as exc:
            error = exc
        finally:
            bridge.close()
    ledger = Ledger(folder / "ledger.sqlite3")
    states = [(entry.provider, entry.state) for entry in ledger.entries("cell")]
    ledger.close()
    parts = list(folder.glob(".*.part"))
    file = ("PARTIAL" if parts else "complete" if target.exists() and target.stat().st_size
            and (result is None or result.bytes_written == target.stat().st_size)
            else "absent")
    if result is not None:
        primary = result.job.provider == wire.provider and result.job.model == \
            wire.candidate.split(":", 1)[1]
        action = "succeeded" if primary else "fell back"
        kinds = [a.error_kind for a in result.attempts if a.error_kind]
        return Observed(kinds[0] if kinds else None, action, app.state.simulator.jobs_created(),
                        file, states)
    assert error is not None
    attempts = getattr(error, "attempts", ())
    kinds = [a.error_kind for a in attempts if a.error_kind]
    return Observed(kinds[0] if kinds else error_kind(error), "stopped",
                    app.state.simulator.jobs_created(), file, states, str(error)[:160])


async def _no_sleep(seconds: float) -> None:
    return None


def cells() -> Iterator[tuple[Wire, Fault]]:
    for wire in WIRES:
        for fault in FAULTS:
            yield wire, fault


RESULTS: dict[tuple[str, str, str], str] = {}  # (wire, fault, mode) -> "ok ..." | "FAIL ..."
Recorder = Callable[[str, str, str, str], None]
