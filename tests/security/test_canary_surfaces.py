"""The canary through the router, the compat client and the gateway: every provider key is
the canary, every provider is unreachable (a real refused connection on loopback, so httpx
builds real requests with real headers), and no error, response, log line at DEBUG, database
or file of the run holds it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from vidbridge import AsyncVideoClient, VidbridgeError
from vidbridge.config import Config, parse_config
from vidbridge.ledger import Ledger

from .test_canary_chains import CANARY, leaks, searched_files

DEAD = "http://127.0.0.1:1"  # loopback, nothing listens: a real ConnectError every call
KEY = "gw-canary-test-key"


def canary_config(tmp: Path) -> Config:
    providers: dict[str, Any] = {
        "sora": {"base_url": f"{DEAD}/v1", "api_key": CANARY, "allow_retired": True},
        "veo": {"base_url": DEAD, "api_key": CANARY, "options": {"backend": "gemini"}},
        "runway": {"base_url": DEAD, "api_key": CANARY},
        "kling": {"base_url": DEAD, "api_key": CANARY, "secret_key": CANARY},
    }
    return parse_config({
        "ledger": str(tmp / "jobs.sqlite3"), "providers": providers,
        "routes": {"default": {"candidates": ["runway:gen4.5", "kling:kling-v2-6:std",
                                              "veo:veo-3.1-generate-preview", "sora:sora-2"],
                               "retries": 1}},
        "aliases": {"sora-2": "default"},
        "compat": {"store": str(tmp / "compat.sqlite3")},
    })


def client(cfg: Config) -> AsyncVideoClient:
    return AsyncVideoClient(config=cfg, http=httpx.AsyncClient(timeout=5),
                            sleep=lambda seconds: None, ledger=Ledger(cfg.ledger_path()))


def check_run(tmp: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert CANARY not in caplog.text
    assert searched_files(tmp) == []


@pytest.mark.anyio
async def test_router_all_candidates_failed(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cfg = canary_config(tmp_path)
    videos = client(cfg)
    with pytest.raises(VidbridgeError) as raised:
        await videos.generate({"prompt": "canary", "duration": 5}, route="default",
                              output=tmp_path / "out.mp4")
    await videos.aclose()
    assert len(raised.value.attempts) >= 2  # it really went through the route
    assert leaks(raised.value) == []
    check_run(tmp_path, caplog)


@pytest.mark.anyio
async def test_compat_client(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from vidbridge.compat.openai import AsyncOpenAI

    caplog.set_level(logging.DEBUG)
    cfg = canary_config(tmp_path)
    sdk = AsyncOpenAI(config=cfg, client=client(cfg), output_dir=tmp_path / "videos")
    raised: BaseException | None = None
    try:
        video = await sdk.videos.create_and_poll(model="sora-2", prompt="canary", seconds="4")
        assert video.status == "failed"
        assert CANARY not in repr(video) and CANARY not in str(video.error)
        with pytest.raises(Exception) as content_error:
            await sdk.videos.download_content(video.id)
        raised = content_error.value
    except Exception as failure:  # an error in the official shape is fine; a key is not
        raised = failure
    finally:
        await sdk.close()
    if raised is not None:
        assert leaks(raised) == []
    check_run(tmp_path, caplog)


@pytest.mark.anyio
async def test_gateway(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from vidbridge.gateway import create_app

    caplog.set_level(logging.DEBUG)
    cfg = canary_config(tmp_path)
    videos = client(cfg)
    app = create_app(cfg, client=videos, keys=[KEY], database=tmp_path / "gateway.sqlite3",
                     output_dir=tmp_path / "videos", poll_after_ms=1)
    headers = {"authorization": f"Bearer {KEY}"}
    seen: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw.test/v1", headers=headers) as http:
        created = await http.post("/videos", json={"model": "sora-2", "prompt": "canary",
                                                   "seconds": "4"})
        seen.append(created.text)
        video_id = created.json().get("id", "none")
        for _ in range(200):
            polled = await http.get(f"/videos/{video_id}")
            seen.append(polled.text)
            if polled.json().get("status") not in ("queued", "in_progress"):
                break
            await anyio.sleep(0)
        seen.append((await http.get(f"/videos/{video_id}/content")).text)
        seen.append((await http.get("/videos")).text)
    await videos.aclose()
    assert '"status":"failed"' in seen[-3].replace(" ", ""), seen[-3]
    assert not [text for text in seen if CANARY in text]
    check_run(tmp_path, caplog)
