"""Real MP4s: duration, frame size, frame rate and audio are what was asked."""
from __future__ import annotations

import pytest

from vidbridge.simulator import media

from .conftest import inspect_mp4


@pytest.mark.parametrize(("seconds", "width", "height", "audio"), [
    (4, 720, 1280, True), (8, 1920, 1080, False), (5, 1280, 720, True), (6, 1080, 1080, False),
])
def test_clip_has_the_asked_shape(seconds: int, width: int, height: int, audio: bool) -> None:
    clip = inspect_mp4(media.make_mp4(seconds, width, height, audio))
    assert (clip.width, clip.height) == (width, height)
    assert clip.seconds == pytest.approx(seconds, abs=0.1)
    assert clip.fps == 24
    assert clip.audio is audio


def test_same_shape_encodes_once() -> None:
    first = media.make_mp4(4, 640, 360, False)
    for _ in range(200):  # the cache hands back the very same bytes, never a re-encode
        assert media.make_mp4(4, 640, 360, False) is first


def test_bad_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="bad clip shape"):
        media.make_mp4(0, 1280, 720, False)


def test_fallback_clip_is_a_small_playable_mp4() -> None:
    data = media.fallback_clip()
    assert len(data) < 8_000
    assert inspect_mp4(data).seconds > 0


def test_fallback_serves_when_av_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "HAVE_AV", False)
    assert media.make_mp4(8, 1920, 1080, True) == media.fallback_clip()


def test_stills_are_webp_and_jpeg() -> None:
    assert media.make_still(320, 180, "webp")[8:12] == b"WEBP"
    assert media.make_still(320, 180, "jpeg")[:2] == b"\xff\xd8"


def _frames_and_audio(data: bytes) -> tuple[list[object], list[float]]:
    import array
    import io

    import av

    with av.open(io.BytesIO(data)) as container:
        images = [frame.to_image() for frame in container.decode(video=0)]
    samples: list[float] = []
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(audio=0):
            samples += array.array("f", bytes(frame.planes[0])[:frame.samples * 4])
    return images, samples


def test_clip_is_a_test_card_that_moves_and_hums() -> None:
    from PIL import ImageChops

    data = media.make_mp4(2, 640, 360, True, prompt="a red kite over a grey sea",
                          label="vertex:veo-3.1-generate-001")
    images, samples = _frames_and_audio(data)
    first, last = images[0], images[-1]
    # The colour bars are at the top of every frame.
    assert first.getpixel((5, 5))[0] > 150 and first.getpixel((635, 5))[2] > 150
    # The square moved along the track and the timecode changed: frames differ below.
    moved = ImageChops.difference(first, last).crop((0, 300, 640, 360)).getbbox()
    assert moved is not None
    # Text was drawn: the card's middle is not flat.
    extrema = first.convert("L").crop((0, 50, 640, 250)).getextrema()
    assert extrema[1] - extrema[0] > 100
    # A quiet tone, not silence: a 440 Hz sine well below full scale.
    peak = max(abs(s) for s in samples)
    assert 0.01 < peak < 0.2
    crossings = sum(1 for a, b in zip(samples, samples[1:], strict=False) if a < 0 <= b)
    assert crossings == pytest.approx(440 * len(samples) / media.SAMPLE_RATE, rel=0.05)


def test_the_card_shows_its_own_prompt_and_caches_per_prompt() -> None:
    one = media.make_mp4(1, 320, 240, False, prompt="a heron", label="openai:sora-2")
    other = media.make_mp4(1, 320, 240, False, prompt="a lighthouse", label="openai:sora-2")
    assert one != other
    assert media.make_mp4(1, 320, 240, False, prompt="a heron", label="openai:sora-2") is one
