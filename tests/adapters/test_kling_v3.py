"""Kling v3, omni-video, video-extend and the documented passthrough keys
(docs/reference/kling.md): bodies, endpoint families, and refusals before any HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

import vidbridge_kling as kl
from vidbridge import (
    CapabilityError,
    Credentials,
    ImageInput,
    InvalidRequestError,
    Job,
    Plan,
    VideoRequest,
    normalise,
)
from vidbridge.models import VideoRef

CREDS = Credentials(name="kling-main", api_key=SecretStr("a" * 32), secret_key=SecretStr("b" * 40))
FIRST = ImageInput(url="https://assets.example.com/first.png")
LAST = ImageInput(url="https://assets.example.com/last.png")
REF = ImageInput(url="https://assets.example.com/style.png")


def plan(model: str, **request: Any) -> Plan:
    request.setdefault("prompt", "A lighthouse keeper climbs the stairs")
    return normalise(VideoRequest(**request), kl.MODELS[model], "strict", provider="kling",
                     model=model)


def sent(model: str, **request: Any) -> tuple[str, dict[str, Any]]:
    built = kl.Kling(clock=lambda: 1_757_841_000.0).build_submit(plan(model, **request), CREDS)
    return built.url.path, json.loads(built.content)


def test_v3_text_to_video_sends_model_mode_duration_and_sound() -> None:
    path, body = sent("kling-v3:pro", duration=12, aspect_ratio="9:16", audio=True)
    assert path == "/v1/videos/text2video"
    assert body["model_name"] == "kling-v3" and body["mode"] == "pro"
    assert body["duration"] == "12" and body["sound"] == "on"
    assert body["aspect_ratio"] == "9:16"


def test_v3_durations_run_from_3_to_15() -> None:
    assert plan("kling-v3:std", duration=3).duration == 3
    with pytest.raises(CapabilityError) as refused:
        plan("kling-v3:std", duration=16)
    assert refused.value.field == "duration" and "15" in str(refused.value)


def test_omni_puts_first_and_end_frames_in_image_list() -> None:
    path, body = sent("kling-v3-omni:std", image=FIRST, last_frame=LAST, duration=5)
    assert path == "/v1/videos/omni-video"
    assert body["image_list"] == [
        {"image_url": FIRST.url, "type": "first_frame"},
        {"image_url": LAST.url, "type": "end_frame"}]
    assert "aspect_ratio" not in body  # the first frame sets the frame
    assert body["model_name"] == "kling-v3-omni" and body["mode"] == "std"


def test_omni_maps_reference_images_without_a_type() -> None:
    _, body = sent("kling-video-o1:pro", reference_images=(REF, REF), duration=7,
                   aspect_ratio="1:1")
    assert body["image_list"] == [{"image_url": REF.url}, {"image_url": REF.url}]
    assert body["aspect_ratio"] == "1:1" and body["duration"] == "7"
    assert "sound" not in body  # O1 documents no sound field


def test_o1_text_to_video_takes_5_or_10_seconds() -> None:
    with pytest.raises(CapabilityError) as refused:
        plan("kling-video-o1:std", duration=7)
    assert "5 or 10" in str(refused.value)
    assert plan("kling-video-o1:std", duration=7, image=FIRST, last_frame=LAST).duration == 7


def test_omni_refuses_an_end_frame_with_references() -> None:
    with pytest.raises(CapabilityError) as refused:
        sent("kling-v3-omni:pro", image=FIRST, last_frame=LAST, reference_images=(REF,))
    assert refused.value.field == "last_frame"


def test_callback_url_is_passed_on_every_family() -> None:
    hook = "https://hooks.example.com/kling"
    for model, extra in (("kling-v3:std", {}), ("kling-v3-omni:std", {}),
                         ("kling-v2-6:pro", {})):
        _, body = sent(model, extra={"callback_url": hook, **extra})
        assert body["callback_url"] == hook
    with pytest.raises(InvalidRequestError) as refused:
        sent("kling-v3:std", extra={"callback_url": "ftp://x"})
    assert refused.value.param == "callback_url"


def test_multi_shot_is_a_documented_extra_on_v3_only() -> None:
    shots = [{"index": 1, "prompt": "wide shot", "duration": "4"},
             {"index": 2, "prompt": "close-up", "duration": "4"}]
    _, body = sent("kling-v3:std", duration=8,
                   extra={"multi_shot": True, "shot_type": "customize", "multi_prompt": shots})
    assert body["multi_shot"] is True and body["multi_prompt"] == shots
    with pytest.raises(InvalidRequestError) as refused:
        sent("kling-v3:std", duration=10,
             extra={"multi_shot": True, "shot_type": "customize", "multi_prompt": shots})
    assert "add up" in str(refused.value)
    with pytest.raises(InvalidRequestError):
        sent("kling-v2-6:pro", extra={"multi_shot": True, "shot_type": "intelligence"})


def finished_job(model: str = "kling-v1-6:pro") -> Job:
    return Job(provider="kling", model=model, id="CjhYpGdBK5cAAAAAAB3pQw", status="succeeded",
               output_url="https://cdn.klingai.com/v.mp4",
               meta={"family": "text2video", "video_id": "3f0b6c2e-9a41"})


def test_extend_goes_to_video_extend_with_the_video_id() -> None:
    path, body = sent("kling-v1-6:pro", extend=finished_job(), prompt="the door opens")
    assert path == "/v1/videos/video-extend"
    assert body["video_id"] == "3f0b6c2e-9a41" and body["prompt"] == "the door opens"
    assert "model_name" not in body and "duration" not in body


def test_extend_refuses_another_model_and_models_that_cannot() -> None:
    with pytest.raises(CapabilityError) as refused:
        sent("kling-v1:std", extend=finished_job("kling-v1-6:pro"))
    assert "kling:kling-v1-6:pro" in refused.value.allowed
    with pytest.raises(CapabilityError) as refused:
        plan("kling-v3:pro", extend=finished_job("kling-v3:pro"))
    assert refused.value.field == "extend"


def test_extend_needs_a_finished_job() -> None:
    running = finished_job().model_copy(update={"status": "running"})
    with pytest.raises(ValueError, match="succeeded"):
        VideoRequest(prompt="go on", extend=running)
    assert VideoRequest(extend=VideoRef(provider="kling", video_id="v1")).extend is not None


def test_a_succeeded_task_records_its_video_id() -> None:
    body = {"code": 0, "message": "SUCCEED", "data": {
        "task_id": "T1", "task_status": "succeed",
        "task_result": {"videos": [{"id": "vid-9", "url": "https://cdn.klingai.com/a.mp4",
                                    "duration": "5.1"}]}}}
    previous = Job(provider="kling", id="T1", status="running", meta={"family": "omni-video"})
    job = kl.Kling().parse_job(httpx.Response(200, json=body), previous)
    assert job.meta["video_id"] == "vid-9" and job.meta["family"] == "omni-video"


def test_1202_is_a_request_error_not_a_missing_model() -> None:
    response = httpx.Response(404, json={"code": 1202, "message": "invalid request method",
                                         "request_id": "r"})
    with pytest.raises(InvalidRequestError) as raised:
        kl.Kling().raise_for_error(response)
    assert raised.value.code == 1202 and not raised.value.retryable


def test_extension_elsewhere_names_the_models_that_can() -> None:
    from vidbridge import VideoClient

    client = VideoClient()
    job = Job(provider="runway", model="gen4.5", id="r1", status="succeeded",
              output_url="https://cdn.example/v.mp4")
    with pytest.raises(CapabilityError) as refused:
        client.core.plan(VideoRequest(prompt="go on", extend=job), "runway:gen4.5")
    assert refused.value.field == "extend"
    able = set(refused.value.allowed)
    assert {"kling:kling-v1-6:pro", "veo:veo-3.1-generate-001"} <= able
    assert not any(name.startswith("sora:") for name in able)  # retired: never offered
    with pytest.raises(CapabilityError) as other:
        client.core.plan(VideoRequest(prompt="go on", extend=job), "kling:kling-v1-6:pro")
    assert "made by runway" in str(other.value)


def test_veo_extension_on_vertex_sends_the_gcs_video_at_720p() -> None:
    import vidbridge_veo as veo

    source = Job(provider="veo", model="veo-3.1-generate-001", id="op1", status="succeeded",
                 output_url="gs://bucket/out/sample_0.mp4")
    plan = normalise(VideoRequest(prompt="the car drives on", extend=source),
                     veo.MODELS["veo-3.1-generate-001"], provider="veo",
                     model="veo-3.1-generate-001")
    assert plan.duration == 8
    creds = Credentials(name="veo", api_key=SecretStr("tok"),
                        options={"backend": "vertex", "project": "p", "location": "us-central1"})
    body = json.loads(veo.Veo().build_submit(plan, creds).content)
    assert body["instances"][0]["video"] == {"gcsUri": "gs://bucket/out/sample_0.mp4",
                                             "mimeType": "video/mp4"}
    inline = source.model_copy(update={"output_url": None})
    plan = normalise(VideoRequest(prompt="x", extend=inline),
                     veo.MODELS["veo-3.1-generate-001"], provider="veo",
                     model="veo-3.1-generate-001")
    with pytest.raises(CapabilityError, match="gs://"):
        veo.Veo().build_submit(plan, creds)


def test_sora_extend_goes_to_the_extensions_endpoint() -> None:
    import vidbridge_sora as sora

    source = Job(provider="sora", model="sora-2", id="video_abc", status="succeeded")
    plan = normalise(VideoRequest(prompt="more", duration=8, extend=source),
                     sora.MODELS["sora-2"], provider="sora", model="sora-2")
    built = sora.Sora().build_submit(plan, Credentials(name="s", api_key=SecretStr("k")))
    assert built.url.path.endswith("/videos/extensions")
    assert json.loads(built.content) == {"video": {"id": "video_abc"}, "prompt": "more",
                                         "seconds": "8"}


def test_extension_elsewhere_offers_only_models_the_configured_backend_serves() -> None:
    from vidbridge import VideoClient

    gemini = Credentials(name="g", api_key=SecretStr("AIza-unit-test-key-0000000000000000000"),
                         options={"backend": "gemini"})
    client = VideoClient(credentials={"veo": gemini})
    job = Job(provider="runway", model="gen4.5", id="r1", status="succeeded",
              output_url="https://cdn.example/v.mp4")
    with pytest.raises(CapabilityError) as refused:
        client.core.plan(VideoRequest(prompt="go on", extend=job), "runway:gen4.5")
    able = set(refused.value.allowed)
    assert "kling:kling-v1-6:pro" in able
    assert not any(name.startswith("veo:") for name in able)  # Veo 3.1 -001: Vertex only
