"""The app mounted on httpx.ASGITransport, as other test suites use it (no server)."""
from __future__ import annotations

import httpx
import pytest

from vidbridge.simulator import SimulatorSettings, create_app

from .conftest import GEMINI, inspect_mp4


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_runs_a_gemini_job() -> None:
    app = create_app(SimulatorSettings(fast=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://simulator") as client:
        created = await client.post(
            "/gemini/v1beta/models/veo-3.1-lite-generate-preview:predictLongRunning",
            headers=GEMINI, json={"instances": [{"prompt": "fog over a ridge"}],
                                  "parameters": {"durationSeconds": 4}})
        name = created.json()["name"]
        for _ in range(5):
            operation = (await client.get(f"/gemini/v1beta/{name}", headers=GEMINI)).json()
        uri = operation["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"]
        video = await client.get(uri, headers=GEMINI, follow_redirects=True)
    clip = inspect_mp4(video.content)
    assert (clip.width, clip.height, clip.audio) == (1280, 720, True)
    assert clip.seconds == pytest.approx(4, abs=0.1)


@pytest.mark.anyio
async def test_ids_are_deterministic_for_a_seed() -> None:
    async def first_id(seed: int) -> str:
        app = create_app(SimulatorSettings(seed=seed, fast=True))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://simulator") as client:
            response = await client.post(
                "/runway/v1/text_to_video", json={"model": "gen4.5", "promptText": "x",
                                                  "ratio": "1280:720", "duration": 2},
                headers={"Authorization": "Bearer key", "X-Runway-Version": "2024-11-06"})
            return str(response.json()["id"])

    assert await first_id(3) == await first_id(3)
    assert await first_id(3) != await first_id(4)
