"""Gemini Omni (Interactions API) on both Google backends: raw HTTP, the official SDK, and
the omni adapter end to end."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from vidbridge import ConfigError, Credentials, VideoClient, VideoRequest
from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread

from .conftest import GEMINI, VERTEX, inspect_mp4

GEMINI_URL = "/gemini/v1beta/interactions"
VERTEX_URL = "/vertex/v1beta1/projects/acme/locations/global/interactions"


def _create(client: TestClient, url: str, headers: dict[str, str], **changes: object) -> dict:
    body = {"model": "gemini-omni-1.2-flash", "input": "a red ball rolls across a table",
            "generation_config": {"video_config": {"task": "text_to_video"}},
            "response_format": {"type": "video", "aspect_ratio": "9:16",
                                "resolution": "360p", "duration": "3s"},
            "background": True, **changes}
    response = client.post(url, headers=headers, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _wait(client: TestClient, url: str, headers: dict[str, str], interaction: str) -> dict:
    for _ in range(10):
        state = client.get(f"{url}/{interaction}", headers=headers).json()
        if state["status"] != "in_progress":
            return dict(state)
    raise AssertionError("the interaction never finished")


@pytest.mark.parametrize(("url", "headers"), [(GEMINI_URL, GEMINI), (VERTEX_URL, VERTEX)])
def test_background_interaction_ends_with_an_inline_video(client: TestClient, url: str,
                                                          headers: dict[str, str]) -> None:
    started = _create(client, url, headers)
    assert started["status"] == "in_progress" and started["id"].startswith("v1_")
    done = _wait(client, url, headers, started["id"])
    assert done["status"] == "completed"
    outputs = [step for step in done["steps"] if step["type"] == "model_output"]
    video = outputs[-1]["content"][-1]
    assert video["type"] == "video" and video["mime_type"] == "video/mp4"
    clip = inspect_mp4(base64.b64decode(video["data"]))
    assert (clip.width, clip.height, clip.audio) == (360, 640, True)  # Omni always has audio
    assert clip.seconds == pytest.approx(3, abs=0.1)


def test_vertex_gcs_output_is_a_gs_uri_and_the_gemini_api_refuses_it(client: TestClient) -> None:
    fmt = {"type": "video", "delivery": "uri", "gcs_uri": "gs://bucket/out/", "duration": "4s"}
    started = _create(client, VERTEX_URL, VERTEX, response_format=[fmt])
    done = _wait(client, VERTEX_URL, VERTEX, started["id"])
    assert done["steps"][-1]["content"][0]["uri"] == f"gs://bucket/out/{started['id']}.mp4"
    refused = client.post(GEMINI_URL, headers=GEMINI, json={
        "model": "gemini-omni-1.2-flash", "input": "x", "response_format": fmt})
    assert refused.status_code == 400


@pytest.mark.parametrize(("changes", "status", "says"), [
    ({"model": "gemini-omni-flash-preview"}, 404, "no longer available"),
    ({"model": "veo-3.1-generate-preview"}, 404, "not found"),
    ({"response_format": {"type": "video", "duration": "12s"}}, 400, "3s to 10s"),
    ({"response_format": {"type": "video", "aspect_ratio": "1:1"}}, 400, "aspect_ratio"),
    ({"generation_config": {"video_config": {"task": "dance"}}}, 400, "task"),
    ({"input": 7}, 400, "input"),
])
def test_gemini_refusals(client: TestClient, changes: dict, status: int, says: str) -> None:
    body = {"model": "gemini-omni-1.2-flash", "input": "x", **changes}
    response = client.post(GEMINI_URL, headers=GEMINI, json=body)
    assert response.status_code == status and says in response.json()["error"]["message"]


def test_the_preview_still_serves_on_vertex_at_720p_only(client: TestClient) -> None:
    ok = client.post(VERTEX_URL, headers=VERTEX, json={
        "model": "gemini-omni-flash-preview", "input": "x", "background": True,
        "response_format": [{"type": "video", "resolution": "720p"}]})
    assert ok.status_code == 200
    high = client.post(VERTEX_URL, headers=VERTEX, json={
        "model": "gemini-omni-flash-preview", "input": "x",
        "response_format": [{"type": "video", "resolution": "1080p"}]})
    assert high.status_code == 400


def test_keys_scenarios_and_cancel(client: TestClient) -> None:
    assert client.post(GEMINI_URL, json={"model": "gemini-omni-1.2-flash",
                                         "input": "x"}).status_code == 401
    assert client.post(f"{GEMINI_URL}?key=AIza-query", json={
        "model": "gemini-omni-1.2-flash", "input": "x", "background": True}).status_code == 200
    limited = client.post(GEMINI_URL, headers={**GEMINI, "X-Vidbridge-Scenario": "rate_limit"},
                          json={"model": "gemini-omni-1.2-flash", "input": "x"})
    assert limited.status_code == 429 and limited.headers["retry-after"]
    blocked = _create(client, GEMINI_URL, GEMINI, input="x [[scenario: content_policy]]")
    ended = _wait(client, GEMINI_URL, GEMINI, blocked["id"])
    assert ended["status"] == "failed" and "usage policies" in ended["errors"][0]["message"]
    started = _create(client, GEMINI_URL, GEMINI)
    cancelled = client.post(f"{GEMINI_URL}/{started['id']}/cancel", headers=GEMINI)
    assert cancelled.json()["status"] == "cancelled"
    assert _wait(client, GEMINI_URL, GEMINI, started["id"])["status"] == "cancelled"


def test_a_synchronous_call_returns_the_finished_interaction(client: TestClient) -> None:
    done = _create(client, GEMINI_URL, GEMINI, background=False)
    assert done["status"] == "completed" and done["steps"][-1]["type"] == "model_output"


@pytest.fixture(scope="module")
def base_url() -> object:
    with serve_in_thread(create_app(SimulatorSettings(fast=True))) as url:
        yield url


def test_google_genai_interactions_against_the_simulator(base_url: str) -> None:
    genai = pytest.importorskip("google.genai")
    from google.genai import types as gtypes

    client = genai.Client(api_key="AIza-simulated", http_options=gtypes.HttpOptions(
        base_url=f"{base_url}/gemini/"))
    started = client.interactions.create(
        model="gemini-omni-1.2-flash", input="a paper boat in the rain", background=True,
        response_format={"type": "video", "aspect_ratio": "16:9", "resolution": "360p",
                         "duration": "3s"})
    interaction = started
    for _ in range(10):
        if interaction.status != "in_progress":
            break
        interaction = client.interactions.get(id=started.id)
    assert interaction.status == "completed"
    assert interaction.output_video is not None  # the SDK finds it in the steps
    clip = inspect_mp4(base64.b64decode(interaction.output_video.data))
    assert (clip.width, clip.height) == (640, 360)


@pytest.mark.parametrize("backend", ["gemini", "vertex"])
def test_the_omni_adapter_end_to_end(base_url: str, tmp_path: Path, backend: str) -> None:
    options = {"backend": backend} | ({"project": "acme"} if backend == "vertex" else {})
    creds = Credentials(name="sim", api_key=SecretStr("sim-key"), options=options,
                        base_url=f"{base_url}/{backend}")
    with VideoClient(credentials={"omni": creds}, sleep=lambda _: None) as client:
        result = client.generate(VideoRequest(prompt="a fox in snow", duration=4,
                                              resolution="720p"),
                                 model="omni:gemini-omni-1.2-flash", output=tmp_path / "o.mp4")
    clip = inspect_mp4((tmp_path / "o.mp4").read_bytes())
    assert (clip.width, clip.height, clip.audio) == (1280, 720, True)
    assert result.job.backend == backend and clip.seconds == pytest.approx(4, abs=0.1)


def test_veo_with_only_a_gemini_key_names_the_two_ways_on(base_url: str) -> None:
    creds = Credentials(name="env", api_key=SecretStr("AIza-simulated"),
                        base_url=f"{base_url}/gemini")
    with (VideoClient(credentials={"veo": creds}, sleep=lambda _: None) as client,
          pytest.raises(ConfigError, match=r'backend = "vertex".*omni provider')):
        client.generate(VideoRequest(prompt="x"), model="veo:veo-3.1-generate-001")
