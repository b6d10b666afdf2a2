"""Runway's capability tables (docs/reference/runway.md): data only.

Every model the runwayml 5.24.0 SDK's ``image_to_video`` / ``text_to_video`` create params
accept has a row; Runway's own models and the partner models it resells share one request
format but differ in which fields they take. ``Spec.ratio`` says how a row sends its frame:

- ``pixel``: ``ratio`` is the frame in pixels (``"1280:720"``), our size one to one;
- ``named``: ``ratio`` is an aspect name (``"16:9"``) and ``resolution`` a tier (``"768p"``);
- ``resolution``: only ``resolution`` is sent (the frame follows the input image).

``image_ratio`` says what an image request sends instead (``same``, ``auto`` for
``auto_<res>``, ``resolution`` or ``none``). A ``video`` row (``aleph2``) is on
``POST /v1/video_to_video``: it edits ``VideoRequest.source_video`` (``videoUri``) and sends no
ratio or duration, since its output follows the input video. Prices are credits per second;
1 credit = US$0.01.
Where no source gives a value the row says so (``[UNVERIFIED]`` / ``[3P]`` in ``source``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from vidbridge import ImageLimits, Lifecycle, ModelCapabilities, Price, Rule, RuleCondition
from vidbridge.models import AudioSupport, aspect_ratio_of, resolution_of

CREDIT_USD = 0.01
READ_ON = date(2026, 12, 2)
SDK = "runwayml 5.24.0 types/{image,text}_to_video_create_params.py"
V2V_SDK = ("runwayml 5.24.0 types/video_to_video_create_params.py (sdk-python "
           "3114b00af57ff9bd26c629cacc81f9903b1be513)")
# gen4_aleph's literal ratio set (shared/reference/runway-gen4.md §1): aleph2's output follows
# its input video, so these frames only stand for "whatever the source is" [nominal].
ALEPH_RATIOS = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672",
                "848:480", "640:480")
GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
GEN4_TEXT_RATIOS = ("1280:720", "720:1280")
VEO_RATIOS = ("1280:720", "720:1280", "1920:1080", "1080:1920")
KLING_STD = ("1280:720", "720:1280", "960:960")
KLING_PRO = ("1920:1080", "1080:1920", "1440:1440")
KLING_4K = ("3840:2160", "2160:3840", "2880:2880")
SEEDANCE_720 = ("992:432", "864:496", "752:560", "640:640", "560:752", "496:864", "1470:630",
                "1280:720", "1112:834", "960:960", "834:1112", "720:1280")
SEEDANCE_FULL = SEEDANCE_720 + ("2206:946", "1920:1080", "1664:1248", "1440:1440",
                                "1248:1664", "1080:1920", "3840:1646", "3840:2160",
                                "3840:2880", "3840:3840", "2880:3840", "2160:3840")
SEEDANCE_25 = ("992:432", "854:480", "752:560", "640:640", "560:752", "480:854", "1470:630",
               "1280:720", "1112:834", "960:960", "834:1112", "720:1280", "2206:946",
               "1920:1080", "1664:1248", "1440:1440", "1248:1664", "1080:1920")
WAN_RATIOS = ("832:480", "720:544", "624:624", "544:720", "480:832", "1280:720", "1104:832",
              "960:960", "832:1104", "720:1280", "1920:1080", "1648:1248", "1440:1440",
              "1248:1648", "1080:1920")
OMNI_11 = ("640:360", "360:640", "1280:720", "720:1280", "1920:1080", "1080:1920",
           "3840:2160", "2160:3840")
HAPPYHORSE_TEXT = ("1280:720", "720:1280", "960:960", "1108:832", "832:1108", "1920:1080",
                   "1080:1920", "1440:1440", "1662:1248", "1248:1662")
GROK_LITE_TEXT = ("848:480", "480:848", "480:480", "640:480", "480:640", "720:480", "480:720",
                  "1280:720", "720:1280", "720:720", "960:720", "720:960", "1088:720",
                  "720:1088", "1904:1072", "1072:1904", "1424:1424", "1648:1232",
                  "1232:1648", "1744:1152", "1152:1744")
KLING4_TEXT = ("1280:720", "720:1280", "940:940", "1460:624", "1920:1080", "1080:1920",
               "1440:1440", "2200:940")
KLING25_TEXT = ("1920:1080", "1440:1440", "1080:1920", "1280:720", "720:720", "720:1280")
TWO_TO_TEN = tuple(range(2, 11))
THREE_TO_FIFTEEN = tuple(range(3, 16))
THREE_TO_TEN = tuple(range(3, 11))
FOUR_TO_FIFTEEN = tuple(range(4, 16))
NO_RANGE = (5,)  # SDK types say ``duration: int`` with no range: 5 s, the common default


def size_of(ratio: str) -> str:
    """Runway ``"1280:720"`` -> our ``"1280x720"``."""
    return ratio.replace(":", "x")


def ratio_of(size: str) -> str:
    """Our ``"1280x720"`` -> Runway ``"1280:720"``."""
    return size.replace("x", ":")


def sizes_table(ratios: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{aspect_ratio: {resolution: "WxH"}}`` for Runway pixel ratios (first one wins)."""
    table: dict[str, dict[str, str]] = {}
    for ratio in ratios:
        width, height = (int(side) for side in ratio.split(":"))
        divisor = math.gcd(width, height)
        aspect = aspect_ratio_of(width, height) or f"{width // divisor}:{height // divisor}"
        table.setdefault(aspect, {}).setdefault(resolution_of(width, height), size_of(ratio))
    return table


def nominal_sizes(aspects: Iterable[str], tiers: Iterable[int]) -> dict[str, dict[str, str]]:
    """Frames for models that take an aspect name and a tier: short side = tier, long side
    rounded to even. Nominal [UNVERIFIED]: the SDK gives no pixel sizes for these."""
    table: dict[str, dict[str, str]] = {}
    for aspect in aspects:
        w, h = (int(part) for part in aspect.split(":"))
        for tier in tiers:
            long_side = round(tier * max(w, h) / min(w, h) / 2) * 2
            size = f"{long_side}x{tier}" if w >= h else f"{tier}x{long_side}"
            table.setdefault(aspect, {})[f"{tier}p"] = size
    return table


# Data URIs must stay under 5 MiB *as a string*; this is the largest raw image whose longest
# prefix ("data:image/jpeg;base64,", 23 chars) plus base64 body fits (about 3.75 MB).
DATA_URI_LIMIT = 5 * 1024 * 1024
MAX_IMAGE_BYTES = (DATA_URI_LIMIT - 1 - 23) // 4 * 3
IMAGES = ImageLimits(mime_types=("image/jpeg", "image/png", "image/webp"),
                     max_bytes=MAX_IMAGE_BYTES, max_side=7999, min_aspect=0.5, max_aspect=2.0)
PROMPT_UNITS = 1000
# videoUri as a data URI: "up to 16MB" (SDK docstring). Read the smaller way, as the whole
# string and 10**6 bytes per MB [UNVERIFIED: MiB or MB, string or decoded bytes].
MAX_VIDEO_DATA_URI = 16 * 1000 * 1000
VIDEO_MIME = "video/mp4"  # the SDK's example data URI; other containers unverified


@dataclass(frozen=True)
class Spec:
    """One Runway model: what it accepts and how its body is shaped."""

    text_ratios: tuple[str, ...]  # () : no text-to-video
    image_ratios: tuple[str, ...] | None = None  # None: same as text_ratios
    durations: tuple[int, ...] = NO_RANGE
    default_duration: int = 5
    audio: AudioSupport = "never"
    last_frame: bool = False
    seed: bool = False
    negative: bool = False
    prompt_units: int | None = None  # promptText limit in UTF-16 code units
    prompt_required: bool = False  # promptText even with an image
    ratio: Literal["pixel", "named", "resolution"] = "pixel"
    image_ratio: Literal["same", "auto", "resolution", "none"] = "same"
    tiers: tuple[int, ...] = ()  # named/resolution models: the tiers (lines) tabled
    wire_tiers: tuple[str, ...] = ()  # the ``resolution`` values the SDK lists
    auto_tiers: tuple[str, ...] = ("480p", "720p", "1080p")  # ``auto_<tier>`` ratio values
    credits: float | None = None  # credits per second; None: not published in sources read
    credits_audio: float | None = None
    credits_by_res: dict[str, float] = field(default_factory=dict)
    moderation: bool = False  # contentModeration passthrough
    image: bool = True  # takes promptImage (image_to_video)
    video: bool = False  # video_to_video: edits a source video (videoUri)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    label: str = ""
    source: str = SDK

    @property
    def all_ratios(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.text_ratios + (self.image_ratios or ())))


def _sizes(spec: Spec) -> dict[str, dict[str, str]]:
    if spec.ratio == "pixel" and spec.all_ratios:
        return sizes_table(spec.all_ratios)
    aspects = spec.text_ratios or ("16:9", "9:16", "1:1")
    return nominal_sizes(aspects, spec.tiers)


def capabilities(spec: Spec) -> ModelCapabilities:
    sizes = _sizes(spec)
    resolutions = {res for by_res in sizes.values() for res in by_res}
    per_second = {res: spec.credits_by_res.get(res, spec.credits) for res in resolutions
                  if spec.credits_by_res.get(res, spec.credits) is not None}
    with_audio = ({res: spec.credits_audio for res in resolutions}
                  if spec.credits_audio is not None else {})
    rules: tuple[Rule, ...] = ()
    if spec.image_ratios is not None and spec.text_ratios and set(spec.text_ratios) < set(
            spec.image_ratios):
        rules = (Rule(when=RuleCondition(has_image=False),
                      sizes=tuple(size_of(ratio) for ratio in spec.text_ratios),
                      reason=f"text-to-video makes only {', '.join(spec.text_ratios)}"),)
    return ModelCapabilities(
        durations=spec.durations, default_duration=spec.default_duration, sizes=sizes,
        default_aspect_ratio="16:9" if "16:9" in sizes else None, audio=spec.audio,
        supports_text=bool(spec.text_ratios), supports_image=spec.image,
        video_input=spec.video,
        supports_last_frame=spec.last_frame, supports_seed=spec.seed,
        supports_negative_prompt=spec.negative, max_prompt_length=spec.prompt_units,
        image_limits=IMAGES, rules=rules,
        price=Price(per_second=per_second, with_audio=with_audio, unit="credit",
                    usd_per_unit=CREDIT_USD,
                    source=("credits/s as in docs/reference/runway.md" if per_second
                            else "not published in the sources read [UNVERIFIED]")),
        lifecycle=spec.lifecycle, label=spec.label, source=spec.source, verified_on=READ_ON)


SDK_RANGE = SDK + " (duration range [UNVERIFIED]: bare int in the SDK)"
# Table order is the order tools (and the contract suite) try models in.
SPECS: dict[str, Spec] = {
    "gen4_turbo": Spec((), GEN4_RATIOS, TWO_TO_TEN, seed=True, credits=5,
                       prompt_units=PROMPT_UNITS, moderation=True,
                       label="Runway Gen-4 Turbo (image to video)"),
    "gen4.5": Spec(GEN4_TEXT_RATIOS, GEN4_RATIOS, TWO_TO_TEN, seed=True, credits=12,
                   prompt_units=PROMPT_UNITS, prompt_required=True, moderation=True,
                   label="Runway Gen-4.5"),
    # Price/audio pairing (20 vs 40, 10 vs 15 credits/s) is inferred from "audio inclusion
    # affects pricing" [UNVERIFIED].
    "veo3.1": Spec(VEO_RATIOS, None, (4, 6, 8), 8, "optional", last_frame=True, seed=True,
                   negative=True, prompt_units=PROMPT_UNITS, credits=20, credits_audio=40,
                   label="Google Veo 3.1 via Runway"),
    "veo3.1_fast": Spec(VEO_RATIOS, None, (4, 6, 8), 8, "optional", last_frame=True,
                        seed=True, negative=True, prompt_units=PROMPT_UNITS, credits=10,
                        credits_audio=15, label="Google Veo 3.1 Fast via Runway"),
    "kling3.0_standard": Spec(KLING_STD, None, THREE_TO_FIFTEEN, audio="optional",
                              last_frame=True, credits=9, credits_audio=13,
                              label="Kling 3.0 Standard via Runway",
                              source=SDK + "; 3-15 s from the multiPrompt total; credits "
                              "9/13 from a third-party cost table marked provisional [3P]"),
    "kling3.0_pro": Spec(KLING_PRO, None, THREE_TO_FIFTEEN, audio="optional", last_frame=True,
                         credits=12, credits_audio=17, label="Kling 3.0 Pro via Runway",
                         source=SDK + "; 3-15 s from the multiPrompt total; credits 12/17 "
                         "from a third-party cost table marked provisional [3P]"),
    "kling3.0_4k": Spec(KLING_4K, None, THREE_TO_FIFTEEN, audio="optional", last_frame=True,
                        label="Kling 3.0 4K via Runway",
                        source=SDK + "; 3-15 s from the multiPrompt total"),
    "klingO3_standard": Spec(KLING_STD, None, THREE_TO_FIFTEEN, audio="optional",
                             last_frame=True, label="Kling O3 Standard via Runway",
                             source=SDK + "; 3-15 s from the multiPrompt total"),
    "klingO3_pro": Spec(KLING_PRO, None, THREE_TO_FIFTEEN, audio="optional", last_frame=True,
                        label="Kling O3 Pro via Runway",
                        source=SDK + "; 3-15 s from the multiPrompt total"),
    "klingO3_4k": Spec(KLING_4K, None, THREE_TO_FIFTEEN, audio="optional", last_frame=True,
                       label="Kling O3 4K via Runway",
                       source=SDK + "; 3-15 s from the multiPrompt total"),
    "kling2.5_turbo_pro": Spec(KLING25_TEXT, None, (5, 10), last_frame=True,
                               prompt_required=True, image_ratio="none",
                               label="Kling 2.5 Turbo Pro via Runway"),
    "kling_4": Spec(KLING4_TEXT, None, NO_RANGE, last_frame=True, image_ratio="auto",
                    auto_tiers=("720p", "1080p"),
                    label="Kling 4 via Runway", source=SDK_RANGE),
    "seedance2": Spec(SEEDANCE_FULL, None, FOUR_TO_FIFTEEN, audio="optional",
                      last_frame=True, seed=True, prompt_units=3500, credits=36,
                      label="ByteDance Seedance 2.0 via Runway",
                      source=SDK + "; up to 15 s and 36 credits/s: runwayml/skills (Runway); "
                      "4 s minimum: useapi.net [3P]"),
    "seedance2_fast": Spec(SEEDANCE_720, None, FOUR_TO_FIFTEEN, audio="optional",
                           last_frame=True, seed=True, prompt_units=3500,
                           label="ByteDance Seedance 2.0 Fast via Runway",
                           source=SDK + "; durations as seedance2 [3P]"),
    "seedance2_mini": Spec(SEEDANCE_720, None, FOUR_TO_FIFTEEN, audio="optional",
                           last_frame=True, seed=True, prompt_units=3500,
                           label="ByteDance Seedance 2.0 Mini via Runway",
                           source=SDK + "; durations as seedance2 [3P]"),
    "seedance2_5": Spec(SEEDANCE_25, None, NO_RANGE, audio="optional", last_frame=True,
                        seed=True, prompt_units=15000,
                        label="ByteDance Seedance 2.5 via Runway",
                        source=SDK + " (duration: only the documented default, 5 s)"),
    "hailuo3": Spec(("21:9", "16:9", "4:3", "1:1", "3:4", "9:16"), None, NO_RANGE,
                    last_frame=True, prompt_required=True, ratio="named", tiers=(768,),
                    wire_tiers=("768p",),
                    label="MiniMax Hailuo 3.0 via Runway",
                    source=SDK_RANGE + "; 768p frames nominal; the 2k tier is not tabled"),
    "h3_max": Spec(("16:9",), None, NO_RANGE, last_frame=True, seed=True,
                   prompt_required=True, ratio="resolution", image_ratio="resolution",
                   tiers=(480, 768), wire_tiers=("480p", "768p"),
                   label="MiniMax H3 Max via Runway",
                   source=SDK_RANGE + "; no ratio field: 16:9 frames nominal"),
    "wan3": Spec(WAN_RATIOS, None, NO_RANGE, audio="optional", last_frame=True,
                 prompt_required=True, image_ratio="auto", label="Wan 3 via Runway",
                 source=SDK_RANGE),
    "wan3_prime": Spec(WAN_RATIOS, None, NO_RANGE, audio="optional", last_frame=True,
                       prompt_required=True, image_ratio="auto",
                       label="Wan 3 Prime via Runway", source=SDK_RANGE),
    "gemini_omni_flash": Spec(("1280:720", "720:1280"), None, THREE_TO_TEN,
                              label="Google Gemini Omni Flash via Runway"),
    "gemini_omni_flash_1.1": Spec(OMNI_11, None, THREE_TO_TEN, last_frame=True,
                                  prompt_required=True,
                                  label="Google Gemini Omni Flash 1.1 via Runway"),
    "happyhorse_1_0": Spec(HAPPYHORSE_TEXT, None, NO_RANGE, prompt_units=2500,
                           image_ratio="resolution", wire_tiers=("720p", "1080p"),
                           credits_by_res={"720p": 15, "1080p": 30},
                           label="HappyHorse 1.0 via Runway",
                           source=SDK_RANGE + "; credits 15/30 by tier from a third-party "
                           "cost table [3P]"),
    "grok_imagine_1_5": Spec(("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"), None,
                             NO_RANGE, ratio="named", image_ratio="resolution",
                             tiers=(480, 720, 1080), wire_tiers=("480p", "720p", "1080p"),
                             label="xAI Grok Imagine 1.5 via Runway",
                             source=SDK_RANGE + "; frames nominal"),
    "grok_imagine_1_5_lite": Spec(GROK_LITE_TEXT, None, NO_RANGE, image_ratio="auto",
                                  label="xAI Grok Imagine 1.5 Lite via Runway",
                                  source=SDK_RANGE),
    # Video to video. The SDK gives the body only; durations (2-30 s of input, the output
    # follows it) and 28 credits/s come from a third-party cost plan citing Runway's API
    # changelog and pricing pages [3P]; the 1000-unit prompt limit is gen4_aleph's (the SDK
    # states none for aleph2) [UNVERIFIED].
    "aleph2": Spec((), ALEPH_RATIOS, tuple(range(2, 31)), seed=True, credits=28,
                   prompt_units=PROMPT_UNITS, moderation=True, image=False, video=True,
                   label="Runway Aleph 2 (video to video)",
                   source=V2V_SDK + "; 2-30 s and 28 credits/s [3P]; prompt limit "
                   "[UNVERIFIED]; frames nominal (follow the input video)"),
    # veo3 left the SDK in 5.14.0 (5.13.0, 2026-07-27, still had it); no retirement date is
    # published in the sources read, so it is withdrawn without one.
    "veo3": Spec(VEO_RATIOS, None, (8,), 8, "always", negative=True, credits=40,
                 lifecycle=Lifecycle(withdrawn=True, successor="veo3.1",
                                     note="dropped from the runwayml SDK in 5.14.0"),
                 label="Google Veo 3 via Runway (retired)",
                 source="runwayml 5.13.0 types (last SDK with veo3); absent from 5.14.0+"),
    "gen3a_turbo": Spec((), ("1280:768", "768:1280"), (5, 10), last_frame=True, seed=True,
                        credits=5,
                        lifecycle=Lifecycle(retired_on=date(2026, 7, 30),
                                            successor="gen4_turbo",
                                            note="requests with this id now fail"),
                        label="Runway Gen-3 Alpha Turbo (retired)",
                        source="shared/reference/runway-gen4.md §1 (runwayml <= 4.18.0)"),
}
MODELS: dict[str, ModelCapabilities] = {name: capabilities(spec)
                                        for name, spec in SPECS.items()}
PUBLIC_FIGURE_THRESHOLDS = ("auto", "low")
