"""Kling's capability map as data: one row per model and mode (docs/reference/kling.md).

Model ids carry the mode: ``kling-v2-6:pro`` is ``model_name="kling-v2-6", mode="pro"``; the
single-tier master models have no suffix. Prices are resource-pack units (US$0.14 each on a
standard pack; a config may override ``usd_per_unit``). ``family`` says which endpoint family
creates the task: ``classic`` (``/v1/videos/text2video`` and ``image2video``) or ``omni``
(``/v1/videos/omni-video``); extensions go to ``/v1/videos/video-extend``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from vidbridge import ImageLimits, ModelCapabilities, Price, Rule, RuleCondition

UNIT_USD = 0.14  # standard pack price; packs differ, so configs may override it
PROMPT_CHARS = 2500  # prompt and negative_prompt alike
READ_ON = date(2026, 12, 2)  # the day the sources below were read for these rows
MAP = ("WHQ25/rawgenai docs/research/kling/capability-map.md (copy of Kling's official "
       "capability map, 2026-02-03) + shared/reference/kling.md §1")
V3 = ("Kling v3 via shared/reference/kling.md §1 (Vercel @ai-sdk/klingai: kling-v3, 3-15 s, "
      "multi-shot, units/s); modes/frames: runwayml 5.24.0 kling3.0_standard/_pro ratio "
      "literals (reseller) [3P]")
OMNI_O1 = ("WHQ25/rawgenai docs/research/kling/omni-video-o1.md (copy of Kling's official "
           "Omni-Video doc, 2026-02-03); price not in the sources read")
OMNI_V3 = ("kling-v3-omni on /v1/videos/omni-video: third-party gateway doc (K3_video.py "
           "notes: 3-15 s, sound on/off) [3P]; image_list shape from the official O1 doc copy; "
           "frames from runwayml 5.24.0 klingO3_standard/_pro [3P]; price not in the sources "
           "read")


@dataclass(frozen=True)
class Spec:
    """One row of Kling's capability map for one model and mode."""

    model_name: str
    mode: str | None  # None: a single-tier master model, sent without ``mode``
    resolution: str
    units_5s: float | None  # resource-pack units for a 5 s silent clip; None: not published
    text: bool = True
    tail: bool = False  # a last frame (image_tail, or image_list type end_frame)
    cfg_scale: bool = False  # v2.x models do not take cfg_scale
    sound_units_5s: float | None = None  # ``sound`` exists: units for 5 s with sound on
    sound: bool = False  # ``sound`` exists even where its price is not published
    family: Literal["classic", "omni"] = "classic"
    durations: tuple[int, ...] = (5, 10)
    frames: Literal["classic", "v3"] = "classic"
    references: int = 0  # omni image_list entries without a type (reference images)
    multi_shot: bool = False  # multi_shot / shot_type / multi_prompt passthrough
    extend: bool = False  # /v1/videos/video-extend takes this model's videos
    negative: bool = True
    source: str = MAP

    @property
    def key(self) -> str:
        return f"{self.model_name}:{self.mode}" if self.mode else self.model_name

    @property
    def has_sound(self) -> bool:
        return self.sound or self.sound_units_5s is not None


V3_SECONDS = tuple(range(3, 16))
O1_SECONDS = tuple(range(3, 11))
# Newest first: tools (and the contract suite) try models in table order.
SPECS = (
    Spec("kling-v3", "std", "720p", 3.0, sound_units_5s=4.5, tail=True, durations=V3_SECONDS,
         frames="v3", multi_shot=True, source=V3),
    Spec("kling-v3", "pro", "1080p", 4.0, sound_units_5s=6.0, tail=True, durations=V3_SECONDS,
         frames="v3", multi_shot=True, source=V3),
    Spec("kling-v3-omni", "std", "720p", None, sound=True, tail=True, family="omni",
         durations=V3_SECONDS, frames="v3", references=6, multi_shot=True, negative=False,
         source=OMNI_V3),
    Spec("kling-v3-omni", "pro", "1080p", None, sound=True, tail=True, family="omni",
         durations=V3_SECONDS, frames="v3", references=6, multi_shot=True, negative=False,
         source=OMNI_V3),
    Spec("kling-video-o1", "std", "720p", None, tail=True, family="omni",
         durations=O1_SECONDS, references=6, negative=False, source=OMNI_O1),
    Spec("kling-video-o1", "pro", "1080p", None, tail=True, family="omni",
         durations=O1_SECONDS, references=6, negative=False, source=OMNI_O1),
    Spec("kling-v2-6", "std", "720p", 1.5),  # v2-6 resolutions [UNVERIFIED]
    Spec("kling-v2-6", "pro", "1080p", 2.5, tail=True, sound_units_5s=5),
    Spec("kling-v2-5-turbo", "std", "720p", 1.5),  # std resolution [UNVERIFIED]
    Spec("kling-v2-5-turbo", "pro", "1080p", 2.5, tail=True),
    Spec("kling-v2-1-master", None, "1080p", 10),
    Spec("kling-v2-1", "std", "720p", 2, text=False),
    Spec("kling-v2-1", "pro", "1080p", 3.5, text=False, tail=True),
    Spec("kling-v2-master", None, "720p", 10),
    Spec("kling-v1-6", "std", "720p", 2, cfg_scale=True, extend=True),
    Spec("kling-v1-6", "pro", "1080p", 3.5, tail=True, cfg_scale=True, extend=True),
    Spec("kling-v1-5", "std", "720p", 2, text=False, cfg_scale=True, extend=True),
    Spec("kling-v1-5", "pro", "1080p", 3.5, text=False, tail=True, cfg_scale=True, extend=True),
    Spec("kling-v1", "std", "720p", 1, tail=True, cfg_scale=True, extend=True),
    Spec("kling-v1", "pro", "720p", 3.5, tail=True, cfg_scale=True, extend=True),
)
# The classic reference names resolutions only; these are the frames they stand for. The v3
# frames are the pixel sizes Runway's SDK gives for the same models it resells.
FRAMES = {
    "classic": {"720p": {"16:9": "1280x720", "9:16": "720x1280", "1:1": "720x720"},
                "1080p": {"16:9": "1920x1080", "9:16": "1080x1920", "1:1": "1080x1080"}},
    "v3": {"720p": {"16:9": "1280x720", "9:16": "720x1280", "1:1": "960x960"},
           "1080p": {"16:9": "1920x1080", "9:16": "1080x1920", "1:1": "1440x1440"}},
}
IMAGES = ImageLimits(mime_types=("image/jpeg", "image/png"), max_bytes=10 * 1024 * 1024,
                     min_side=300, min_aspect=0.4, max_aspect=2.5)
# One video-extend call adds "4~5 s" (video-extend doc copy); 5 is the whole-second reading.
EXTEND_SECONDS = (5,)
# Rules keyed by model_name: cross-field limits the capability map states.
RULES: dict[str, tuple[Rule, ...]] = {
    "kling-v1": (Rule(when=RuleCondition(has_last_frame=True), durations=(5,),
                      reason="kling-v1 takes a last frame (image_tail) for 5 s clips only"),),
    "kling-v2-6": (Rule(when=RuleCondition(has_last_frame=True), audio="never",
                        reason="kling-v2-6 makes silent video when a last frame "
                               "(image_tail) is given"),),
    # O1 FAQ: text-to-video and first-frame-only image-to-video take 5 or 10 s; 3-10 s needs
    # an end frame or references.
    "kling-video-o1": (Rule(when=RuleCondition(has_last_frame=False,
                                               has_reference_images=False), durations=(5, 10),
                            reason="kling-video-o1 makes 5 or 10 s without an end frame or "
                                   "reference images"),),
}


def capabilities(spec: Spec) -> ModelCapabilities:
    frames = FRAMES[spec.frames][spec.resolution]
    if spec.units_5s is None:
        price = Price(unit="unit", usd_per_unit=UNIT_USD,
                      source="not published in the sources read [UNVERIFIED]")
    else:
        sound = spec.sound_units_5s
        price = Price(per_second={spec.resolution: spec.units_5s / 5},
                      with_audio={spec.resolution: sound / 5} if sound is not None else {},
                      unit="unit", usd_per_unit=UNIT_USD,
                      source="kling.md §1 (units per clip at US$0.14/unit)")
    return ModelCapabilities(
        durations=spec.durations, default_duration=5, default_aspect_ratio="16:9",
        sizes={aspect: {spec.resolution: size} for aspect, size in frames.items()},
        audio="optional" if spec.has_sound else "never", supports_text=spec.text,
        supports_image=True, supports_last_frame=spec.tail,
        max_reference_images=spec.references, supports_negative_prompt=spec.negative,
        supports_extend=spec.extend, extend_durations=EXTEND_SECONDS if spec.extend else (),
        max_prompt_length=PROMPT_CHARS, image_limits=IMAGES, rules=RULES.get(spec.model_name, ()),
        # Every create takes ``callback_url``; Kling POSTs each status change to it (§3.6).
        push_callbacks=True,
        price=price, source=spec.source, verified_on=READ_ON,
        label=f"Kling {spec.model_name}" + (f" ({spec.mode})" if spec.mode else ""),
    )


BY_KEY = {spec.key: spec for spec in SPECS}
MODELS: dict[str, ModelCapabilities] = {spec.key: capabilities(spec) for spec in SPECS}
