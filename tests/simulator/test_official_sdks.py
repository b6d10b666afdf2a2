"""The official SDKs, pointed at the simulator over real HTTP, work unchanged."""
from __future__ import annotations

import types
from collections.abc import Iterator

import pytest

from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread

from .conftest import inspect_mp4

# openai >= 3.51 marks every videos method deprecated (the Sora shutdown notice).
pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    settings = SimulatorSettings(fast=True, sora_retired=False)
    with serve_in_thread(create_app(settings)) as url:
        yield url


def test_openai_create_and_poll_then_download(base_url: str) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(api_key="sk-test", base_url=f"{base_url}/openai/v1")
    video = client.videos.create_and_poll(prompt="a paper boat", model="sora-2-pro",
                                          seconds="8", size="1280x720")
    assert video.status == "completed" and video.progress == 100
    clip = inspect_mp4(client.videos.download_content(video.id).content)
    assert (clip.width, clip.height, clip.audio) == (1280, 720, True)
    assert clip.seconds == pytest.approx(8, abs=0.1)
    listed = [v.id for v in client.videos.list(limit=1)]  # auto-paginates by cursor
    assert video.id in listed
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", seconds="12", size="1920x1080")
    assert caught.value.code == "invalid_value" and caught.value.param == "size"


def test_openai_sdk_sees_retired_sora() -> None:
    openai = pytest.importorskip("openai")
    with serve_in_thread(create_app(SimulatorSettings())) as url:
        client = openai.OpenAI(api_key="sk-test", base_url=f"{url}/openai/v1", max_retries=0)
        with pytest.raises(openai.NotFoundError) as caught:
            client.videos.create(prompt="x")
    assert caught.value.code == "model_not_found"


def test_openai_sdk_retries_a_rate_limit_once(base_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(api_key="sk-test", base_url=f"{base_url}/openai/v1", max_retries=2)
    waits: list[str | None] = []
    monkeypatch.setattr(client, "_sleep_for_retry", lambda **kw: waits.append(
        kw["response"].headers.get("retry-after")))
    video = client.videos.create(prompt="x", extra_headers={
        "X-Vidbridge-Scenario": "rate_limit=3:1"})
    assert video.status == "queued" and waits == ["3"]


def test_google_genai_vertex_generate_videos(base_url: str) -> None:
    genai = pytest.importorskip("google.genai")
    from google.genai import types as gtypes
    from google.oauth2.credentials import Credentials

    client = genai.Client(
        vertexai=True, project="acme-video", location="us-central1",
        credentials=Credentials(token="ya29.simulated"),
        http_options=gtypes.HttpOptions(base_url=f"{base_url}/vertex/"))
    operation = client.models.generate_videos(
        model="veo-3.1-fast-generate-001",
        source=gtypes.GenerateVideosSource(prompt="aerial shot of rice terraces"),
        config=gtypes.GenerateVideosConfig(duration_seconds=4, aspect_ratio="9:16",
                                           resolution="720p", generate_audio=True))
    for _ in range(10):
        if operation.done:
            break
        operation = client.operations.get(operation)
    assert operation.done and operation.error is None
    video = operation.result.generated_videos[0].video
    assert video.mime_type == "video/mp4"
    clip = inspect_mp4(video.video_bytes)
    assert (clip.width, clip.height, clip.audio) == (720, 1280, True)
    assert clip.seconds == pytest.approx(4, abs=0.1)


def test_runwayml_wait_for_task_output(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runwayml = pytest.importorskip("runwayml")
    import time

    import runwayml.lib.polling as polling

    # The helper sleeps ~6 s between polls; fast mode plus a no-op sleep keeps this instant.
    monkeypatch.setattr(polling, "time", types.SimpleNamespace(sleep=lambda s: None,
                                                               time=time.time))
    client = runwayml.RunwayML(api_key="key_test", base_url=f"{base_url}/runway")
    task = client.image_to_video.create(
        model="gen4_turbo", prompt_image="https://assets.example.com/first.jpg",
        ratio="1104:832", duration=3).wait_for_task_output()
    assert task.status == "SUCCEEDED"
    import httpx

    clip = inspect_mp4(httpx.get(task.output[0]).content)
    assert (clip.width, clip.height, clip.audio) == (1104, 832, False)
    assert clip.seconds == pytest.approx(3, abs=0.1)
    with pytest.raises(runwayml.BadRequestError):
        client.text_to_video.create(model="gen4.5", prompt_text="x", ratio="960:960",
                                    duration=5)
