"""Kling create bodies, one per endpoint family: pure functions of a ``Plan``.

- classic (``text2video`` / ``image2video``): ``model_name``, ``mode``, ``image``/``image_tail``,
  ``aspect_ratio`` (text only), ``duration`` as a string, ``sound`` where the model has it;
- ``omni-video``: every image in ``image_list`` — the first frame as ``type: first_frame``, the
  last as ``type: end_frame``, reference images without a type; ``aspect_ratio`` only without
  a first frame (the frame follows it otherwise);
- ``video-extend``: the ``video_id`` of the clip to continue, an optional prompt.

Documented passthrough keys of ``plan.extra`` (anything else is refused by name):
``external_task_id`` (our nonce), ``callback_url`` (every create), ``watermark_info``,
``cfg_scale`` (models that take it), and the multi-shot trio ``multi_shot`` / ``shot_type`` /
``multi_prompt`` (kling-v3 and kling-v3-omni).
"""

from __future__ import annotations

import re
from typing import Any

from vidbridge import Plan, errors
from vidbridge.models import ImageInput
from vidbridge_kling_models import BY_KEY, PROMPT_CHARS, Spec

FAMILIES = ("text2video", "image2video", "omni-video", "video-extend")
SHOT_TYPES = ("customize", "intelligence")
MAX_SHOTS = 6  # multi_prompt holds up to 6 shots (Vercel @ai-sdk/klingai option docs)
URL = re.compile(r"^https?://[^\s/]+")


def family_of(plan: Plan) -> str:
    """The endpoint family a plan is created, queried and looked up on."""
    if plan.extend is not None:
        return "video-extend"
    if BY_KEY[plan.table_model].family == "omni":
        return "omni-video"
    return "image2video" if plan.image is not None else "text2video"


def wire_model(plan: Plan) -> tuple[Spec, str, str | None]:
    """The table row, the ``model_name`` and the ``mode`` a plan sends. A model the config
    added with ``like`` sends its own name (and the mode its id carries, else its row's)."""
    spec = BY_KEY[plan.table_model]
    if plan.model == plan.table_model:
        return spec, spec.model_name, spec.mode
    name, _, mode = plan.model.partition(":")
    return spec, name, mode or spec.mode


def body_for(plan: Plan, provider: str) -> dict[str, Any]:
    spec, _, _ = wire_model(plan)
    family = family_of(plan)
    if family == "video-extend":
        body = extend_body(plan, spec)
    elif family == "omni-video":
        body = omni_body(plan, spec)
    else:
        body = classic_body(plan, spec)
    body.update(extra_fields(plan, spec, family, provider))
    return body


def classic_body(plan: Plan, spec: Spec) -> dict[str, Any]:
    _, name, mode = wire_model(plan)
    body: dict[str, Any] = {"model_name": name}
    if plan.image is not None:
        body["image"] = image_value(plan.image)
        if plan.last_frame is not None:
            body["image_tail"] = image_value(plan.last_frame)
    if plan.prompt:
        body["prompt"] = plan.prompt
    add_negative(body, plan)
    if mode is not None:
        body["mode"] = mode
    if plan.image is None:
        body["aspect_ratio"] = plan.aspect_ratio
    body["duration"] = str(plan.duration)
    if spec.has_sound:
        body["sound"] = "on" if plan.audio else "off"
    return body


def omni_body(plan: Plan, spec: Spec) -> dict[str, Any]:
    _, name, mode = wire_model(plan)
    if plan.last_frame is not None and plan.reference_images:
        raise errors.CapabilityError(
            f"kling:{plan.model}: an end frame cannot be combined with reference images on "
            "omni-video", field="last_frame", allowed=["a last frame, or reference images"],
            model=plan.model)
    images: list[dict[str, str]] = []
    if plan.image is not None:
        images.append({"image_url": image_value(plan.image), "type": "first_frame"})
    if plan.last_frame is not None:
        images.append({"image_url": image_value(plan.last_frame), "type": "end_frame"})
    images.extend({"image_url": image_value(image)} for image in plan.reference_images)
    body: dict[str, Any] = {"model_name": name, "prompt": plan.prompt}
    if images:
        body["image_list"] = images
    if mode is not None:
        body["mode"] = mode
    if plan.image is None:
        body["aspect_ratio"] = plan.aspect_ratio  # required without a first frame
    body["duration"] = str(plan.duration)
    if spec.has_sound:
        body["sound"] = "on" if plan.audio else "off"
    return body


def extend_body(plan: Plan, spec: Spec) -> dict[str, Any]:
    source = plan.extend
    assert source is not None
    if source.model and source.model != plan.table_model:
        raise errors.CapabilityError(
            f"kling:{plan.model}: Kling extends a video with the model that made it "
            f"({source.model})", field="extend", allowed=[f"kling:{source.model}"],
            model=plan.model)
    if not source.video_id:
        raise errors.CapabilityError(
            f"kling:{plan.model}: extending needs the Kling video id of the clip (a finished "
            "Kling job records it as meta['video_id'])", field="extend",
            allowed=["a Kling job or VideoRef with video_id"], model=plan.model)
    body: dict[str, Any] = {"video_id": source.video_id}
    if plan.prompt:
        body["prompt"] = plan.prompt
    add_negative(body, plan)
    return body


def add_negative(body: dict[str, Any], plan: Plan) -> None:
    if not plan.negative_prompt:
        return
    if len(plan.negative_prompt) > PROMPT_CHARS:
        raise errors.CapabilityError(
            f"kling:{plan.model}: the negative prompt has {len(plan.negative_prompt)} "
            "characters", field="negative_prompt",
            allowed=[f"at most {PROMPT_CHARS} characters"], model=plan.model)
    body["negative_prompt"] = plan.negative_prompt


def extra_fields(plan: Plan, spec: Spec, family: str, provider: str) -> dict[str, Any]:
    """Documented passthrough keys of ``plan.extra``; anything else is refused."""
    allowed = ["external_task_id", "callback_url", "watermark_info"]
    if spec.cfg_scale or family == "video-extend":
        allowed.append("cfg_scale")
    if spec.multi_shot and family != "video-extend":
        allowed += ["multi_shot", "shot_type", "multi_prompt"]
    errors.refuse_unknown_extra(plan.extra, tuple(allowed), provider=provider,
                                model=f"kling:{plan.model}")
    extra = plan.extra
    fields: dict[str, Any] = {}

    def invalid(param: str, message: str) -> errors.InvalidRequestError:
        return errors.InvalidRequestError(message, provider=provider, param=param)

    if (url := extra.get("callback_url")) is not None:
        if not isinstance(url, str) or not URL.match(url):
            raise invalid("callback_url", "callback_url must be an http(s) URL")
        fields["callback_url"] = url
    if (watermark := extra.get("watermark_info")) is not None:
        if not (isinstance(watermark, dict) and set(watermark) == {"enabled"}
                and isinstance(watermark["enabled"], bool)):
            raise invalid("watermark_info", "watermark_info must be {'enabled': true|false}")
        fields["watermark_info"] = {"enabled": watermark["enabled"]}
    if (cfg := extra.get("cfg_scale")) is not None:
        if isinstance(cfg, bool) or not isinstance(cfg, int | float) or not 0 <= cfg <= 1:
            raise invalid("cfg_scale", f"cfg_scale must be a number from 0 to 1, not {cfg!r}")
        fields["cfg_scale"] = float(cfg)
    fields.update(multi_shot_fields(plan, invalid))
    return fields


def multi_shot_fields(plan: Plan, invalid: Any) -> dict[str, Any]:
    extra = plan.extra
    if not any(key in extra for key in ("multi_shot", "shot_type", "multi_prompt")):
        return {}
    if extra.get("multi_shot") is not True:
        raise invalid("multi_shot", "shot_type and multi_prompt need multi_shot = true")
    shot_type = extra.get("shot_type")
    if shot_type not in SHOT_TYPES:
        raise invalid("shot_type", f"shot_type must be one of {', '.join(SHOT_TYPES)}")
    if plan.last_frame is not None:
        raise invalid("multi_shot", "multi-shot takes no last frame")
    fields: dict[str, Any] = {"multi_shot": True, "shot_type": shot_type}
    shots = extra.get("multi_prompt")
    if shot_type == "intelligence" and shots is None:
        return fields
    if not isinstance(shots, list) or not 1 <= len(shots) <= MAX_SHOTS:
        raise invalid("multi_prompt", f"multi_prompt must be a list of 1 to {MAX_SHOTS} shots "
                      "({'index', 'prompt', 'duration'})")
    cleaned, total = [], 0
    for number, shot in enumerate(shots, start=1):
        if not (isinstance(shot, dict) and set(shot) == {"index", "prompt", "duration"}
                and isinstance(shot["prompt"], str) and shot["prompt"]
                and str(shot["duration"]).isdigit()):
            raise invalid("multi_prompt", f"multi_prompt shot {number} must be "
                          "{'index': int, 'prompt': text, 'duration': seconds}")
        total += int(shot["duration"])
        cleaned.append({"index": int(shot["index"]), "prompt": shot["prompt"],
                        "duration": str(shot["duration"])})
    if total != plan.duration:
        raise invalid("multi_prompt", f"the shots last {total} s but the video is "
                      f"{plan.duration} s; they must add up")
    fields["multi_prompt"] = cleaned
    return fields


def image_value(image: ImageInput) -> str:
    """A public URL, or raw base64 (Kling refuses the ``data:`` prefix)."""
    return image.url if image.url is not None else image.base64()
