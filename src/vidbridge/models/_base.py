"""Vocabularies, the frozen base model, and sizes, ratios and resolutions."""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
AudioSupport = Literal["never", "optional", "always"]
Policy = Literal["nearest", "strict"]

# Named aspect ratios a request may ask for; a provider's odd sizes (1792x1024, 1584:672)
# are matched to the nearest of these within RATIO_TOLERANCE.
ASPECT_RATIOS: dict[str, float] = {
    "16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:3": 4 / 3, "3:4": 3 / 4,
    "3:2": 3 / 2, "2:3": 2 / 3, "4:5": 4 / 5, "5:4": 5 / 4, "21:9": 21 / 9, "9:21": 9 / 21,
}
RATIO_TOLERANCE = 0.03
RESOLUTION_PATTERN = r"^(\d{3,4}p|4k)$"
SIZE_PATTERN = re.compile(r"^([1-9]\d{1,4})x([1-9]\d{1,4})$")


class Frozen(BaseModel):
    # defer_build: validators are built on first use, which keeps `import vidbridge` light.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


# --- sizes, ratios, resolutions --------------------------------------------------------------

def parse_size(size: str) -> tuple[int, int]:
    """``"1280x720"`` -> ``(1280, 720)``; ValueError names the expected shape."""
    match = SIZE_PATTERN.match(size)
    if not match:
        raise ValueError(f"size must look like WIDTHxHEIGHT, e.g. '1280x720', not {size!r}")
    return int(match[1]), int(match[2])


def aspect_ratio_of(width: int, height: int) -> str | None:
    """The named aspect ratio within tolerance of width/height, or None."""
    ratio = width / height
    name, value = min(ASPECT_RATIOS.items(), key=lambda item: abs(math.log(item[1] / ratio)))
    return name if abs(value - ratio) / value <= RATIO_TOLERANCE else None


def resolution_of(width: int, height: int) -> str:
    """Resolution name of a frame size, by its short side: 1280x720 -> '720p', 3840x2160 -> '4k'."""
    short = min(width, height)
    return "4k" if short >= 2160 else f"{short}p"


def resolution_rank(resolution: str) -> int:
    """Lines of a resolution name, for ordering ('4k' counts as 2160)."""
    return 2160 if resolution == "4k" else int(resolution.rstrip("p"))
