"""Runway's partner models (runwayml 5.24.0 create params): one row each, bodies shaped the way
each row's SDK type says, veo3 retired and never routed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr

import vidbridge_runway as rw
from vidbridge import CapabilityError, Credentials, ImageInput, VideoRequest, normalise

CREDS = Credentials(name="runway", api_key=SecretStr("key_" + "0" * 40))
IMAGE = ImageInput(url="https://assets.example.com/first.png")
# The model literals of runwayml 5.24.0's ImageToVideoCreateParams union (read 2026-12-02).
SDK_IMAGE_MODELS = {
    "gen4.5", "gen4_turbo", "veo3.1", "veo3.1_fast", "klingO3_4k", "hailuo3", "kling3.0_4k",
    "happyhorse_1_0", "kling2.5_turbo_pro", "kling3.0_pro", "kling3.0_standard", "klingO3_pro",
    "klingO3_standard", "seedance2", "seedance2_fast", "seedance2_mini", "gemini_omni_flash",
    "grok_imagine_1_5", "wan3", "gemini_omni_flash_1.1", "wan3_prime", "h3_max",
    "seedance2_5", "grok_imagine_1_5_lite", "kling_4"}


def body(model: str, **request: Any) -> tuple[str, dict[str, Any]]:
    request.setdefault("prompt", "A heron lifts off a misty lake")
    plan = normalise(VideoRequest(**request), rw.MODELS[model], provider="runway", model=model)
    built = rw.Runway().build_submit(plan, CREDS)
    return built.url.path, json.loads(built.content)


def test_every_sdk_model_has_a_row_and_only_gen4_turbo_lacks_text() -> None:
    assert set(rw.MODELS) >= SDK_IMAGE_MODELS
    assert {m for m in SDK_IMAGE_MODELS if not rw.MODELS[m].supports_text} == {"gen4_turbo"}
    for model in SDK_IMAGE_MODELS:
        caps = rw.MODELS[model]
        assert caps.source and caps.verified_on is not None
        assert caps.lifecycle.status() == "available"


def test_veo3_is_retired_without_an_invented_date() -> None:
    life = rw.MODELS["veo3"].lifecycle
    assert life.status() == "retired" and life.retired_on is None
    assert "no date published" in life.describe() and "veo3.1" in life.describe()


def test_seedance2_sends_pixel_ratio_audio_and_seed() -> None:
    path, sent = body("seedance2", duration=12, aspect_ratio="21:9", resolution="1080p",
                      audio=True, seed=7)
    assert path == "/v1/text_to_video"
    assert sent["ratio"] == "2206:946" and sent["duration"] == 12
    assert sent["audio"] is True and sent["seed"] == 7


def test_kling3_pro_takes_first_and_last_frames_and_3_to_15_seconds() -> None:
    path, sent = body("kling3.0_pro", image=IMAGE, last_frame=IMAGE, duration=15)
    assert path == "/v1/image_to_video" and sent["ratio"] == "1920:1080"
    assert [part["position"] for part in sent["promptImage"]] == ["first", "last"]
    with pytest.raises(CapabilityError):
        normalise(VideoRequest(prompt="x", duration=20), rw.MODELS["kling3.0_pro"], "strict")


def test_hailuo3_sends_an_aspect_name_and_a_tier() -> None:
    _, sent = body("hailuo3", aspect_ratio="9:16")
    assert sent["ratio"] == "9:16" and sent["resolution"] == "768p"


def test_image_requests_follow_each_rows_frame_rule() -> None:
    assert body("wan3", image=IMAGE, resolution="720p")[1]["ratio"] == "auto_720p"
    assert "ratio" not in body("kling2.5_turbo_pro", image=IMAGE)[1]
    happy = body("happyhorse_1_0", image=IMAGE, resolution="1080p")[1]
    assert happy["resolution"] == "1080p" and "ratio" not in happy
    assert body("h3_max", image=IMAGE)[1]["resolution"] in ("480p", "768p")


def test_prompt_required_rows_refuse_an_image_alone() -> None:
    plan = normalise(VideoRequest(image=IMAGE), rw.MODELS["wan3"], provider="runway",
                     model="wan3")
    with pytest.raises(CapabilityError) as refused:
        rw.Runway().build_submit(plan, CREDS)
    assert refused.value.field == "prompt"


def test_unpublished_prices_estimate_nothing_rather_than_guess() -> None:
    plan = normalise(VideoRequest(prompt="x"), rw.MODELS["wan3"], provider="runway",
                     model="wan3")
    assert plan.estimated_cost_usd is None
    seedance = normalise(VideoRequest(prompt="x", duration=10), rw.MODELS["seedance2"])
    assert seedance.estimated_cost_usd == pytest.approx(10 * 36 * 0.01)
