"""Routes against the simulator: the issue's fallback cases over the real wire formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx

from vidbridge import AsyncVideoClient
from vidbridge.config import parse_config
from vidbridge.simulator import SimulatorSettings, create_app

from .conftest import FAST

LOOPBACK = "http://127.0.0.1:9"  # never dialled: the ASGI transport answers in process
FAULTY = "http://127.0.0.2:9"  # a second simulator, for faults aimed at one provider only


class TwoSimulators(httpx.AsyncBaseTransport):
    def __init__(self, healthy: Any, faulty: Any) -> None:
        self.healthy = httpx.ASGITransport(app=healthy)
        self.faulty = httpx.ASGITransport(app=faulty)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        chosen = self.faulty if request.url.host == "127.0.0.2" else self.healthy
        return await chosen.handle_async_request(request)
VERTEX = {"backend": "vertex", "project": "e2e", "location": "us-central1"}


def route(tmp_path: Path, candidates: list[str], prompt: str, *, sora_retired: bool = True,
          allow_retired: bool = False, faulty_runway: str | None = None,
          **request: Any) -> tuple[Any, list[str]]:
    raw = {"ledger": str(tmp_path / "ledger.sqlite3"),
           "providers": {
               "sora": {"base_url": LOOPBACK + "/openai/v1", "api_key": "k",
                        "allow_retired": allow_retired},
               "veo": {"base_url": LOOPBACK + "/vertex", "api_key": "k", "options": VERTEX},
               "runway": {"base_url": (FAULTY if faulty_runway else LOOPBACK) + "/runway",
                          "api_key": "k"},
               "kling": {"base_url": LOOPBACK + "/kling", "api_key": "k",
                         "secret_key": "sim-secret-key-of-at-least-32-bytes"}},
           "routes": {"default": {"candidates": candidates, "retries": 1}}}
    app = create_app(SimulatorSettings(fast=True, sora_retired=sora_retired))
    faulty = create_app(SimulatorSettings(fast=True, scenario=faulty_runway))
    posts: list[str] = []

    async def main() -> Any:
        http = httpx.AsyncClient(transport=TwoSimulators(app, faulty), event_hooks={
            "request": [lambda r: _count(posts, r)]})
        async with AsyncVideoClient(config=parse_config(raw), poll=FAST, sleep=_no_wait,
                                    http=http) as client:
            return await client.generate({"prompt": prompt, **request}, route="default",
                                         output=tmp_path / "v.mp4")

    return anyio.run(main), posts


async def _count(posts: list[str], request: httpx.Request) -> None:
    if request.method == "POST" and not request.url.path.endswith(":fetchPredictOperation"):
        posts.append(request.url.path)


async def _no_wait(seconds: float) -> None:
    return None


def test_retired_sora_answering_404_falls_back_to_veo(tmp_path: Path) -> None:
    result, posts = route(tmp_path, ["sora:sora-2", "veo:veo-3.1-generate-001"], "a kite",
                          allow_retired=True)
    first, second = result.attempts
    assert (first.provider, first.outcome, first.error_kind) == ("sora", "failed",
                                                                 "model_unavailable")
    assert first.tries == 1  # a retired model is not retried
    assert (second.provider, second.outcome) == ("veo", "succeeded")
    assert len(posts) == 2


def test_retired_sora_is_skipped_before_any_http_by_default(tmp_path: Path) -> None:
    result, posts = route(tmp_path, ["sora:sora-2", "runway:gen4.5"], "a kite")
    assert result.attempts[0].outcome == "skipped" and result.job.provider == "runway"
    assert posts == ["/runway/v1/text_to_video"]


def test_rate_limited_twice_falls_back_after_retries(tmp_path: Path) -> None:
    # Runway is throttled twice (1 try + 1 retry), then the route moves on to Kling.
    result, posts = route(tmp_path, ["runway:gen4.5", "kling:kling-v2-6:std"], "waves",
                          faulty_runway="rate_limit:2")
    assert [a.provider for a in result.attempts] == ["runway", "kling"]
    assert result.attempts[0].error_kind == "rate_limited" and result.attempts[0].tries == 2
    assert posts.count("/runway/v1/text_to_video") == 2


def test_audio_required_skips_runway_without_a_request(tmp_path: Path) -> None:
    result, posts = route(tmp_path, ["runway:gen4.5", "veo:veo-3.1-generate-001"], "a choir",
                          audio=True)
    skipped = result.attempts[0]
    assert skipped.outcome == "skipped" and "audio" in skipped.reason
    assert all("/runway/" not in path for path in posts)
    assert result.job.provider == "veo"
