"""Kling's capability map (shared/reference/kling.md §1) as data: one row per model and mode.

Model ids carry the mode: ``kling-v2-6:pro`` is ``model_name="kling-v2-6", mode="pro"``; the
single-tier master models have no suffix. Prices are resource-pack units per clip (US$0.14
each on a standard pack; a config may override ``usd_per_unit``).
"""

from __future__ import annotations

from dataclasses import dataclass

from vidbridge import ImageLimits, ModelCapabilities, Price, Rule, RuleCondition

UNIT_USD = 0.14  # standard pack price; packs differ, so configs may override it
PROMPT_CHARS = 2500  # prompt and negative_prompt alike


@dataclass(frozen=True)
class Spec:
    """One row of Kling's capability map (reference §1) for one model and mode."""

    model_name: str
    mode: str | None  # None: a single-tier master model, sent without ``mode``
    resolution: str
    units_5s: float  # resource-pack units for a 5 s clip
    text: bool = True
    tail: bool = False  # image_tail (last frame)
    cfg_scale: bool = False  # v2.x models do not take cfg_scale
    sound_units_5s: float | None = None  # ``sound`` exists (v2-6 pro): units with sound on

    @property
    def key(self) -> str:
        return f"{self.model_name}:{self.mode}" if self.mode else self.model_name


# Newest first: tools (and the contract suite) try models in table order.
SPECS = (
    Spec("kling-v2-6", "std", "720p", 1.5),  # v2-6 resolutions [UNVERIFIED]
    Spec("kling-v2-6", "pro", "1080p", 2.5, tail=True, sound_units_5s=5),
    Spec("kling-v2-5-turbo", "std", "720p", 1.5),  # std resolution [UNVERIFIED]
    Spec("kling-v2-5-turbo", "pro", "1080p", 2.5, tail=True),
    Spec("kling-v2-1-master", None, "1080p", 10),
    Spec("kling-v2-1", "std", "720p", 2, text=False),
    Spec("kling-v2-1", "pro", "1080p", 3.5, text=False, tail=True),
    Spec("kling-v2-master", None, "720p", 10),
    Spec("kling-v1-6", "std", "720p", 2, cfg_scale=True),
    Spec("kling-v1-6", "pro", "1080p", 3.5, tail=True, cfg_scale=True),
    Spec("kling-v1-5", "std", "720p", 2, text=False, cfg_scale=True),
    Spec("kling-v1-5", "pro", "1080p", 3.5, text=False, tail=True, cfg_scale=True),
    Spec("kling-v1", "std", "720p", 1, tail=True, cfg_scale=True),
    Spec("kling-v1", "pro", "720p", 3.5, tail=True, cfg_scale=True),
)
# The reference names resolutions only; these are the frames they stand for.
FRAMES = {"720p": {"16:9": "1280x720", "9:16": "720x1280", "1:1": "720x720"},
          "1080p": {"16:9": "1920x1080", "9:16": "1080x1920", "1:1": "1080x1080"}}
IMAGES = ImageLimits(mime_types=("image/jpeg", "image/png"), max_bytes=10 * 1024 * 1024,
                     min_side=300, min_aspect=0.4, max_aspect=2.5)
# Rules keyed by model_name: cross-field limits the capability map states.
RULES: dict[str, tuple[Rule, ...]] = {
    "kling-v1": (Rule(when=RuleCondition(has_last_frame=True), durations=(5,),
                      reason="kling-v1 takes a last frame (image_tail) for 5 s clips only"),),
    "kling-v2-6": (Rule(when=RuleCondition(has_last_frame=True), audio="never",
                        reason="kling-v2-6 makes silent video when a last frame "
                               "(image_tail) is given"),),
}


def capabilities(spec: Spec) -> ModelCapabilities:
    per_second = spec.units_5s / 5
    sound = spec.sound_units_5s
    return ModelCapabilities(
        durations=(5, 10), default_duration=5, default_aspect_ratio="16:9",
        sizes={aspect: {spec.resolution: size} for aspect, size in FRAMES[spec.resolution].items()},
        audio="optional" if sound is not None else "never", supports_text=spec.text,
        supports_image=True, supports_last_frame=spec.tail, supports_negative_prompt=True,
        max_prompt_length=PROMPT_CHARS, image_limits=IMAGES, rules=RULES.get(spec.model_name, ()),
        price=Price(per_second={spec.resolution: per_second},
                    with_audio={spec.resolution: sound / 5} if sound is not None else {},
                    unit="unit", usd_per_unit=UNIT_USD,
                    source="kling.md §1 (units per clip at US$0.14/unit)"),
        label=f"Kling {spec.model_name}" + (f" ({spec.mode})" if spec.mode else ""),
    )


BY_KEY = {spec.key: spec for spec in SPECS}
MODELS: dict[str, ModelCapabilities] = {spec.key: capabilities(spec) for spec in SPECS}
