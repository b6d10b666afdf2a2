"""Runway aleph2 on ``POST /v1/video_to_video``: the body, the source video's forms and limits
(docs/reference/runway.md, runwayml 5.24.0 video_to_video_create_params)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr, ValidationError

import vidbridge_runway as rw
from vidbridge import CapabilityError, Credentials, VideoClient, VideoRequest, normalise
from vidbridge.plugins import new_plugin_manager, register
from vidbridge_runway_video import max_video_bytes

CREDS = Credentials(name="rw-main", api_key=SecretStr("key_" + "0" * 40))
URL = "https://media.example.com/plates/street-day.mp4"
MP4_HEAD = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"


def _submit(request: VideoRequest, model: str = "aleph2") -> httpx.Request:
    plan = normalise(request, rw.MODELS[model], provider="runway", model=model)
    return rw.Runway().build_submit(plan, CREDS)


def test_a_url_source_is_sent_as_videouri_with_no_ratio_or_duration() -> None:
    sent = _submit(VideoRequest(prompt="dusk", source_video=URL, seed=3, duration=6))
    assert sent.url.path == "/v1/video_to_video"
    assert json.loads(sent.content) == {"model": "aleph2", "videoUri": URL,
                                        "promptText": "dusk", "seed": 3}


def test_a_local_mp4_goes_as_a_data_uri_and_the_prompt_may_be_left_out(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4_HEAD + b"\0" * 100)
    body = json.loads(_submit(VideoRequest(source_video=clip)).content)
    assert body["videoUri"].startswith("data:video/mp4;base64,AAAAGGZ0eXBtcDQy")
    assert "promptText" not in body


def test_the_largest_file_fits_the_16_mb_data_uri_and_one_byte_more_is_refused(
        tmp_path: Path) -> None:
    clip = tmp_path / "big.mp4"
    with clip.open("wb") as handle:
        handle.write(MP4_HEAD)
        handle.truncate(max_video_bytes())
    assert len(json.loads(_submit(VideoRequest(source_video=clip)).content)["videoUri"]) <= (
        rw.MAX_VIDEO_DATA_URI)
    with clip.open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(CapabilityError) as refused:
        _submit(VideoRequest(source_video=clip))
    assert refused.value.field == "source_video"
    assert f"at most {rw.MAX_VIDEO_DATA_URI} characters" in str(refused.value)
    assert "https URL" in str(refused.value)


def refuse_all(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no HTTP expected, got {request.method} {request.url}")


@pytest.mark.parametrize(("content", "named"), [
    (b"RIFF\0\0\0\0AVI LIST", "not a known video type"),
    (None, "cannot be read"),
])
def test_a_bad_local_file_fails_before_any_http(tmp_path: Path, content: bytes | None,
                                                named: str) -> None:
    clip = tmp_path / "clip.avi"
    if content is not None:
        clip.write_bytes(content)
    pm = new_plugin_manager(load_entry_points=False)
    register(rw, name="runway-test", pm=pm)
    with (VideoClient(credentials={"runway": CREDS}, pm=pm,
                      transport=httpx.MockTransport(refuse_all), sleep=lambda s: None) as client,
          pytest.raises(CapabilityError) as refused):
        client.generate({"prompt": "dusk", "source_video": str(clip)}, model="runway:aleph2")
    assert refused.value.field == "source_video" and named in str(refused.value)


def test_an_http_url_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="source_video"):
        VideoRequest(prompt="dusk", source_video="http://media.example.com/a.mp4")


def test_aleph2_needs_a_source_video_and_takes_no_image() -> None:
    with pytest.raises(CapabilityError) as refused:
        _submit(VideoRequest(prompt="dusk"))
    assert refused.value.field == "source_video"
    caps = rw.MODELS["aleph2"]
    assert caps.video_input and not caps.supports_image and not caps.supports_text


def test_a_model_without_video_input_drops_it_and_says_so_or_refuses_when_strict() -> None:
    request = VideoRequest(prompt="dusk", source_video=URL)
    plan = normalise(request, rw.MODELS["gen4.5"], provider="runway", model="gen4.5")
    assert plan.source_video is None
    assert [(a.field, a.asked, a.given) for a in plan.adjustments] == [
        ("source_video", URL, None)]
    with pytest.raises(CapabilityError) as refused:
        normalise(request, rw.MODELS["gen4.5"], "strict", provider="runway", model="gen4.5")
    assert refused.value.field == "source_video"
