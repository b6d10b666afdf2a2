"""Real media for the simulator: MP4 clips of an exact duration and frame size, plus stills.

Each clip is a test card a person recognises: colour bars, provider:model, size, duration,
the prompt (wrapped), a running timecode and a square crossing the frame, with a quiet
440 Hz tone when audio was asked. Pillow draws the card once per clip; each frame only
re-blits the timecode and the square into a copy of the card's luma plane, so encoding
stays about as fast as the flat frames were. PyAV (`vidbridge[media]`) encodes; without it
a small bundled clip stands in, so a minimal install still serves a playable file.
"""
from __future__ import annotations

import functools
import io
import math
import textwrap
import threading
from array import array
from fractions import Fraction
from importlib import resources
from typing import Any

FPS = 24  # every provider simulated here delivers 24 fps
SAMPLE_RATE = 48_000
TONE_HZ, TONE_LEVEL = 440.0, 0.05  # quiet: about -26 dBFS
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


def make_mp4(seconds: float, width: int, height: int, audio: bool, *, prompt: str | None = None,
             label: str = "") -> bytes:
    """An H.264 MP4 of `seconds` at `width`x`height`, 24 fps, with an AAC tone if `audio`;
    the frames are a test card naming `label` (provider:model) and showing `prompt`."""
    if seconds <= 0 or width <= 0 or height <= 0:
        raise ValueError(f"bad clip shape {seconds}s {width}x{height}")
    if not HAVE_AV:
        return fallback_clip()
    with _ENCODE_LOCK:
        return _encode_mp4(float(seconds), int(width), int(height), bool(audio),
                           (prompt or "")[:500], label)


async def make_mp4_async(seconds: float, width: int, height: int, audio: bool, *,
                         prompt: str | None = None, label: str = "") -> bytes:
    """`make_mp4` off the event loop: a 1080p encode takes a third of a second."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(lambda: make_mp4(seconds, width, height, audio,
                                                    prompt=prompt, label=label))


async def job_clip(job: Any) -> bytes:
    """The clip of a simulated job (its shape, prompt and provider:model)."""
    return await make_mp4_async(job.seconds, job.width, job.height, job.audio,
                                prompt=job.prompt, label=f"{job.provider}:{job.model}")


def probe_mp4(data: bytes) -> tuple[float, int, int] | None:
    """(seconds, width, height) of a video's bytes, or None when PyAV is missing or cannot
    read them (a video-to-video output follows its input's shape)."""
    if not HAVE_AV:
        return None
    try:
        with _av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            seconds = (float(stream.duration * stream.time_base) if stream.duration
                       else float(container.duration or 0) / 1_000_000)
            width, height = stream.codec_context.width, stream.codec_context.height
    except Exception:  # noqa: BLE001 - any unreadable input is "unknown shape"
        return None
    if seconds <= 0 or width <= 0 or height <= 0:
        return None
    return seconds, width, height


def fallback_clip() -> bytes:
    """The bundled clip served when PyAV is missing."""
    return resources.files(__package__).joinpath(FALLBACK_CLIP).read_bytes()


# 200 jobs of one shape and prompt must encode once: clips are immutable bytes, so share them.
@functools.lru_cache(maxsize=32)
def _encode_mp4(seconds: float, width: int, height: int, audio: bool, prompt: str,
                label: str) -> bytes:
    assert _av is not None

    buffer = io.BytesIO()
    with _av.open(buffer, mode="w", format="mp4") as container:
        video: Any = container.add_stream("libx264", rate=FPS)
        # H.264 with 4:2:0 needs even dimensions; odd sizes are not asked by any provider.
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        # Speed over quality: a constant quantizer skips rate control (about twice as fast as
        # crf at 1080p); qp 36 keeps the card's text readable.
        video.options = {"preset": "ultrafast", "qp": "36", "tune": "zerolatency"}
        video.codec_context.gop_size = FPS * 10
        sound: Any = None
        if audio:
            sound = container.add_stream("aac", rate=SAMPLE_RATE)
            sound.layout = "mono"
            sound.bit_rate = 32_000
        card = _Card(width, height, seconds, audio, prompt, label)
        for index in range(round(seconds * FPS)):
            frame = card.frame(index)
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            _write_tone(container, sound, seconds)
    return buffer.getvalue()


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType: scalable
    except TypeError:  # pragma: no cover - old Pillow: the fixed bitmap font
        return ImageFont.load_default()


class _Card:
    """The still card (drawn once with Pillow) and the per-frame overlays, in YUV planes."""

    BARS = ((192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192),
            (192, 0, 0), (0, 0, 192))

    def __init__(self, width: int, height: int, seconds: float, audio: bool, prompt: str,
                 label: str) -> None:
        from PIL import Image, ImageDraw

        assert _av is not None
        self.width, self.height, self.seconds = width, height, seconds
        unit = max(8, min(width, height) // 24)
        image = Image.new("RGB", (width, height), (24, 28, 38))
        draw = ImageDraw.Draw(image)
        bar_w, bar_h = width / len(self.BARS), height // 8
        for i, colour in enumerate(self.BARS):
            draw.rectangle((round(i * bar_w), 0, round((i + 1) * bar_w), bar_h), fill=colour)
        big, small = _font(round(unit * 1.3)), _font(unit)
        y = bar_h + unit
        draw.text((unit, y), label or "vidbridge simulator", font=big, fill=(255, 255, 255))
        y += round(unit * 1.9)
        shape = f"{width}x{height} · {seconds:g} s · {FPS} fps · " + (
            "audio: 440 Hz tone" if audio else "no audio")
        draw.text((unit, y), shape, font=small, fill=(170, 200, 255))
        y += round(unit * 1.8)
        columns = max(12, int((width - 2 * unit) / (unit * 0.55)))
        lines = textwrap.wrap(prompt or "(no prompt)", columns)
        room = max(1, (height - y - 4 * unit) // round(unit * 1.3))
        shown = lines[:room]
        if len(lines) > room:  # a prompt longer than the card: say it goes on
            shown[-1] = shown[-1][:-1] + "…"
        for line in shown:
            draw.text((unit, y), line, font=small, fill=(230, 230, 230))
            y += round(unit * 1.3)
        # The track the square runs along and the timecode box: neutral grey, so the
        # overlays change only luma and the chroma planes stay the card's.
        self.track = (unit, height - 2 * unit, width - unit, height - unit)
        draw.rectangle(self.track, fill=(64, 64, 64))
        self.clock_xy = (width - 7 * unit, height - 4 * unit)
        frame = _av.VideoFrame.from_image(image).reformat(format="yuv420p")
        self.planes = [bytes(plane) for plane in frame.planes]
        self.stride = frame.planes[0].line_size
        self.glyphs = _glyphs(small)
        self.unit = unit

    def frame(self, index: int) -> Any:
        assert _av is not None
        luma = bytearray(self.planes[0])
        x0, y0, x1, y1 = self.track
        side = y1 - y0
        span = max(1, x1 - x0 - side)
        total = max(1, round(self.seconds * FPS) - 1)
        left = x0 + round(span * index / total)
        white = b"\xeb" * side  # video-range white
        for row in range(y0, y1):
            start = row * self.stride + left
            luma[start:start + side] = white
        seconds, frames = divmod(index, FPS)
        self._blit(luma, f"{seconds // 60:02d}:{seconds % 60:02d}:{frames:02d}")
        frame = _av.VideoFrame(self.width, self.height, "yuv420p")
        for plane, data in zip(frame.planes, (luma, *self.planes[1:]), strict=True):
            plane.update(data)
        return frame

    def _blit(self, luma: bytearray, text: str) -> None:
        x, y = self.clock_xy
        for char in text:
            rows, glyph_w = self.glyphs[char]
            for dy, row in enumerate(rows):
                start = (y + dy) * self.stride + x
                if start >= 0 and start + glyph_w <= len(luma):
                    luma[start:start + glyph_w] = row
            x += glyph_w


def _glyphs(font: Any) -> dict[str, tuple[list[bytes], int]]:
    """Digit and colon bitmaps as luma rows (video range), white on black, drawn once."""
    from PIL import Image, ImageDraw

    left, top, right, bottom = font.getbbox("0:")
    width, height = max(1, (right - left) // 2 + 2), bottom + 2
    out = {}
    for char in "0123456789:":
        image = Image.new("L", (width, height), 0)
        ImageDraw.Draw(image).text((0, 0), char, font=font, fill=255)
        data = image.tobytes()
        rows = [bytes(16 + value * 219 // 255 for value in data[r * width:(r + 1) * width])
                for r in range(height)]
        out[char] = (rows, width)
    return out


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


@functools.lru_cache(maxsize=1)
def _tone() -> bytes:
    """Two seconds of the quiet tone as float32 samples (440 Hz repeats every second, so
    any frame starting within the first second reads straight from this buffer)."""
    step = 2 * math.pi * TONE_HZ / SAMPLE_RATE
    return array("f", (TONE_LEVEL * math.sin(step * i)
                       for i in range(2 * SAMPLE_RATE))).tobytes()


def _write_tone(container: Any, sound: Any, seconds: float) -> None:
    assert _av is not None
    frame_size = sound.codec_context.frame_size or 1024
    total = round(seconds * SAMPLE_RATE)
    tone = _tone()
    pts = 0
    while pts < total:
        count = min(frame_size, total - pts)
        frame = _av.AudioFrame(format="fltp", layout="mono", samples=count)
        offset = (pts % SAMPLE_RATE) * 4
        chunk = tone[offset:offset + count * 4]
        frame.planes[0].update(chunk + bytes(frame.planes[0].buffer_size - len(chunk)))
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
