"""Real MP4s: duration, frame size, frame rate and audio are what was asked."""
from __future__ import annotations

import time

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
    started = time.perf_counter()
    for _ in range(200):
        assert media.make_mp4(4, 640, 360, False) is first
    assert time.perf_counter() - started < 0.5


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
