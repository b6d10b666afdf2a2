"""Veo capability data: every Veo 3.x model id in shared/reference/google-veo.md.

One table keyed by model id, as Google spells it. The Gemini API serves preview ids, Vertex
serves ``-001`` ids, and the retired 3.0 ``-001`` ids were on both: ``SERVED_BY`` says which
backend serves each id, and the adapter refuses, before any HTTP, an id its configured backend
does not serve. Each id has one lifecycle; for the two ids both backends served, it carries
the earlier date and names the other in its note. Veo 2 is left out (no audio, retired).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from vidbridge import ImageLimits, Lifecycle, ModelCapabilities, Price, Rule, RuleCondition

GEMINI, VERTEX = "gemini", "vertex"
BACKENDS = (GEMINI, VERTEX)

P720 = {"16:9": "1280x720", "9:16": "720x1280"}
P1080 = {"16:9": "1920x1080", "9:16": "1080x1920"}
P4K = {"16:9": "3840x2160", "9:16": "2160x3840"}


def sizes(*by_resolution: tuple[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """``{aspect_ratio: {resolution: "WxH"}}`` from (resolution, {aspect_ratio: size}) pairs."""
    table: dict[str, dict[str, str]] = {}
    for resolution, by_ratio in by_resolution:
        for ratio, size in by_ratio.items():
            table.setdefault(ratio, {})[resolution] = size
    return table


def price(source: str, p720: float, p1080: float, p4k: float | None = None) -> Price:
    """Per-second USD by resolution, for video with audio (Veo 3.x always makes audio)."""
    rates = {"720p": p720, "1080p": p1080} | ({"4k": p4k} if p4k is not None else {})
    return Price(per_second=rates, source=source)


EIGHT_SECONDS = (
    Rule(when=RuleCondition(resolutions=("1080p", "4k")), durations=(8,),
         reason="Veo makes 1080p and 4k clips of 8 s only"),
    Rule(when=RuleCondition(has_reference_images=True), durations=(8,),
         reason="Veo makes 8 s clips only with reference images"),
)
# Reference-image-to-video on Vertex 3.1 is 16:9 only.
VERTEX_REFERENCE_16_9 = Rule(when=RuleCondition(has_reference_images=True),
                             sizes=(P720["16:9"], P1080["16:9"]),
                             reason="Vertex makes reference-image videos at 16:9 only")
# Input images are PNG or JPEG (Gemini API [3P]; Vertex: image/jpeg or image/png).
IMAGES = ImageLimits(mime_types=("image/png", "image/jpeg"))
VEO3: dict[str, Any] = dict(
    durations=(4, 6, 8), default_duration=8, default_aspect_ratio="16:9",
    default_resolution="720p", audio="always", supports_image=True,
    supports_negative_prompt=True, image_limits=IMAGES)
GEMINI_PRICES = "google-veo.md §8 (Gemini API pricing transcriptions, LiteLLM)"
VERTEX_PRICES = "google-veo.md §8 (LiteLLM catalog)"
PREVIEW_SHUTDOWN = Lifecycle(
    stage="preview", retired_on=date(2026, 10, 22),
    note="Gemini API preview shut down; Google points to gemini-omni flash models on the "
         "Interactions API, which this adapter does not speak")
# LiteLLM lists 2026-11-17 as a "deprecation" date [UNVERIFIED]: read as a warning, not as a
# shutdown, so routing keeps a model that may still serve.
VERTEX_31_GA = Lifecycle(deprecated_on=date(2026, 11, 17),
                         note="deprecation date from the LiteLLM catalog, unverified")


def retired_30(successor: str) -> Lifecycle:
    return Lifecycle(retired_on=date(2026, 6, 30), successor=successor,
                     note="Vertex retired it on 2026-06-30; the Gemini API had dropped it by "
                          "2026-07-01")


# The 3.0 previews were replaced by the -001 ids in 2025; their exact shutdown is
# [UNVERIFIED]. They were gone no later than their successors (2026-07-01).
PREVIEW_30 = Lifecycle(stage="preview", retired_on=date(2026, 7, 1),
                       note="replaced by the -001 ids in 2025; exact shutdown date unverified")

GEMINI_31 = dict(VEO3, sizes=sizes(("720p", P720), ("1080p", P1080), ("4k", P4K)),
                 rules=EIGHT_SECONDS, supports_last_frame=True, max_reference_images=3,
                 lifecycle=PREVIEW_SHUTDOWN)
VERTEX_31 = dict(VEO3, sizes=sizes(("720p", P720), ("1080p", P1080)), supports_seed=True,
                 supports_last_frame=True, rules=EIGHT_SECONDS, lifecycle=VERTEX_31_GA)
# 3.0: 1080p at 16:9 only on the Gemini API; last frame is [UNVERIFIED] (sources conflict).
VEO_30 = dict(VEO3, sizes=sizes(("720p", P720), ("1080p", {"16:9": P1080["16:9"]})),
              rules=EIGHT_SECONDS)

MODELS: dict[str, ModelCapabilities] = {
    # -- Gemini API (preview ids) --
    "veo-3.1-generate-preview": ModelCapabilities(
        **GEMINI_31, label="Veo 3.1 (Gemini API)",
        price=price(GEMINI_PRICES, p720=0.40, p1080=0.40, p4k=0.60)),
    "veo-3.1-fast-generate-preview": ModelCapabilities(
        **GEMINI_31, label="Veo 3.1 Fast (Gemini API)",
        price=price(GEMINI_PRICES, p720=0.10, p1080=0.12, p4k=0.30)),
    # Lite: no 4k; last frame and reference images are [UNVERIFIED], so not offered.
    "veo-3.1-lite-generate-preview": ModelCapabilities(
        **dict(GEMINI_31, sizes=sizes(("720p", P720), ("1080p", P1080)),
               supports_last_frame=False, max_reference_images=0),
        label="Veo 3.1 Lite (Gemini API)", price=price(GEMINI_PRICES, p720=0.05, p1080=0.08)),
    # -- Vertex AI (GA -001 ids) --
    # 4k on Vertex is [UNVERIFIED]: not offered.
    "veo-3.1-generate-001": ModelCapabilities(
        **dict(VERTEX_31, rules=(*EIGHT_SECONDS, VERTEX_REFERENCE_16_9)),
        max_reference_images=3, label="Veo 3.1 (Vertex AI)",
        price=price(VERTEX_PRICES, p720=0.40, p1080=0.40)),
    # Fast: reference images [UNVERIFIED], not offered.
    "veo-3.1-fast-generate-001": ModelCapabilities(
        **VERTEX_31, label="Veo 3.1 Fast (Vertex AI)",
        price=price(VERTEX_PRICES, p720=0.10, p1080=0.12)),
    # Lite on Vertex is a preview; its last frame is [UNVERIFIED], not offered.
    "veo-3.1-lite-generate-001": ModelCapabilities(
        **dict(VERTEX_31, supports_last_frame=False, lifecycle=Lifecycle(stage="preview")),
        label="Veo 3.1 Lite (Vertex AI, preview)",
        price=price(VERTEX_PRICES, p720=0.05, p1080=0.08)),
    # -- retired: both backends served the 3.0 -001 ids --
    "veo-3.0-generate-001": ModelCapabilities(
        **VEO_30, lifecycle=retired_30("veo-3.1-generate-001"), label="Veo 3 (retired)",
        price=price(VERTEX_PRICES, p720=0.40, p1080=0.40)),
    # The Vertex model page lists 8 s only and no image input for 3.0 Fast; the Gemini API
    # table says 4/6/8 and image input. The narrower reading is kept.
    "veo-3.0-fast-generate-001": ModelCapabilities(
        **dict(VEO_30, durations=(8,), supports_image=False),
        lifecycle=retired_30("veo-3.1-fast-generate-001"), label="Veo 3 Fast (retired)",
        price=price(VERTEX_PRICES, p720=0.10, p1080=0.12)),
    "veo-3.0-generate-preview": ModelCapabilities(
        **VEO_30, lifecycle=PREVIEW_30, label="Veo 3 preview (Gemini API, retired)",
        price=price(GEMINI_PRICES, p720=0.40, p1080=0.40)),
    "veo-3.0-fast-generate-preview": ModelCapabilities(
        **dict(VEO_30, durations=(8,), supports_image=False), lifecycle=PREVIEW_30,
        label="Veo 3 Fast preview (Gemini API, retired)",
        price=price(GEMINI_PRICES, p720=0.10, p1080=0.12)),
}

# Which backend serves each id. Whether the Gemini API ever served the 3.1 -001 ids is
# [UNVERIFIED]: they are Vertex-only here. The Vertex preview ids (removed 2026-04-02) were
# never captured, so the preview ids are Gemini-only.
SERVED_BY: dict[str, tuple[str, ...]] = {
    "veo-3.1-generate-preview": (GEMINI,),
    "veo-3.1-fast-generate-preview": (GEMINI,),
    "veo-3.1-lite-generate-preview": (GEMINI,),
    "veo-3.1-generate-001": (VERTEX,),
    "veo-3.1-fast-generate-001": (VERTEX,),
    "veo-3.1-lite-generate-001": (VERTEX,),
    "veo-3.0-generate-001": (GEMINI, VERTEX),
    "veo-3.0-fast-generate-001": (GEMINI, VERTEX),
    "veo-3.0-generate-preview": (GEMINI,),
    "veo-3.0-fast-generate-preview": (GEMINI,),
}

# What each backend takes beyond the plan's own fields. ``extra`` keys outside these sets are
# refused by name, before HTTP. Top-level keys are siblings of ``instances``.
EXTRA_PARAMETERS: dict[str, frozenset[str]] = {
    GEMINI: frozenset({"personGeneration", "enhancePrompt"}),
    VERTEX: frozenset({"personGeneration", "enhancePrompt", "storageUri", "compressionQuality",
                       "resizeMode", "fps", "pubsubTopic"}),
}
EXTRA_TOP_LEVEL: dict[str, frozenset[str]] = {
    GEMINI: frozenset({"webhookConfig"}),
    VERTEX: frozenset({"labels"}),
}
PERSON_GENERATION = ("allow_all", "allow_adult", "dont_allow")
# google-genai 2.34 refuses seed on the Gemini API although the docs say Veo 3 accepts it
# [UNVERIFIED]: a seed there is refused, never silently dropped.
SEED_BACKENDS = frozenset({VERTEX})
