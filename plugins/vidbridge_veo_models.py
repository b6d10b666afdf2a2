"""Veo capability data: every Veo id in docs/reference/google-veo.md (updated 2026-12-02).

One table keyed by model id, as Google spells it. The Gemini API served preview ids, Vertex
serves ``-001`` ids, and the retired 3.0 ``-001`` ids were on both: ``SERVED_BY`` says which
backend serves each id, and the adapter refuses, before any HTTP, an id its configured backend
does not serve. Each id has one lifecycle; for the ids both backends served, it carries the
earlier date and names the other in its note. Veo left the Gemini API in 2026: every id it
served there is a retired row (Gemini Omni, the ``omni`` provider, is its successor there).
Every row names its ``source`` and the day it was checked (``verified_on``).
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
    """Per-second USD by resolution, for video with audio (the Gemini API always made audio)."""
    rates = {"720p": p720, "1080p": p1080} | ({"4k": p4k} if p4k is not None else {})
    return Price(per_second=rates, source=source)


def vertex_price(p720: float, p1080: float) -> Price:
    """Vertex rates with and without audio (``generateAudio``).

    No Google page we could read gives the 3.1 silent rate [UNVERIFIED] (Vertex once priced
    Veo 3 without audio lower): the silent rate is the with-audio one, so an estimate never
    undercounts; a config override can set the real one.
    """
    rates = {"720p": p720, "1080p": p1080}
    return Price(per_second=rates, with_audio=rates,
                 source=f"{VERTEX_PRICES}; silent rate unverified, with-audio rate used")


EIGHT_SECONDS_REFERENCE = Rule(when=RuleCondition(has_reference_images=True), durations=(8,),
                               reason="Veo makes 8 s clips only with reference images")
# The Gemini API documented 8 s at 1080p/4k. The Vertex 3.1 page says only "reference image to
# video only supports 8 seconds", so Vertex rows carry that rule alone.
EIGHT_SECONDS = (
    Rule(when=RuleCondition(resolutions=("1080p", "4k")), durations=(8,),
         reason="Veo makes 1080p and 4k clips of 8 s only"),
    EIGHT_SECONDS_REFERENCE,
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
VERTEX_PRICES = "google-veo.md §8 (LiteLLM catalog [3P])"
VERIFIED = date(2026, 12, 2)
OMNI_WAY = "on the Gemini API use the omni provider (Gemini Omni)"
PREVIEW_SHUTDOWN = Lifecycle(
    stage="preview", retired_on=date(2026, 10, 22), successor="omni:gemini-omni-1.1-flash",
    note="Gemini API preview shut down (deprecations page via [3P] notices); " + OMNI_WAY)
# LiteLLM lists 2026-11-17 as a "deprecation" date [3P, UNVERIFIED: likely the GA date plus a
# year]. Google's own pages still name the 3.1 -001 ids as the migration target for 3.0 and
# list them as supported, and no Google page gives a date: none is set.
VERTEX_31_GA = Lifecycle(note="no deprecation date on Google's pages; LiteLLM's 2026-11-17 is "
                              "unverified and not used")
GEMINI_SHUTDOWN = "Gemini API changelog (2026-06-15 notice: shut down 2026-06-30)"


def retired_30(successor: str) -> Lifecycle:
    return Lifecycle(retired_on=date(2026, 6, 30), successor=successor,
                     note="Vertex retired it on 2026-06-30 (Veo 3 model page); the Gemini API "
                          "shut it down the same day (changelog)")


# The 3.0 previews were replaced by the -001 ids in 2025; their exact shutdown is
# [UNVERIFIED]. They were gone no later than their successors (2026-07-01).
PREVIEW_30 = Lifecycle(stage="preview", retired_on=date(2026, 7, 1),
                       successor="omni:gemini-omni-1.1-flash",
                       note="replaced by the -001 ids in 2025; exact shutdown date unverified")

GEMINI_31 = dict(VEO3, sizes=sizes(("720p", P720), ("1080p", P1080), ("4k", P4K)),
                 rules=EIGHT_SECONDS, supports_last_frame=True, max_reference_images=3,
                 lifecycle=PREVIEW_SHUTDOWN, verified_on=VERIFIED,
                 source="google-genai 2.34.0 models.py (wire); Gemini API Veo 3.1 guide (DOC); "
                        "shutdown 2026-10-22 [3P notices citing the deprecations page]")
# Vertex: audio is a switch (generateAudio), 4/6/8 s, up to 4 videos per request (one is asked
# for), first/last frame, reference images; 4k unverified there, so not offered.
VERTEX_31 = dict(VEO3, sizes=sizes(("720p", P720), ("1080p", P1080)), supports_seed=True,
                 audio="optional", supports_last_frame=True, rules=(EIGHT_SECONDS_REFERENCE,),
                 lifecycle=VERTEX_31_GA, verified_on=VERIFIED,
                 source="Vertex Veo 3.1 model page and 'generate videos' pages (DOC); "
                        "google-genai 3.6.1 models.py (wire)")
# 3.0: 1080p at 16:9 only on the Gemini API; last frame is [UNVERIFIED] (sources conflict).
VEO_30 = dict(VEO3, sizes=sizes(("720p", P720), ("1080p", {"16:9": P1080["16:9"]})),
              rules=EIGHT_SECONDS, verified_on=VERIFIED,
              source="Vertex Veo 3 model page (retirement 2026-06-30, DOC); " + GEMINI_SHUTDOWN)

EXTEND_8 = (8,)
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
    # Extension (instances[0].video, 720p): the Vertex pages list it for both GA ids; the
    # durationSeconds an extension takes on Vertex is [UNVERIFIED]: 8, as the Gemini API
    # requires for extensions (google-veo.md §1).
    # 4k on Vertex is [UNVERIFIED]: not offered.
    "veo-3.1-generate-001": ModelCapabilities(
        **dict(VERTEX_31, rules=(EIGHT_SECONDS_REFERENCE, VERTEX_REFERENCE_16_9)),
        max_reference_images=3, label="Veo 3.1 (Vertex AI)", supports_extend=True,
        extend_durations=EXTEND_8,
        price=vertex_price(p720=0.40, p1080=0.40)),
    # Fast: the audit lists reference images for both GA ids; the Vertex reference
    # page lists veo-3.1-fast-generate-001 among the asset-image models (DOC).
    "veo-3.1-fast-generate-001": ModelCapabilities(
        **dict(VERTEX_31, rules=(EIGHT_SECONDS_REFERENCE, VERTEX_REFERENCE_16_9)),
        max_reference_images=3, label="Veo 3.1 Fast (Vertex AI)", supports_extend=True,
        extend_durations=EXTEND_8,
        price=vertex_price(p720=0.10, p1080=0.12)),
    # Lite on Vertex is a preview; its last frame and reference images are [UNVERIFIED].
    "veo-3.1-lite-generate-001": ModelCapabilities(
        **dict(VERTEX_31, supports_last_frame=False, lifecycle=Lifecycle(stage="preview")),
        label="Veo 3.1 Lite (Vertex AI, preview)",
        price=vertex_price(p720=0.05, p1080=0.08)),
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
    # Veo 2: silent, 720p, 5-8 s; kept so a config naming it is told why it is skipped.
    "veo-2.0-generate-001": ModelCapabilities(
        durations=(5, 6, 8), default_duration=8, default_aspect_ratio="16:9",
        default_resolution="720p", sizes=sizes(("720p", P720)), supports_image=True,
        supports_negative_prompt=True, image_limits=IMAGES, label="Veo 2 (retired)",
        lifecycle=Lifecycle(retired_on=date(2026, 6, 30), successor="veo-3.1-generate-001",
                            note="retired on both backends on 2026-06-30"),
        price=Price(per_second={"720p": 0.50}, source=VERTEX_PRICES), verified_on=VERIFIED,
        source="Vertex Veo 2 model page (retirement 2026-06-30, DOC); " + GEMINI_SHUTDOWN),
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
    "veo-2.0-generate-001": (GEMINI, VERTEX),
}
# Each row carries its backends, so shared code (the "still served" list of a retired-model
# refusal) reads them as data.
MODELS = {model: caps.model_copy(update={"backends": SERVED_BY[model]})
          for model, caps in MODELS.items()}

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
# No backend is assumed: the Gemini API has no live Veo model, so a credential without one is
# refused before any HTTP with this message, naming the two ways on.
NO_BACKEND = ("veo: Veo left the Gemini API (its Veo models shut down on 2026-06-30 and "
              "2026-10-22), so veo needs an explicit backend. Either set backend = \"vertex\" "
              "(with project and location, and an OAuth token) for Veo on Vertex AI, or use the "
              "omni provider (Gemini Omni on the Interactions API, with GEMINI_API_KEY)")
