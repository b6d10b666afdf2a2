"""Encode time of the simulator's test-card clips against the flat grey frames they replaced.

Both encode the same shapes with the same x264 settings family, alternating so machine noise
hits both alike; the cache is cleared before every card encode. The flat encoder is the
previous implementation (three solid frames, one per second, qp 51), kept here as the baseline.
Run: .venv/bin/python benchmarks/simulator_media.py [samples]
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from fractions import Fraction
from typing import Any

import av

from vidbridge.simulator import media

SHAPES = [(8, 1280, 720, True), (8, 1920, 1080, False), (4, 720, 1280, True)]
PROMPT = "A paper boat drifts down a rain-soaked street at dusk, neon reflections rippling"


def flat(seconds: float, width: int, height: int, audio: bool) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        video: Any = container.add_stream("libx264", rate=media.FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "qp": "51", "tune": "zerolatency"}
        sound: Any = None
        if audio:
            sound = container.add_stream("aac", rate=media.SAMPLE_RATE)
            sound.layout = "mono"
        frames = media._solid_frames(width, height)
        for index in range(round(seconds * media.FPS)):
            frame = frames[(index // media.FPS) % len(frames)]
            frame.pts, frame.time_base = index, Fraction(1, media.FPS)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            media._write_tone(container, sound, seconds)  # same audio cost on both sides
    return buffer.getvalue()


def card(seconds: float, width: int, height: int, audio: bool) -> bytes:
    media._encode_mp4.cache_clear()
    return media.make_mp4(seconds, width, height, audio, prompt=PROMPT, label="veo:veo-3.1")


def timed(encode: Any, shape: tuple[float, int, int, bool]) -> float:
    start = time.perf_counter()
    encode(*shape)
    return time.perf_counter() - start


def main(samples: int = 5) -> None:
    for shape in SHAPES:
        old, new = [], []
        for _ in range(samples):
            old.append(timed(flat, shape))
            new.append(timed(card, shape))
        o, n = statistics.median(old), statistics.median(new)
        seconds, width, height, audio = shape
        print(f"{seconds:g} s {width}x{height} audio={audio}: flat {o * 1000:.0f} ms, "
              f"test card {n * 1000:.0f} ms, ratio {n / o:.2f} (median of {samples})")
    media.make_mp4(8, 1280, 720, True, prompt=PROMPT, label="veo:veo-3.1")  # encodes once
    start = time.perf_counter()
    for _ in range(200):
        media.make_mp4(8, 1280, 720, True, prompt=PROMPT, label="veo:veo-3.1")
    print(f"200 more requests for that shape and prompt (cached): "
          f"{(time.perf_counter() - start) * 1000:.2f} ms in all")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
