"""Replays of the cassettes for the newer wires (docs/reference/kling.md, runway.md): Kling
omni-video and video-extend, two Runway partner models and Runway aleph2 video to video — a
whole generation each."""

from __future__ import annotations

from pathlib import Path

import pytest
import vcr

from vidbridge import ImageInput, Job, VideoClient, VideoRequest
from vidbridge.ledger import Ledger
from vidbridge.plugins import new_plugin_manager
from vidbridge.testing import vcr_config
from vidbridge.testing.scenarios import PROMPT, fake_credentials, sample_png

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
IMAGE = ImageInput(data=sample_png(), mime_type="image/png")
SOURCE = Job(provider="kling", model="kling-v1-6:pro", id="CjhYpGdBK5cAAAAAAB3pQw",
             status="succeeded",
             meta={"family": "text2video", "video_id": "3f0b6c2e-9a41-4d8e-b7c5-2e1f0a9d8c76"})
CASES = {
    "kling/omni_video": ("kling:kling-v3-omni:std", VideoRequest(
        prompt=PROMPT, duration=5, aspect_ratio="16:9", image=IMAGE)),
    "kling/video_extend": ("kling:kling-v1-6:pro", VideoRequest(
        prompt="The boat turns the corner", extend=SOURCE)),
    "runway/partner_seedance2": ("runway:seedance2", VideoRequest(
        prompt=PROMPT, duration=5, aspect_ratio="16:9", resolution="720p", audio=True)),
    "runway/partner_kling3_pro": ("runway:kling3.0_pro", VideoRequest(
        prompt=PROMPT, duration=5, aspect_ratio="16:9", image=IMAGE)),
    "runway/aleph2_video_to_video": ("runway:aleph2", VideoRequest(
        prompt="Change the time of day to dusk with wet, reflective asphalt", seed=7,
        duration=5, source_video="https://media.example.com/plates/street-day.mp4")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_replay_generates_the_video(name: str, tmp_path: Path) -> None:
    model, request = CASES[name]
    provider = model.partition(":")[0]
    pm = new_plugin_manager()
    client = VideoClient(pm=pm, sleep=lambda _: None, ledger=Ledger(":memory:"))
    client.core.credentials[provider] = fake_credentials(client.core.adapter(provider),
                                                         name="contract")
    recorder = vcr.VCR(record_mode="none", **vcr_config())
    with recorder.use_cassette(str(CASSETTES / f"{name}.yaml")) as cassette, client:
        result = client.generate(request, model=model, output=tmp_path / "out.mp4",
                                 request_id="vidbridge-contract")
        assert cassette.all_played
    assert result.job.status == "succeeded" and result.bytes_written > 0
    assert f"{result.job.provider}:{result.job.model}" == model
    if provider == "kling":
        assert result.job.meta["family"] in ("omni-video", "video-extend")
        assert result.job.meta["video_id"]
