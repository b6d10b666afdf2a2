"""Real media for the simulator: MP4 clips of an exact duration and frame size, plus stills.

PyAV (`vidbridge[media]`) encodes them; without it a small bundled clip stands in, so the
simulator still serves a playable file (of the wrong shape) on a minimal install.
"""
from __future__ import annotations

import functools
import io
import threading
from fractions import Fraction
from importlib import resources
from typing import Any

FPS = 24  # every provider simulated here delivers 24 fps
SAMPLE_RATE = 48_000
FALLBACK_CLIP = "fallback.mp4"
# Encodes run in worker threads; one at a time, so a burst of same-shape jobs encodes once.
_ENCODE_LOCK = threading.Lock()

_av: Any
try:  # av is an optional extra: import it once, here, and nowhere else
    import av as _av

    HAVE_AV = True
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    _av = None
    HAVE_AV = False


def make_mp4(seconds: float, width: int, height: int, audio: bool) -> bytes:
    """An H.264 MP4 of `seconds` at `width`x`height`, 24 fps, with an AAC track if `audio`."""
    if seconds <= 0 or width <= 0 or height <= 0:
        raise ValueError(f"bad clip shape {seconds}s {width}x{height}")
    if not HAVE_AV:
        return fallback_clip()
    with _ENCODE_LOCK:
        return _encode_mp4(float(seconds), int(width), int(height), bool(audio))


async def make_mp4_async(seconds: float, width: int, height: int, audio: bool) -> bytes:
    """`make_mp4` off the event loop: a 1080p encode takes a third of a second."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(make_mp4, seconds, width, height, audio)


def fallback_clip() -> bytes:
    """The bundled clip served when PyAV is missing."""
    return resources.files(__package__).joinpath(FALLBACK_CLIP).read_bytes()


# 200 jobs of one shape must encode once: clips are immutable bytes, so share them.
@functools.lru_cache(maxsize=32)
def _encode_mp4(seconds: float, width: int, height: int, audio: bool) -> bytes:
    assert _av is not None

    buffer = io.BytesIO()
    with _av.open(buffer, mode="w", format="mp4") as container:
        video: Any = container.add_stream("libx264", rate=FPS)
        # H.264 with 4:2:0 needs even dimensions; odd sizes are not asked by any provider.
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        # Speed over quality: the bytes only have to be a valid file of the right shape, and a
        # constant quantizer skips rate control (about twice as fast as crf at 1080p).
        video.options = {"preset": "ultrafast", "qp": "51", "tune": "zerolatency"}
        video.codec_context.gop_size = FPS * 10
        sound: Any = None
        if audio:
            sound = container.add_stream("aac", rate=SAMPLE_RATE)
            sound.layout = "mono"
            sound.bit_rate = 16_000
        n_frames = round(seconds * FPS)
        frames = _solid_frames(width, height)
        for index in range(n_frames):
            # A few distinct frames (colour changes once a second) keep the file a real
            # moving picture while x264 codes the repeats as near-empty P-frames.
            frame = frames[(index // FPS) % len(frames)]
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            _write_silence(container, sound, seconds)
    return buffer.getvalue()


def _solid_frames(width: int, height: int) -> list[Any]:
    assert _av is not None
    frames = []
    for luma in (60, 120, 180):
        frame = _av.VideoFrame(width, height, "yuv420p")
        # Fill planes directly: building an RGB array per frame would cost more than encoding.
        for plane, value in zip(frame.planes, (luma, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frames.append(frame)
    return frames


def _write_silence(container: Any, sound: Any, seconds: float) -> None:
    assert _av is not None
    frame_size = sound.codec_context.frame_size or 1024
    total = round(seconds * SAMPLE_RATE)
    pts = 0
    while pts < total:
        count = min(frame_size, total - pts)
        frame = _av.AudioFrame(format="fltp", layout="mono", samples=count)
        frame.planes[0].update(bytes(frame.planes[0].buffer_size))
        frame.sample_rate = SAMPLE_RATE
        frame.pts = pts
        frame.time_base = Fraction(1, SAMPLE_RATE)
        for packet in sound.encode(frame):
            container.mux(packet)
        pts += count
    for packet in sound.encode():
        container.mux(packet)


@functools.lru_cache(maxsize=16)
def make_still(width: int, height: int, fmt: str) -> bytes:
    """One solid frame as an image: `fmt` is "webp" (thumbnail) or "jpeg" (spritesheet)."""
    if not HAVE_AV:
        return b""
    assert _av is not None
    codec, pix_fmt, muxer = {
        "webp": ("libwebp", "yuv420p", "webp"),
        "jpeg": ("mjpeg", "yuvj420p", "mjpeg"),
    }[fmt]
    buffer = io.BytesIO()
    with _av.open(buffer, mode="w", format=muxer) as container:
        stream: Any = container.add_stream(codec, rate=1)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        frame = _solid_frames(width, height)[1].reformat(format=pix_fmt)
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
