"""Frames and inputs of the Kling simulator: the CDN account, text-to-video aspect ratios, and
how an input image (raw base64 or a URL) sets the output frame. Shared by kling_api and
kling_omni (simulator-internal; no adapter code)."""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Any

ACCOUNT = "4821937705"
T2V_FRAMES = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _image_size(value: Any) -> tuple[int, int] | None:
    """(width, height) of raw base64 PNG data, 16:9 for other decodable base64, else None.

    Only PNG's header is read (no image library in the simulator): enough to frame the
    output like the input for the usual PNG fixtures.
    """
    if not isinstance(value, str) or value.startswith("data:"):
        return None  # Kling wants raw base64, without a data: prefix
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) >= 24:
        width, height = struct.unpack(">II", raw[16:24])
        if width and height:
            return width, height
    return (16, 9) if raw else None


def _frame(across: int, down: int, short: int) -> tuple[int, int]:
    """A frame with the aspect across:down whose short side is `short`, even dimensions."""
    if across >= down:
        return _even(short * across / down), short
    return short, _even(short * down / across)


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)
