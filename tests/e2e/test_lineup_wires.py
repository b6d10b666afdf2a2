"""The late-2026 lineup against the simulator: Kling v3, omni-video and video-extend, Runway
partner models — our adapters and engine over the simulator's independent wire."""

from __future__ import annotations

import io
from pathlib import Path

import anyio
import pytest

from vidbridge import ImageInput, InvalidRequestError, VideoRequest
from vidbridge.demo import probe_mp4

from .conftest import Wire, client_for

KLING = Wire("kling", "kling", "kling-v3:pro", "/kling")
RUNWAY = Wire("runway", "runway", "seedance2", "/runway")


def probe(path: Path) -> dict:  # type: ignore[type-arg]
    facts = probe_mp4(path)
    assert facts is not None, f"{path} is not a readable MP4"
    return facts


def png(width: int = 1280, height: int = 720) -> ImageInput:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(buffer, "PNG")
    return ImageInput(data=buffer.getvalue(), mime_type="image/png")


def run(wire: Wire, model: str, request: VideoRequest, out: Path):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with client_for(wire) as client:
            return await client.generate(request, model=model, output=out)

    return anyio.run(go)


def test_kling_v3_makes_the_asked_length_with_sound(tmp_path: Path) -> None:
    result = run(KLING, "kling:kling-v3:pro",
                 VideoRequest(prompt="a fox in snow", duration=12, audio=True), tmp_path / "a.mp4")
    facts = probe(result.path)
    assert round(facts["duration"]) == 12 and (facts["width"], facts["height"]) == (1920, 1080)
    assert result.job.meta["family"] == "text2video" and result.job.reported_cost_usd


def test_kling_omni_takes_a_first_frame_in_image_list(tmp_path: Path) -> None:
    result = run(KLING, "kling:kling-v3-omni:std",
                 VideoRequest(prompt="the fox runs", duration=4, image=png(), last_frame=png()),
                 tmp_path / "b.mp4")
    assert result.job.meta["family"] == "omni-video" and result.job.meta["video_id"]
    assert probe(result.path)["height"] == 720


def test_kling_extends_a_finished_clip(tmp_path: Path) -> None:
    async def go():  # type: ignore[no-untyped-def]
        async with client_for(KLING) as client:
            first = await client.generate(VideoRequest(prompt="a door", duration=5),
                                          model="kling:kling-v1-6:pro",
                                          output=tmp_path / "first.mp4")
            longer = await client.generate(VideoRequest(prompt="it opens", extend=first),
                                           model="kling:kling-v1-6:pro",
                                           output=tmp_path / "longer.mp4")
            return first, longer

    first, longer = anyio.run(go)
    assert longer.job.meta["family"] == "video-extend"
    assert round(probe(longer.path)["duration"]) == 10  # the whole clip


def test_kling_refuses_extending_an_unknown_video(tmp_path: Path) -> None:
    from vidbridge.models import VideoRef

    with pytest.raises(Exception) as raised:
        run(KLING, "kling:kling-v1-6:pro",
            VideoRequest(extend=VideoRef(provider="kling", model="kling-v1-6:pro",
                                         video_id="nope")), tmp_path / "c.mp4")
    assert "nope" in str(raised.value)


def test_kling_callback_url_is_accepted_and_a_bad_one_refused(tmp_path: Path) -> None:
    ok = run(KLING, "kling:kling-v3:std",
             VideoRequest(prompt="x", extra={"callback_url": "https://hooks.example.com/k"}),
             tmp_path / "d.mp4")
    assert ok.job.status == "succeeded"
    with pytest.raises(InvalidRequestError):
        run(KLING, "kling:kling-v3:std",
            VideoRequest(prompt="x", extra={"callback_url": "mailto:x"}), tmp_path / "e.mp4")


@pytest.mark.parametrize(("model", "size"), [("seedance2", (1280, 720)),
                                             ("kling3.0_pro", (1920, 1080)),
                                             ("gemini_omni_flash", (1280, 720))])
def test_runway_partner_models_are_served(model: str, size: tuple[int, int],
                                          tmp_path: Path) -> None:
    result = run(RUNWAY, f"runway:{model}",
                 VideoRequest(prompt="waves", duration=5, aspect_ratio="16:9",
                              resolution=f"{size[1]}p"), tmp_path / "f.mp4")
    facts = probe(result.path)
    assert (facts["width"], facts["height"]) == size and round(facts["duration"]) == 5
