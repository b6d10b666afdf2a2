"""One small JPEG per finished video for the dashboard, cut from the MP4 with PyAV.

Only the frames up to about one second in are decoded (the whole clip would take seconds
per video), the image is made once and kept beside the video, so the gateway's sweep
removes it with the video. Needs the ``media`` extra.
"""

from __future__ import annotations

from pathlib import Path

WIDTH = 240
AT_SECONDS = 1.0  # past a fade-in, and cheap to reach


def thumbnail(video: Path) -> Path:
    """The cached thumbnail of ``video`` (made on first ask)."""
    target = video.with_name(f"{video.stem}.dashboard.jpg")
    if target.exists():
        return target
    import av

    image = None
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            image = frame.to_image()  # type: ignore[no-untyped-call]
            if frame.time is not None and frame.time >= AT_SECONDS:
                break
    if image is None:
        raise ValueError(f"{video.name} has no video frames")
    height = max(1, round(WIDTH * image.height / image.width))
    partial = target.with_name(target.name + ".part")
    image.convert("RGB").resize((WIDTH, height)).save(partial, "JPEG", quality=82)
    partial.replace(target)  # readers never see half a file
    return target
