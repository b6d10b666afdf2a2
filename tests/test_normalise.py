"""normalise(): examples, and its three laws proved over random requests x random tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidbridge import (
    CapabilityError,
    ImageInput,
    ModelCapabilities,
    Price,
    Rule,
    RuleCondition,
    VideoRequest,
    normalise,
)
from vidbridge.models import ASPECT_RATIOS, ImageLimits, Lifecycle, aspect_ratio_of, parse_size
from vidbridge.normalisation import PlanCache

from .test_models import png

VEO_LIKE = ModelCapabilities(
    durations=(4, 6, 8),
    sizes={"16:9": {"720p": "1280x720", "1080p": "1920x1080", "4k": "3840x2160"},
           "9:16": {"720p": "720x1280", "1080p": "1080x1920"}},
    default_aspect_ratio="16:9", default_resolution="720p", audio="always",
    supports_image=True, supports_last_frame=True, max_reference_images=3,
    supports_negative_prompt=True,
    rules=(Rule(when=RuleCondition(resolutions=("1080p", "4k")), durations=(8,),
                reason="8 s only at 1080p and 4k"),
           Rule(when=RuleCondition(has_reference_images=True), durations=(8,),
                reason="8 s only with reference images")),
    price=Price(per_second={"720p": 0.4, "1080p": 0.4, "4k": 0.6}),
)
URL = ImageInput(url="https://example.com/frame.png")


def test_duration_rounds_up_to_the_next_allowed_value() -> None:
    plan = normalise(VideoRequest(prompt="x", duration=5), VEO_LIKE, provider="veo", model="v")
    assert plan.duration == 6
    [change] = plan.adjustments
    assert (change.field, change.asked, change.given) == ("duration", 5, 6)


def test_duration_above_the_longest_takes_the_longest() -> None:
    assert normalise(VideoRequest(prompt="x", duration=12), VEO_LIKE).duration == 8


def test_cross_field_rule_is_data_and_its_reason_is_reported() -> None:
    plan = normalise(VideoRequest(prompt="x", duration=4, resolution="1080p"), VEO_LIKE)
    assert plan.duration == 8
    assert plan.adjustments[0].reason == "8 s only at 1080p and 4k"
    with pytest.raises(CapabilityError, match="allowed duration: 8") as caught:
        normalise(VideoRequest(prompt="x", duration=4, resolution="1080p"), VEO_LIKE, "strict")
    assert caught.value.field == "duration" and caught.value.allowed == (8,)


def test_strict_refuses_and_names_what_is_allowed() -> None:
    with pytest.raises(CapabilityError, match="allowed duration: 4, 6, 8"):
        normalise(VideoRequest(prompt="x", duration=5), VEO_LIKE, "strict")
    with pytest.raises(CapabilityError, match="allowed aspect_ratio: 16:9, 9:16"):
        normalise(VideoRequest(prompt="x", aspect_ratio="1:1"), VEO_LIKE, "strict")


def test_defaults_fill_what_the_caller_left_open_without_adjustments() -> None:
    plan = normalise(VideoRequest(prompt="x"), VEO_LIKE)
    assert (plan.duration, plan.size, plan.audio) == (4, "1280x720", True)
    assert plan.adjustments == () and plan.estimated_cost_usd == pytest.approx(1.6)


def test_unwanted_audio_on_an_always_audio_model_is_reported() -> None:
    plan = normalise(VideoRequest(prompt="x", audio=False), VEO_LIKE)
    assert plan.audio is True and plan.adjustments[0].field == "audio"


def test_missing_resolution_for_an_aspect_picks_the_nearest() -> None:
    plan = normalise(VideoRequest(prompt="x", aspect_ratio="9:16", resolution="4k"), VEO_LIKE)
    assert (plan.size, plan.resolution) == ("1080x1920", "1080p")


@pytest.mark.parametrize(("field", "value", "caps_change"), [
    ("audio", True, {"audio": "never"}),
    ("image", URL, {"supports_image": False}),
    ("last_frame", URL, {"supports_last_frame": False}),
    ("reference_images", (URL,), {"max_reference_images": 0}),
])
def test_hard_requirements_raise_under_both_policies(field: str, value: Any,
                                                     caps_change: dict[str, Any]) -> None:
    caps = VEO_LIKE.model_copy(update=caps_change)
    extra = {"image": URL} if field == "last_frame" else {}
    request = VideoRequest(prompt="x", **{field: value}, **extra)
    for policy in ("nearest", "strict"):
        with pytest.raises(CapabilityError) as caught:
            normalise(request, caps, policy)  # type: ignore[arg-type]
        assert caught.value.field == field


def test_text_only_on_an_image_only_model_is_refused() -> None:
    caps = VEO_LIKE.model_copy(update={"supports_text": False})
    with pytest.raises(CapabilityError, match="input image is required") as caught:
        normalise(VideoRequest(prompt="x"), caps)
    assert caught.value.field == "image"


def test_image_limits_are_checked_before_upload() -> None:
    caps = VEO_LIKE.model_copy(update={"image_limits": ImageLimits(min_aspect=0.5,
                                                                   max_aspect=2.0)})
    tall = ImageInput(data=png(100, 300), mime_type="image/png")
    with pytest.raises(CapabilityError, match="ratio is 0.333.*between 0.5 and 2.0"):
        normalise(VideoRequest(prompt="x", image=tall), caps)


def test_image_that_must_match_the_size_picks_or_refuses() -> None:
    caps = VEO_LIKE.model_copy(update={"image_limits": ImageLimits(must_match_size=True)})
    portrait = ImageInput(data=png(720, 1280), mime_type="image/png")
    assert normalise(VideoRequest(prompt="x", image=portrait), caps).size == "720x1280"
    with pytest.raises(CapabilityError, match="input image is 720x1280 but the video is "
                                              "1280x720"):
        normalise(VideoRequest(prompt="x", image=portrait, size="1280x720"), caps)
    odd = ImageInput(data=png(64, 36), mime_type="image/png")
    with pytest.raises(CapabilityError, match="64x36 is not a size"):
        normalise(VideoRequest(prompt="x", image=odd), caps)


def test_unsupported_seed_is_dropped_and_reported_or_refused() -> None:
    plan = normalise(VideoRequest(prompt="x", seed=7), VEO_LIKE)
    assert plan.seed is None and plan.adjustments[0].field == "seed"
    with pytest.raises(CapabilityError, match="seed"):
        normalise(VideoRequest(prompt="x", seed=7), VEO_LIKE, "strict")


def test_long_prompt_is_refused_not_cut() -> None:
    caps = VEO_LIKE.model_copy(update={"max_prompt_length": 10})
    with pytest.raises(CapabilityError, match="at most 10 characters"):
        normalise(VideoRequest(prompt="x" * 11), caps)


def test_retired_model_plans_with_a_warning() -> None:
    caps = VEO_LIKE.model_copy(update={"lifecycle": Lifecycle(retired_on=date(2026, 9, 24))})
    plan = normalise(VideoRequest(prompt="x"), caps, provider="sora", model="sora-2",
                     today=date(2026, 11, 25))
    assert plan.warnings == ("sora:sora-2 is retired since 2026-09-24",)


# --- the three laws --------------------------------------------------------------------------

SIZES = {"16:9": ["1280x720", "1920x1080", "3840x2160", "1792x1024"],
         "9:16": ["720x1280", "1080x1920", "1024x1792"], "1:1": ["960x960", "720x720"],
         "4:3": ["1104x832"], "21:9": ["1584x672"]}


@st.composite
def capability_tables(draw: st.DrawFn) -> ModelCapabilities:
    ratios = draw(st.lists(st.sampled_from(sorted(SIZES)), min_size=1, max_size=4, unique=True))
    sizes: dict[str, dict[str, str]] = {}
    for ratio in ratios:
        chosen = draw(st.lists(st.sampled_from(SIZES[ratio]), min_size=1, unique=True))
        sizes[ratio] = {f"{min(parse_size(s))}p" if min(parse_size(s)) < 2160 else "4k": s
                        for s in chosen}
    durations = tuple(sorted(draw(st.sets(st.integers(1, 20), min_size=1, max_size=5))))
    rules = ()
    if draw(st.booleans()):
        resolutions = tuple({res for table in sizes.values() for res in table})
        rules = (Rule(when=RuleCondition(resolutions=resolutions[:1]),
                      durations=(durations[-1],), reason="longest only at this resolution"),)
    return ModelCapabilities(
        durations=durations, sizes=sizes, rules=rules,
        audio=draw(st.sampled_from(["never", "optional", "always"])),
        supports_text=draw(st.booleans()), supports_image=draw(st.booleans()),
        supports_last_frame=draw(st.booleans()),
        max_reference_images=draw(st.integers(0, 3)), supports_seed=draw(st.booleans()),
        supports_negative_prompt=draw(st.booleans()))


@st.composite
def requests(draw: st.DrawFn) -> VideoRequest:
    fields: dict[str, Any] = {"prompt": draw(st.sampled_from(["a kite", "rain on glass"]))}
    if draw(st.booleans()):
        fields["duration"] = draw(st.one_of(st.integers(1, 25), st.floats(0.5, 25)))
    choice = draw(st.integers(0, 2))
    if choice == 1:
        fields["size"] = draw(st.sampled_from([s for group in SIZES.values() for s in group]))
    elif choice == 2:
        fields["aspect_ratio"] = draw(st.sampled_from(sorted(ASPECT_RATIOS)))
        fields["resolution"] = draw(st.sampled_from(["480p", "720p", "1080p", "4k", None]))
    fields["audio"] = draw(st.sampled_from([True, False, None]))
    if draw(st.booleans()):
        fields["image"] = URL
        if draw(st.booleans()):
            fields["last_frame"] = URL
    fields["reference_images"] = (URL,) * draw(st.integers(0, 2))
    fields["seed"] = draw(st.one_of(st.none(), st.integers(0, 2**32 - 1)))
    fields["negative_prompt"] = draw(st.sampled_from([None, "blur"]))
    return VideoRequest(**fields)


ASKED = {
    "duration": lambda r: r.duration, "size": lambda r: r.size,
    "aspect_ratio": lambda r: r.wanted_aspect_ratio, "resolution": lambda r: r.wanted_resolution,
    "audio": lambda r: r.audio, "seed": lambda r: r.seed,
    "negative_prompt": lambda r: r.negative_prompt,
}


def hard_requirements_unmet(request: VideoRequest, caps: ModelCapabilities) -> set[str]:
    unmet = {
        "audio": bool(request.audio) and caps.audio == "never",
        "image": (request.image is None and not caps.supports_text)
        or (request.image is not None and not caps.supports_image),
        "last_frame": request.last_frame is not None and not caps.supports_last_frame,
        "reference_images": len(request.reference_images) > caps.max_reference_images,
    }
    return {field for field, missing in unmet.items() if missing}


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(request=requests(), caps=capability_tables())
def test_law_a_every_planned_value_is_accepted(request: VideoRequest,
                                               caps: ModelCapabilities) -> None:
    try:
        plan = normalise(request, caps)
    except CapabilityError:
        return
    assert plan.duration in caps.durations
    assert plan.size == caps.sizes[plan.aspect_ratio][plan.resolution]
    assert aspect_ratio_of(*parse_size(plan.size)) == plan.aspect_ratio
    for rule in caps.rules:
        if plan.resolution in (rule.when.resolutions or ()) and rule.durations:
            assert plan.duration in rule.durations
    assert plan.audio is (caps.audio == "always" or (caps.audio == "optional"
                                                     and bool(request.audio)))
    assert plan.seed is None or caps.supports_seed
    assert plan.negative_prompt is None or caps.supports_negative_prompt


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(request=requests(), caps=capability_tables())
def test_law_b_every_change_is_reported(request: VideoRequest, caps: ModelCapabilities) -> None:
    try:
        plan = normalise(request, caps)
    except CapabilityError:
        return
    reported = {change.field: change for change in plan.adjustments}
    for field, asked_of in ASKED.items():
        asked, given = asked_of(request), getattr(plan, field)
        if asked is not None and asked != given:
            assert field in reported, f"{field}: {asked!r} -> {given!r} not reported"
            assert reported[field].given == given
    for change in plan.adjustments:
        assert change.asked != change.given and change.reason


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(request=requests(), caps=capability_tables(),
       policy=st.sampled_from(["nearest", "strict"]))
def test_law_c_unmet_hard_requirements_raise(request: VideoRequest, caps: ModelCapabilities,
                                             policy: str) -> None:
    unmet = hard_requirements_unmet(request, caps)
    if not unmet:
        return
    with pytest.raises(CapabilityError) as caught:
        normalise(request, caps, policy)  # type: ignore[arg-type]
    assert caught.value.field in unmet
    assert "allowed" in str(caught.value)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(request=requests(), caps=capability_tables())
def test_strict_either_changes_nothing_or_raises(request: VideoRequest,
                                                 caps: ModelCapabilities) -> None:
    try:
        plan = normalise(request, caps, "strict")
    except CapabilityError:
        return
    assert plan.adjustments == ()


def _outcome(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs).model_dump()
    except CapabilityError as refused:
        return ("refused", str(refused), refused.field)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(request=requests(), caps=capability_tables(),
       policy=st.sampled_from(["nearest", "strict"]),
       prompts=st.lists(st.text(min_size=1, max_size=30).filter(str.strip), min_size=1,
                        max_size=3))
def test_law_d_the_plan_cache_answers_as_normalise_does(
        request: VideoRequest, caps: ModelCapabilities, policy: str,
        prompts: list[str]) -> None:
    """Requests of one shape with other prompts (and keys) get from the cache exactly the
    plan, or the refusal, that normalise itself gives."""
    cache = PlanCache()
    limited = caps.model_copy(update={"max_prompt_length": 12})
    for table in (caps, limited):
        for index, prompt in enumerate([request.prompt, *prompts]):
            asked = request.model_copy(update={"prompt": prompt.strip()})
            kwargs: dict[str, Any] = {"provider": "p", "model": "m", "today": date(2026, 12, 2),
                                      "request_key": f"req-{index}", "policy": policy}
            expected = _outcome(normalise, asked, table, **kwargs)
            assert _outcome(cache.normalise, asked, table, **kwargs) == expected


def test_cached_plans_do_not_share_their_extra_dict() -> None:
    cache = PlanCache()
    first, second = (cache.normalise(VideoRequest(prompt=text, duration=6), VEO_LIKE)
                     for text in ("a kite", "rain on glass"))
    assert (first.prompt, second.prompt) == ("a kite", "rain on glass")
    assert first.extra is not second.extra and second.duration == first.duration == 6
