"""Map a request onto what one model accepts: a pure function, no I/O.

``None`` in a request means "don't care": the model's default fills it and is not reported.
Any value the caller gave that the plan changes is reported as an ``Adjustment``; under
``policy="strict"`` that change raises ``CapabilityError`` instead. A hard requirement
(audio wanted, an image, a last frame, reference images, text-only on an image-only model,
an input image outside the model's limits) is never dropped: it raises under either policy.
A source video on a model without ``video_input`` is the exception the caller can see: under
``nearest`` it is dropped and reported (the model generates from the prompt alone), under
``strict`` refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from .errors import CapabilityError
from .models import (
    Adjustment,
    ImageInput,
    ModelCapabilities,
    Plan,
    Policy,
    Rule,
    VideoInput,
    VideoRequest,
    aspect_ratio_of,
    parse_size,
    resolution_rank,
)


def normalise(request: VideoRequest, capabilities: ModelCapabilities,
              policy: Policy = "nearest", *, provider: str = "", model: str = "",
              today: date | None = None, usd_per_unit: float | None = None,
              base_model: str = "", request_key: str = "") -> Plan:
    """Return the plan for ``request`` on a model with ``capabilities``.

    ``provider`` and ``model`` name the model in the plan and in error messages; ``today``
    fixes the date lifecycle warnings are computed for; ``usd_per_unit`` overrides the price
    table's conversion (Kling packs differ); ``base_model`` and ``request_key`` are copied
    into the plan.
    """
    if policy not in ("nearest", "strict"):
        raise ValueError(f"policy must be 'nearest' or 'strict', not {policy!r}")
    return _Normaliser(request, capabilities, policy, f"{provider}:{model}".strip(":"),
                       today).plan(provider, model, usd_per_unit, base_model, request_key)


class _Normaliser:
    def __init__(self, request: VideoRequest, caps: ModelCapabilities, policy: Policy,
                 name: str, today: date | None) -> None:
        self.request, self.caps, self.policy, self.name = request, caps, policy, name or "model"
        self.today = today
        self.adjustments: list[Adjustment] = []

    # -- reporting ---------------------------------------------------------------------------
    def refuse(self, field: str, message: str, allowed: Sequence[Any]) -> CapabilityError:
        shown = ", ".join(str(value) for value in allowed) or "none"
        return CapabilityError(f"{self.name}: {message}; allowed {field}: {shown}",
                               field=field, allowed=allowed, model=self.name)

    def adjust(self, field: str, asked: Any, given: Any, reason: str | Callable[[], str],
               allowed: Sequence[Any] | Callable[[], Sequence[Any]]) -> None:
        """Report a changed value. ``reason`` and ``allowed`` may be callables: they are
        only worked out when something did change (the common request changes nothing)."""
        if asked is None or asked == given:
            return
        reason = reason() if callable(reason) else reason
        allowed = allowed() if callable(allowed) else allowed
        if self.policy == "strict":
            raise self.refuse(field, f"{field} {asked!r} is not accepted ({reason})", allowed)
        self.adjustments.append(Adjustment(field=field, asked=asked, given=given, reason=reason))

    # -- the plan ----------------------------------------------------------------------------
    def plan(self, provider: str, model: str, usd_per_unit: float | None,
             base_model: str = "", request_key: str = "") -> Plan:
        request, caps = self.request, self.caps
        self.check_inputs()
        source_video = self.choose_source_video()
        aspect, resolution, size = self.choose_size()
        rules = self.rules_for(resolution)
        duration = self.choose_duration(rules)
        audio = self.choose_audio(rules)
        seed = self.optional_field("seed", request.seed, caps.supports_seed)
        negative = self.optional_field("negative_prompt", request.negative_prompt,
                                       caps.supports_negative_prompt)
        warnings: tuple[str, ...] = ()
        lifecycle = caps.lifecycle.status(self.today)
        if lifecycle != "available":
            warnings = (f"{self.name} is {caps.lifecycle.describe(self.today)}",)
        # Validated, not model_construct: pydantic-core's validation is faster than
        # model_construct's Python loop (measured: 12.7 vs 19.0 us per Plan).
        return Plan(
            provider=provider, model=model, prompt=request.prompt, negative_prompt=negative,
            duration=duration, aspect_ratio=aspect, resolution=resolution, size=size,
            audio=audio, image=request.image, last_frame=request.last_frame,
            reference_images=request.reference_images, seed=seed, extend=request.extend,
            source_video=source_video, extra=dict(request.extra), base_model=base_model,
            adjustments=tuple(self.adjustments), warnings=warnings,
            estimated_cost_usd=caps.price.usd(duration, resolution, audio, usd_per_unit),
            request_key=request_key,
        )

    def check_inputs(self) -> None:
        request, caps = self.request, self.caps
        if request.audio and caps.audio == "never":
            raise self.refuse("audio", "audio is required but this model never generates it",
                              [False])
        takes_video = request.source_video is not None and caps.video_input
        if request.image is None and not caps.supports_text and not takes_video:
            if not caps.video_input:
                raise self.refuse("image", "text-to-video is not supported; an input image is "
                                  "required", ["an image"])
            raise self.refuse("source_video", "this model edits a video; a source video is "
                              "required", ["a source video"])
        if request.image is not None and not caps.supports_image:
            raise self.refuse("image", "image input is not supported", ["none"])
        if request.last_frame is not None and not caps.supports_last_frame:
            raise self.refuse("last_frame", "a last frame is not supported", ["none"])
        if request.extend is not None and not caps.supports_extend:
            raise self.refuse("extend", "extending a video is not supported",
                              ["no video to extend"])
        if len(request.reference_images) > caps.max_reference_images:
            raise self.refuse("reference_images", f"{len(request.reference_images)} reference "
                              "images asked", [f"at most {caps.max_reference_images}"])
        limit = caps.max_prompt_length
        if limit is not None and len(request.prompt) > limit:
            raise self.refuse("prompt", f"the prompt has {len(request.prompt)} characters",
                              [f"at most {limit} characters"])
        for field, image in (("image", request.image), ("last_frame", request.last_frame)):
            if image is not None:
                self.check_image(field, image)
        for image in request.reference_images:
            self.check_image("reference_images", image)

    def choose_source_video(self) -> VideoInput | None:
        """The source video if the model takes one; else dropped and reported (strict:
        refused), since the model would make a new clip, not an edit of this one."""
        video = self.request.source_video
        if video is None or self.caps.video_input:
            return video
        self.adjust("source_video", video.describe(), None,
                    f"{self.name} takes no source video; it generates from the prompt alone",
                    ["none"])
        return None

    def check_image(self, field: str, image: ImageInput) -> None:
        limits = self.caps.image_limits
        if image.data is None:
            return  # a URL is checked by the provider when it fetches it
        if image.mime_type not in limits.mime_types:
            raise self.refuse(field, f"{image.mime_type} images are not accepted",
                              limits.mime_types)
        if limits.max_bytes is not None and len(image.data) > limits.max_bytes:
            raise self.refuse(field, f"the image has {len(image.data)} bytes",
                              [f"at most {limits.max_bytes} bytes"])
        width, height = image.size or (0, 0)
        if limits.min_side is not None and min(width, height) < limits.min_side:
            raise self.refuse(field, f"the image is {width}x{height}",
                              [f"sides of at least {limits.min_side} px"])
        if limits.max_side is not None and max(width, height) > limits.max_side:
            raise self.refuse(field, f"the image is {width}x{height}",
                              [f"sides of at most {limits.max_side} px"])
        ratio = width / height
        low, high = limits.min_aspect, limits.max_aspect
        if (low is not None and ratio < low) or (high is not None and ratio > high):
            raise self.refuse(field, f"the image's width/height ratio is {ratio:.3f}",
                              [f"a ratio between {low} and {high}"])

    # -- size: aspect ratio first, then resolution -------------------------------------------
    def allowed_sizes(self) -> dict[str, dict[str, str]]:
        """The sizes table, narrowed by every applicable rule that limits sizes (read only:
        rows no rule narrows are the capability table's own)."""
        table = self.caps.sizes
        for rule in self.caps.rules:
            if rule.sizes is not None and self.applies(rule, resolution=None):
                table = {ratio: {res: size for res, size in by_res.items() if size in rule.sizes}
                         for ratio, by_res in table.items()}
        return {ratio: by_res for ratio, by_res in table.items() if by_res}

    def choose_size(self) -> tuple[str, str, str]:
        request, caps = self.request, self.caps
        table = self.allowed_sizes()
        if not table:
            raise self.refuse("size", "no size fits this request", caps.all_sizes)
        def everything() -> list[str]:
            return [size for by_res in table.values() for size in by_res.values()]

        image_size = self.image_size_required()
        if image_size is not None and request.size is None:
            if image_size not in everything():
                raise self.refuse("image", f"the input image must match the video size, and "
                                  f"{image_size} is not a size this model makes", everything())
            width, height = parse_size(image_size)
            aspect = next(ratio for ratio, by_res in table.items()
                          if image_size in by_res.values())
            resolution = next(res for res, size in table[aspect].items() if size == image_size)
            self.adjust("aspect_ratio", request.wanted_aspect_ratio, aspect,
                        "the input image sets the frame", list(table))
            self.adjust("resolution", request.wanted_resolution, resolution,
                        "the input image sets the frame", list(table[aspect]))
            return aspect, resolution, image_size

        wanted_ratio = request.wanted_aspect_ratio
        if wanted_ratio in table:
            aspect = wanted_ratio
        elif wanted_ratio is None and request.size is not None:
            aspect = _nearest_ratio(*parse_size(request.size), table)
        elif wanted_ratio is None:
            aspect = caps.default_aspect_ratio if caps.default_aspect_ratio in table else next(
                iter(table))
        else:
            aspect = _nearest_ratio(*_ratio_parts(wanted_ratio), table)
        self.adjust("aspect_ratio", wanted_ratio, aspect,
                    lambda: f"{self.name} makes {', '.join(table)}", lambda: list(table))

        by_res = table[aspect]
        wanted_res = request.wanted_resolution
        if wanted_res in by_res:
            resolution = wanted_res
        elif wanted_res is None:
            resolution = (caps.default_resolution if caps.default_resolution in by_res
                          else min(by_res, key=resolution_rank))
        else:
            rank = resolution_rank(wanted_res)
            resolution = min(by_res, key=lambda res: (abs(resolution_rank(res) - rank),
                                                      -resolution_rank(res)))
        self.adjust("resolution", wanted_res, resolution,
                    lambda: f"{self.name} makes {', '.join(by_res)} at {aspect}",
                    lambda: list(by_res))
        size = by_res[resolution]
        self.adjust("size", request.size, size, f"nearest size {self.name} makes", everything)
        if image_size is not None and image_size != size:
            raise self.refuse("image", f"the input image is {image_size} but the video is "
                              f"{size}; they must match", [size])
        return aspect, resolution, size

    def image_size_required(self) -> str | None:
        """The size the input image forces, for models whose frame must match the image."""
        image = self.request.image
        if not self.caps.image_limits.must_match_size or image is None or image.data is None:
            return None
        width, height = image.size or (0, 0)
        return f"{width}x{height}"

    # -- duration, audio, optional fields ----------------------------------------------------
    def rules_for(self, resolution: str) -> list[Rule]:
        return [rule for rule in self.caps.rules if self.applies(rule, resolution=resolution)]

    def applies(self, rule: Rule, *, resolution: str | None) -> bool:
        request = self.request
        if rule.when.resolutions is not None and resolution is None:
            return False
        return rule.when.holds(
            resolution=resolution, has_image=request.image is not None,
            has_last_frame=request.last_frame is not None,
            has_reference_images=bool(request.reference_images), audio=request.audio)

    def choose_duration(self, rules: list[Rule]) -> int:
        allowed = list(self.caps.durations)
        extending = self.request.extend is not None and bool(self.caps.extend_durations)
        if extending:
            allowed = list(self.caps.extend_durations)
        narrowing: Rule | None = None
        for rule in rules:
            if rule.durations is not None:
                narrowed = [value for value in allowed if value in rule.durations]
                if not narrowed:
                    raise self.refuse("duration", f"no duration fits ({rule.reason})",
                                      rule.durations)
                allowed, narrowing = narrowed, rule

        def reason() -> str:  # worded only if the duration changes (see ``adjust``)
            if narrowing is not None:
                return narrowing.reason or (f"only {_seconds(allowed)} "
                                            f"{narrowing.when.describe()}")
            verb = "extends a clip by" if extending else "makes clips of"
            return f"{self.name} {verb} {_seconds(allowed)}"

        asked = self.request.duration
        if asked is None:
            default = self.caps.default_duration
            return default if default in allowed else min(allowed)
        longer = [value for value in allowed if value >= asked - 1e-9]
        given = min(longer) if longer else max(allowed)
        self.adjust("duration", asked if asked != int(asked) else int(asked), given, reason,
                    allowed)
        return given

    def choose_audio(self, rules: list[Rule]) -> bool:
        support = self.caps.audio
        why = f"{self.name} {'never' if support == 'never' else 'always'} generates audio"
        for rule in rules:
            if rule.audio is not None:
                support, why = rule.audio, rule.reason or f"audio is {rule.audio} here"
        asked = self.request.audio
        if support == "never":
            if asked:
                raise self.refuse("audio", f"audio is required but {why}", [False])
            return False
        if support == "always":
            self.adjust("audio", asked, True, why, [True])
            return True
        return bool(asked)

    def optional_field(self, field: str, value: Any, supported: bool) -> Any:
        if value is None or supported:
            return value
        self.adjust(field, value, None, f"{self.name} takes no {field}; it is not sent", [])
        return None


class PlanCache:
    """Plans by request *shape*: ``normalise`` is a pure function of the request, and when
    the request carries no inputs (no image, video or extras) the prompt's text is the only
    part of it that differs between calls that are otherwise alike (a service sending one
    duration and size with many prompts). A hit copies the cached plan with this request's
    prompt and key; adjustments and warnings are the same by construction. A prompt over the
    model's limit is normalised afresh, so it is refused exactly as without the cache.
    Bounded: cleared when full (one client's shapes are few)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        # The capability row is held with its plan: keyed by id(), so it must stay alive.
        self._plans: dict[tuple[Any, ...], tuple[ModelCapabilities, Plan]] = {}

    def normalise(self, request: VideoRequest, capabilities: ModelCapabilities,
                  policy: Policy = "nearest", *, provider: str = "", model: str = "",
                  today: date | None = None, usd_per_unit: float | None = None,
                  base_model: str = "", request_key: str = "") -> Plan:
        """``normalise`` with the same arguments, from the cache when it can be."""
        def fresh() -> Plan:
            return normalise(request, capabilities, policy, provider=provider, model=model,
                             today=today, usd_per_unit=usd_per_unit, base_model=base_model,
                             request_key=request_key)

        shape = _shape(request)
        limit = capabilities.max_prompt_length
        if shape is None or (limit is not None and len(request.prompt) > limit):
            return fresh()
        key = (provider, model, id(capabilities), policy, today, usd_per_unit, base_model,
               shape)
        found = self._plans.get(key)
        if found is None or found[0] is not capabilities:
            plan = fresh()
            if len(self._plans) >= self.size:
                self._plans.clear()
            self._plans[key] = (capabilities, plan)
            return plan
        # Each plan its own (empty) extra: a dict is the one mutable part of a plan.
        return found[1].model_copy(update={"prompt": request.prompt, "request_key": request_key,
                                         "extra": {}})


def _shape(request: VideoRequest) -> tuple[Any, ...] | None:
    """The fields a plan depends on besides the prompt, or None when the request has inputs
    (images, a video, extras) that the cache does not key by."""
    if (request.image is not None or request.last_frame is not None or request.reference_images
            or request.extend is not None or request.source_video is not None or request.extra):
        return None
    return (request.negative_prompt, request.duration, request.resolution, request.aspect_ratio,
            request.size, request.audio, request.seed)


def _ratio_parts(ratio: str) -> tuple[int, int]:
    width, height = ratio.split(":")
    return int(width), int(height)


def _nearest_ratio(width: int, height: int, table: dict[str, dict[str, str]]) -> str:
    wanted = math.log(width / height)
    return min(table, key=lambda ratio: abs(math.log(_ratio_value(ratio, table)) - wanted))


def _ratio_value(ratio: str, table: dict[str, dict[str, str]]) -> float:
    width, height = parse_size(next(iter(table[ratio].values())))
    return width / height


def _seconds(values: Sequence[int]) -> str:
    return ", ".join(f"{value}" for value in values) + " s"


__all__ = ["PlanCache", "normalise", "aspect_ratio_of"]
