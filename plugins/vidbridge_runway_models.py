"""Runway's capability tables (shared/reference/runway-gen4.md §1 and §3): data only.

Runway's ``ratio`` is the frame in pixels (``"1280:720"``), so our size ``"1280x720"`` maps to
it one to one. Prices are credits per second; 1 credit = US$0.01.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from vidbridge import ImageLimits, Lifecycle, ModelCapabilities, Price, Rule, RuleCondition
from vidbridge.models import aspect_ratio_of, resolution_of

CREDIT_USD = 0.01
GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
GEN4_TEXT_RATIOS = ("1280:720", "720:1280")
VEO_RATIOS = ("1280:720", "720:1280", "1920:1080", "1080:1920")


def size_of(ratio: str) -> str:
    """Runway ``"1280:720"`` -> our ``"1280x720"``."""
    return ratio.replace(":", "x")


def ratio_of(size: str) -> str:
    """Our ``"1280x720"`` -> Runway ``"1280:720"``."""
    return size.replace("x", ":")


def sizes_table(ratios: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{aspect_ratio: {resolution: "WxH"}}`` for Runway pixel ratios."""
    table: dict[str, dict[str, str]] = {}
    for ratio in ratios:
        width, height = (int(side) for side in ratio.split(":"))
        # gen3a_turbo's 1280:768 (5:3) is no named ratio: it keeps its reduced form.
        divisor = math.gcd(width, height)
        aspect = aspect_ratio_of(width, height) or f"{width // divisor}:{height // divisor}"
        table.setdefault(aspect, {})[resolution_of(width, height)] = size_of(ratio)
    return table


def credits(table: dict[str, dict[str, str]], rate: float) -> dict[str, float]:
    """One per-second credit rate for every resolution the table makes."""
    return {res: rate for by_res in table.values() for res in by_res}


def price(table: dict[str, dict[str, str]], rate: float,
          with_audio: float | None = None) -> Price:
    return Price(per_second=credits(table, rate),
                 with_audio=credits(table, with_audio) if with_audio is not None else {},
                 unit="credit", usd_per_unit=CREDIT_USD,
                 source="runway-gen4.md §1 (published per-model credit rates)")


# Data URIs must stay under 5 MiB *as a string*; this is the largest raw image whose longest
# prefix ("data:image/jpeg;base64,", 23 chars) plus base64 body fits (about 3.75 MB).
DATA_URI_LIMIT = 5 * 1024 * 1024
MAX_IMAGE_BYTES = (DATA_URI_LIMIT - 1 - 23) // 4 * 3
IMAGES = ImageLimits(mime_types=("image/jpeg", "image/png", "image/webp"),
                     max_bytes=MAX_IMAGE_BYTES, max_side=7999, min_aspect=0.5, max_aspect=2.0)

GEN4 = sizes_table(GEN4_RATIOS)
VEO = sizes_table(VEO_RATIOS)
TWO_TO_TEN = tuple(range(2, 11))
PROMPT_UNITS = 1000
COMMON: dict[str, Any] = dict(max_prompt_length=PROMPT_UNITS, image_limits=IMAGES,
                              supports_image=True)
VEO31: dict[str, Any] = dict(COMMON, durations=(4, 6, 8), default_duration=8, sizes=VEO,
                             audio="optional", supports_last_frame=True, supports_seed=True,
                             supports_negative_prompt=True, default_aspect_ratio="16:9")

MODELS: dict[str, ModelCapabilities] = {
    "gen4_turbo": ModelCapabilities(
        **COMMON, durations=TWO_TO_TEN, default_duration=5, sizes=GEN4,
        default_aspect_ratio="16:9", supports_text=False, supports_seed=True,
        price=price(GEN4, 5), label="Runway Gen-4 Turbo (image to video)"),
    "gen4.5": ModelCapabilities(
        **COMMON, durations=TWO_TO_TEN, default_duration=5, sizes=GEN4,
        default_aspect_ratio="16:9", supports_seed=True, price=price(GEN4, 12),
        rules=(Rule(when=RuleCondition(has_image=False),
                    sizes=tuple(size_of(ratio) for ratio in GEN4_TEXT_RATIOS),
                    reason="gen4.5 text-to-video makes only 1280:720 and 720:1280"),),
        label="Runway Gen-4.5"),
    # Price/audio pairing (20 vs 40, 10 vs 15 credits/s) is inferred by the reference from
    # "audio affects pricing" [UNVERIFIED].
    "veo3.1": ModelCapabilities(**VEO31, price=price(VEO, 20, with_audio=40),
                                label="Google Veo 3.1 via Runway"),
    "veo3.1_fast": ModelCapabilities(**VEO31, price=price(VEO, 10, with_audio=15),
                                     label="Google Veo 3.1 Fast via Runway"),
    # Dropped from the SDK in 5.14.0; whether the server still takes it, and whether its
    # audio is always on (no toggle, priced 40/s), are both [UNVERIFIED]. No date is known,
    # so it stays "available" with a note rather than an invented retirement date.
    "veo3": ModelCapabilities(
        **COMMON, durations=(8,), sizes=VEO, default_aspect_ratio="16:9", audio="always",
        supports_negative_prompt=True, price=price(VEO, 40),
        lifecycle=Lifecycle(successor="veo3.1", note="legacy: dropped from the runwayml SDK "
                            "in 5.14.0; the server may refuse it"),
        label="Google Veo 3 via Runway (legacy)"),
    "gen3a_turbo": ModelCapabilities(
        **COMMON, durations=(5, 10), sizes=sizes_table(("1280:768", "768:1280")),
        supports_text=False, supports_last_frame=True, supports_seed=True,
        price=price(sizes_table(("1280:768", "768:1280")), 5),
        lifecycle=Lifecycle(retired_on=date(2026, 7, 30), successor="gen4_turbo",
                            note="requests with this id now fail"),
        label="Runway Gen-3 Alpha Turbo (retired)"),
}
# Models whose body takes contentModeration (the SDK types give it to the gen4 family only).
MODERATED = frozenset({"gen4_turbo", "gen4.5"})
# Models whose promptText is required even with an image.
PROMPT_REQUIRED = frozenset({"gen4.5"})
PUBLIC_FIGURE_THRESHOLDS = ("auto", "low")
