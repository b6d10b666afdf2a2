"""Capability tables: what one model accepts, as data."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from ._base import AudioSupport, Frozen, parse_size, resolution_rank

# --- capability tables -----------------------------------------------------------------------

class Lifecycle(Frozen):
    """Where a model stands: preview or GA, and the dates it is deprecated and retired."""

    stage: Literal["ga", "preview"] = "ga"
    deprecated_on: date | None = None
    retired_on: date | None = None
    successor: str | None = None
    note: str = ""
    # Retired although no source gives the date (e.g. dropped from the provider's SDK): the
    # model is never routed, and no date is invented for it.
    withdrawn: bool = False

    def status(self, today: date | None = None) -> Literal["available", "deprecated",
                                                            "retired"]:
        today = today or date.today()
        if self.withdrawn or (self.retired_on is not None and today >= self.retired_on):
            return "retired"
        if self.deprecated_on is not None and today >= self.deprecated_on:
            return "deprecated"
        return "available"

    def describe(self, today: date | None = None) -> str:
        """One sentence for warnings and skip reasons."""
        state = self.status(today)
        if state == "available":
            return "available" + (" (preview)" if self.stage == "preview" else "")
        when = self.retired_on if state == "retired" else self.deprecated_on
        since = f" since {when}" if when is not None else " (no date published)"
        successor = f"; suggested successor: {self.successor}" if self.successor else ""
        note = f" ({self.note})" if self.note else ""
        return f"{state}{since}{note}{successor}"


class Price(Frozen):
    """Price per second of output by resolution, in the provider's unit.

    ``usd_per_unit`` converts (Runway credits: 0.01; Kling units: pack-dependent, overridable
    in config). ``with_audio`` holds the rate when audio is generated, where it differs.
    """

    per_second: dict[str, float] = Field(default_factory=dict)
    with_audio: dict[str, float] = Field(default_factory=dict)
    unit: str = "usd"
    usd_per_unit: float = 1.0
    source: str = ""

    def usd(self, seconds: float, resolution: str, audio: bool,
            usd_per_unit: float | None = None) -> float | None:
        table = self.with_audio if audio and self.with_audio else self.per_second
        rate = table.get(resolution)
        if rate is None:
            return None
        return round(rate * seconds * (usd_per_unit or self.usd_per_unit), 6)


class RuleCondition(Frozen):
    """When a rule applies; every given condition must hold."""

    resolutions: tuple[str, ...] | None = None
    has_image: bool | None = None
    has_last_frame: bool | None = None
    has_reference_images: bool | None = None
    audio: bool | None = None

    def holds(self, *, resolution: str | None, has_image: bool, has_last_frame: bool,
              has_reference_images: bool, audio: bool | None) -> bool:
        checks = (
            (self.resolutions, resolution in (self.resolutions or ())),
            (self.has_image, has_image == self.has_image),
            (self.has_last_frame, has_last_frame == self.has_last_frame),
            (self.has_reference_images, has_reference_images == self.has_reference_images),
            (self.audio, audio == self.audio),
        )
        return all(ok for condition, ok in checks if condition is not None)

    def describe(self) -> str:
        parts = []
        if self.resolutions:
            parts.append(f"at {'/'.join(self.resolutions)}")
        for name, flag in (("an image", self.has_image), ("a last frame", self.has_last_frame),
                           ("reference images", self.has_reference_images),
                           ("audio", self.audio)):
            if flag is not None:
                parts.append(f"{'with' if flag else 'without'} {name}")
        return " and ".join(parts) or "always"


class Rule(Frozen):
    """A cross-field rule as data: when ``when`` holds, values are limited to these."""

    when: RuleCondition
    durations: tuple[int, ...] | None = None
    sizes: tuple[str, ...] | None = None
    audio: Literal["never", "always"] | None = None
    reason: str = ""


class ImageLimits(Frozen):
    """What an input image must be for this model; checked before any upload."""

    mime_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
    max_bytes: int | None = None
    min_side: int | None = None
    max_side: int | None = None
    min_aspect: float | None = None
    max_aspect: float | None = None
    must_match_size: bool = False


class ModelCapabilities(Frozen):
    """What one model accepts, as data read by normalisation, routing and docs alike."""

    durations: tuple[int, ...]
    sizes: dict[str, dict[str, str]]  # aspect ratio -> resolution -> "WxH"
    default_aspect_ratio: str | None = None
    default_resolution: str | None = None
    default_duration: int | None = None
    audio: AudioSupport = "never"
    supports_text: bool = True
    supports_image: bool = False
    supports_last_frame: bool = False
    max_reference_images: int = 0
    # Extension: continues a finished clip of this provider (VideoRequest.extend); the
    # added length comes from ``extend_durations`` (empty: the model's ``durations``).
    supports_extend: bool = False
    extend_durations: tuple[int, ...] = ()
    # Video-to-video: takes ``VideoRequest.source_video`` (Runway aleph2's ``videoUri``).
    video_input: bool = False
    supports_seed: bool = False
    supports_negative_prompt: bool = False
    # The provider POSTs to an HTTP URL given in the submit when the job changes state (Kling
    # ``callback_url``, Gemini API ``webhook_config``): the gateway then passes its per-job
    # callback URL as ``Plan.callback_url`` and polls at once when it is called.
    push_callbacks: bool = False
    max_prompt_length: int | None = None
    image_limits: ImageLimits = Field(default_factory=ImageLimits)
    rules: tuple[Rule, ...] = ()
    price: Price = Field(default_factory=Price)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    label: str = ""
    # The backends that serve this id (Veo, Omni: ``gemini``/``vertex``); empty: every one.
    # Data, so "what is still served here" is answered without asking the adapter.
    backends: tuple[str, ...] = ()
    # Where this row's facts come from (an SDK file with its version, or a doc page) and the
    # day someone last checked them there; a row with neither is "unsourced", not "current".
    # Facts only a third party states say so in ``source`` (e.g. "LiteLLM catalog [3P]").
    source: str = ""
    verified_on: date | None = None

    @model_validator(mode="after")
    def _coherent(self) -> ModelCapabilities:
        if not self.durations or not self.sizes:
            raise ValueError("a model needs at least one duration and one size")
        for table in self.sizes.values():
            for size in table.values():
                parse_size(size)
        return self

    def served_on(self, backend: str) -> bool:
        """Whether ``backend`` serves this id ('' for unknown: not ruled out)."""
        return not self.backends or not backend or backend in self.backends

    def not_served_on(self, backend: str) -> str | None:
        """Why ``backend`` cannot send this id (``served by gemini, not by the configured
        vertex backend``), or None when it can."""
        if self.served_on(backend):
            return None
        return (f"served by {' and '.join(self.backends)}, not by the configured {backend} "
                "backend")

    def verified_days_ago(self, today: date | None = None) -> int | None:
        """Days since ``verified_on`` (None when the row was never verified)."""
        if self.verified_on is None:
            return None
        return ((today or date.today()) - self.verified_on).days

    @property
    def all_sizes(self) -> tuple[str, ...]:
        return tuple(size for table in self.sizes.values() for size in table.values())

    @property
    def resolutions(self) -> tuple[str, ...]:
        found = {res for table in self.sizes.values() for res in table}
        return tuple(sorted(found, key=resolution_rank))
