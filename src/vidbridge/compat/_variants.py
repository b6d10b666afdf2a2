"""The ``thumbnail`` and ``spritesheet`` variants, cut from the finished MP4 on first ask.

OpenAI served a WebP thumbnail and a JPEG spritesheet (reference §3.5, media types [3P]);
providers behind a route make only the video, so we derive both locally with PyAV and
Pillow (the ``media`` extra) and keep them beside the video until it expires.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import _errors as e

FORMATS = {"thumbnail": ("webp", "WEBP", "image/webp"),
           "spritesheet": ("jpg", "JPEG", "image/jpeg")}
SPRITE_FRAMES = 9  # a 3x3 grid
SPRITE_WIDTH = 320  # each cell's width; height keeps the video's ratio


def still(video: Path, variant: str) -> tuple[Path, str]:
    """(image file, media type) for ``variant`` of ``video``; made once, then reused."""
    suffix, fmt, media_type = FORMATS[variant]
    target = video.with_name(f"{video.stem}.{variant}.{suffix}")
    if not target.exists():
        frames = _frames(video, 1 if variant == "thumbnail" else SPRITE_FRAMES)
        image = frames[0] if variant == "thumbnail" else _grid(frames)
        partial = target.with_name(target.name + ".part")
        image.save(partial, fmt)
        partial.replace(target)
    return target, media_type


def _frames(video: Path, count: int) -> list[Any]:
    try:
        import av
    except ImportError:  # pragma: no cover - the media extra is missing
        raise e.InternalServerError("thumbnails need PyAV: pip install 'vidbridge[media]'",
                                    code="variant_unavailable") from None
    with av.open(str(video)) as container:
        decoded = [frame.to_image()  # type: ignore[no-untyped-call]
                   for frame in container.decode(video=0)]
    if not decoded:
        raise e.NotFoundError(f"{video.name} has no frames to show.")
    step = max(1, len(decoded) // count)
    return decoded[::step][:count]


def _grid(frames: list[Any]) -> Any:
    from PIL import Image

    width, height = frames[0].size
    cell = (SPRITE_WIDTH, max(1, round(SPRITE_WIDTH * height / width)))
    columns = 3
    rows = -(-len(frames) // columns)
    sheet = Image.new("RGB", (cell[0] * columns, cell[1] * rows))
    for index, frame in enumerate(frames):
        sheet.paste(frame.resize(cell), ((index % columns) * cell[0], (index // columns) * cell[1]))
    return sheet
