"""Gemini Omni capability data (docs/reference/gemini-omni.md): one table keyed by model id.

The Gemini API and Vertex AI spell some ids differently (Omni 1.1 is ``gemini-omni-1.1-flash``
on the Gemini API and ``gemini-omni-1.1-flash-preview`` on Vertex), so ``SERVED_BY`` says
which backend serves each id and the adapter refuses, before any HTTP, an id its backend does
not serve. Each id has one lifecycle; for an id both backends served it carries the earlier
date and names the other in its note. Facts only a third party states are marked ``[3P]`` in
the row's ``source``; the narrower reading is kept wherever sources disagree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from vidbridge import ImageLimits, Lifecycle, ModelCapabilities, Price

GEMINI, VERTEX = "gemini", "vertex"
BACKENDS = (GEMINI, VERTEX)
VERIFIED = date(2026, 12, 2)

# response_format.resolution enum (google-genai 3.6.1 videoresponseformat.py): 360p..4k.
FRAMES = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}


def sizes(*resolutions: str) -> dict[str, dict[str, str]]:
    """``{aspect_ratio: {resolution: "WxH"}}`` for 16:9 and 9:16, the only two ratios."""
    landscape = {res: f"{FRAMES[res][0]}x{FRAMES[res][1]}" for res in resolutions}
    portrait = {res: f"{FRAMES[res][1]}x{FRAMES[res][0]}" for res in resolutions}
    return {"16:9": landscape, "9:16": portrait}


# "Allowed strings are integers between 3 and 10, followed by "s"" (Vertex Omni reference
# page; the Gemini API changelog says 3-10 s). Omni 1.2 is said to reach 15 s [3P only]: the
# documented 3-10 is kept until a Google page says more.
DURATIONS = tuple(range(3, 11))
# Input images: the Vertex Omni model pages list png, jpeg, webp, heic and heif; ImageInput
# knows the first three.
IMAGES = ImageLimits(mime_types=("image/png", "image/jpeg", "image/webp"))
# Per-second list prices are not on any Google page we could read; these are the rates
# resellers quote as Google's, [3P] and unverified (WaveSpeed's 1.1 grid; Google's 1.1
# announcement, via that post, puts 360p at a third of 720p). Audio is always made.
PRICE_3P = Price(per_second={"360p": 0.03, "720p": 0.10, "1080p": 0.15, "4k": 0.30},
                 source="[3P] reseller grids (WaveSpeed 1.1 post); Google list price unverified")
PREVIEW_PRICE_3P = Price(per_second={"720p": 0.10},
                         source="[3P] ~5,792 output tokens/s at $17.50/1M (OpenMontage notes)")

OMNI: dict[str, Any] = dict(
    durations=DURATIONS, default_duration=8, default_aspect_ratio="16:9",
    default_resolution="720p", audio="always", supports_image=True, image_limits=IMAGES,
    # The reference notebook for 1.1 recommends "no more than 5 reference images".
    max_reference_images=5, verified_on=VERIFIED)
FULL = dict(OMNI, sizes=sizes("360p", "720p", "1080p", "4k"), supports_last_frame=True,
            price=PRICE_3P)

MODELS: dict[str, ModelCapabilities] = {
    "gemini-omni-1.2-flash": ModelCapabilities(
        **FULL, label="Gemini Omni 1.2 Flash",
        # Gemini API only: interactions take webhook_config {uris} (google-genai 3.6.1
        # interactions/webhookconfig.py); the adapter sends it on that backend alone.
        push_callbacks=True,
        lifecycle=Lifecycle(note="released 2026-11-05 [3P]; Vertex lists it as GA"),
        source="google-genai 3.6.1 interactions/model.py (id); Vertex 'generate videos from "
               "text' and 'first and last frames' pages (DOC); resolutions and 3-15 s [3P]: "
               "resolutions kept, durations kept at the documented 3-10 s"),
    "gemini-omni-1.1-flash": ModelCapabilities(
        **FULL, label="Gemini Omni 1.1 Flash (Gemini API)",
        # Gemini API only: interactions take webhook_config {uris} (google-genai 3.6.1
        # interactions/webhookconfig.py); the adapter sends it on that backend alone.
        push_callbacks=True,
        lifecycle=Lifecycle(note="GA on the Gemini API since 2026-08-27 [3P]"),
        source="ai.google.dev/gemini-api/docs/omni (id, DOC); Vertex notebook "
               "gemini_omni_1_1_flash_video_gen.ipynb (3-10 s, 360p-4k, first/last frame, "
               "references, DOC); GA date [3P]"),
    "gemini-omni-1.1-flash-preview": ModelCapabilities(
        **FULL, label="Gemini Omni 1.1 Flash (Vertex AI, preview)",
        lifecycle=Lifecycle(stage="preview"),
        source="Vertex notebook gemini_omni_1_1_flash_video_gen.ipynb and model list (DOC)"),
    # The preview: 720p only, and no interpolation ("video interpolation ... not supported").
    "gemini-omni-flash-preview": ModelCapabilities(
        **dict(OMNI, sizes=sizes("720p"), price=PREVIEW_PRICE_3P),
        label="Gemini Omni Flash preview (retired)",
        lifecycle=Lifecycle(
            stage="preview", retired_on=date(2026, 9, 30), successor="gemini-omni-1.1-flash",
            note="Gemini API shutdown date [3P citing the deprecations page]; Vertex "
                 "deprecated it on 2026-11-06 (successor gemini-omni-1.2-flash) with "
                 "discontinuation 2027-06-30 (DOC)"),
        source="Vertex omni-flash-preview model page (720p, 10 s, DOC); Gemini API omni "
               "guide, preview edition (limitations, DOC)"),
}

SERVED_BY: dict[str, tuple[str, ...]] = {
    # java-genai 2.1.0 (2026-11-10) makes 1.2 "the gemini-api video default"; Vertex lists it.
    "gemini-omni-1.2-flash": (GEMINI, VERTEX),
    "gemini-omni-1.1-flash": (GEMINI,),
    "gemini-omni-1.1-flash-preview": (VERTEX,),
    "gemini-omni-flash-preview": (GEMINI, VERTEX),
}
# Each row carries its backends, so shared code (the "still served" list of a retired-model
# refusal) reads them as data.
MODELS = {model: caps.model_copy(update={"backends": SERVED_BY[model]})
          for model, caps in MODELS.items()}

# What each backend takes beyond the plan's own fields, by the SDK's request types
# (CreateModelInteraction, VideoResponseFormat). Keys outside these are refused by name.
RESPONSE_FORMAT_EXTRA: dict[str, frozenset[str]] = {
    GEMINI: frozenset({"delivery"}),
    VERTEX: frozenset({"delivery", "gcs_uri"}),
}
TOP_LEVEL_EXTRA = frozenset({"labels", "store", "webhook_config", "service_tier"})
DELIVERY = ("inline", "uri")
