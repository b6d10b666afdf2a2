"""Kling's newer create bodies, checked the way docs/reference/kling.md describes them:
``/v1/videos/omni-video`` (``kling-v3-omni``, ``kling-video-o1``: every image in
``image_list``, typed ``first_frame`` / ``end_frame`` or untyped references) and
``/v1/videos/video-extend`` (``video_id`` of a finished video; one call adds 4-5 s, read here
as 5 s, and the task returns the whole extended video).

Each check returns ``(problem, facts)``: a 1201 message, or what the task needs to be made.
Written from the reference notes, independently of the adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .kling_frames import ACCOUNT, T2V_FRAMES, _frame, _image_size, _is_url

if TYPE_CHECKING:
    from .common import Simulator
    from .jobs import Job
    from .scenarios import Spec

FRAME_TYPES = ("first_frame", "end_frame")
ASPECTS = ("16:9", "9:16", "1:1")
MAX_IMAGES = 7  # without a reference video (with one: 4)
EXTEND_SECONDS = 5  # "4~5 s" per extension
MAX_EXTENDED_S = 180  # an extended video may reach 3 minutes in total
PROMPT_CHARS = 2500
PROVIDER = "kling"


@dataclass(frozen=True)
class OmniModel:
    durations: tuple[str, ...]
    sound: bool
    short_5_10: bool  # text-only / first-frame-only requests take 5 or 10 s
    units_5s: tuple[float, float] | None  # not published: the task reports none


OMNI_MODELS = {
    "kling-v3-omni": OmniModel(tuple(str(s) for s in range(3, 16)), True, False, None),
    "kling-video-o1": OmniModel(tuple(str(s) for s in range(3, 11)), False, True, None),
}


def check_omni(body: dict[str, Any], is_image: Any) -> tuple[str | None, dict[str, Any]]:
    """``is_image(value)`` says whether a value is a URL or raw base64 image data."""
    name = body.get("model_name")
    model = OMNI_MODELS.get(name) if isinstance(name, str) else None
    if model is None:
        return f"model_name '{name}' is not supported for omni-video", {"code": 1203}
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt or len(prompt) > PROMPT_CHARS:
        return "prompt is required, a string of at most 2500 characters", {}
    images = body.get("image_list", [])
    if not isinstance(images, list) or len(images) > MAX_IMAGES:
        return f"image_list must be a list of at most {MAX_IMAGES} images", {}
    kinds: list[str | None] = []
    for entry in images:
        if not isinstance(entry, dict) or not is_image(entry.get("image_url")) or (
                entry.get("type") not in (None, *FRAME_TYPES)) or set(entry) - {"image_url",
                                                                                 "type"}:
            return ("image_list entries must be {image_url, type?} with type first_frame or "
                    "end_frame"), {}
        kinds.append(entry.get("type"))
    if any(kinds.count(kind) > 1 for kind in FRAME_TYPES):
        return "image_list holds at most one first_frame and one end_frame", {}
    if "end_frame" in kinds and len(images) > 2:
        return "an end_frame is not supported with more than 2 images", {}
    if "end_frame" in kinds and "first_frame" not in kinds:
        return "an end_frame needs a first_frame", {}
    first = next((e["image_url"] for e in images if e.get("type") == "first_frame"), None)
    aspect = body.get("aspect_ratio")
    if first is None and aspect not in ASPECTS:
        return "aspect_ratio is required without a first frame: one of [16:9, 9:16, 1:1]", {}
    duration = body.get("duration", "5")
    if duration not in model.durations:
        return (f"duration value '{duration}' is invalid, must be one of "
                f"[{model.durations[0]}-{model.durations[-1]}]"), {}
    references = [kind for kind in kinds if kind is None]
    if model.short_5_10 and "end_frame" not in kinds and not references and duration not in (
            "5", "10"):
        return f"duration value '{duration}' is invalid without an end frame or references, " \
               "must be one of [5, 10]", {}
    mode = body.get("mode", "pro")  # omni-video's documented default
    if mode not in ("std", "pro"):
        return f"mode value '{mode}' is invalid, must be one of [std, pro]", {}
    sound = body.get("sound")
    if sound is not None and (not model.sound or sound not in ("on", "off")):
        return f"sound is not supported by {name}" if not model.sound else (
            f"sound value '{sound}' is invalid, must be one of [on, off]"), {}
    if "negative_prompt" in body:
        return f"negative_prompt is not supported by {name}", {}
    return None, {"name": name, "mode": mode, "seconds": int(duration), "first": first,
                  "aspect": aspect or "16:9", "audio": sound == "on"}


def check_extend(body: dict[str, Any], find_video: Any) -> tuple[str | None, dict[str, Any]]:
    """``find_video(video_id)`` returns the finished job that made that video, or None."""
    video_id = body.get("video_id")
    if not isinstance(video_id, str) or not video_id:
        return "video_id is required", {}
    parent = find_video(video_id)
    if parent is None:
        return f"video_id '{video_id}' does not exist or has expired", {"code": 1203}
    for field in ("prompt", "negative_prompt"):
        value = body.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > PROMPT_CHARS):
            return f"{field} is invalid, must be a string of at most 2500 characters", {}
    cfg = body.get("cfg_scale")
    if cfg is not None and (isinstance(cfg, bool) or not isinstance(cfg, int | float)
                            or not 0 <= cfg <= 1):
        return f"cfg_scale value '{cfg}' is invalid, must be in [0, 1]", {}
    seconds = parent.seconds + EXTEND_SECONDS
    if seconds > MAX_EXTENDED_S:
        return "an extended video may not exceed 3 minutes", {}
    return None, {"parent": parent, "seconds": seconds}


def valid_callback(body: dict[str, Any]) -> str | None:
    url = body.get("callback_url")
    if url is not None and not (isinstance(url, str) and url.startswith(("https://",
                                                                          "http://"))):
        return "callback_url is invalid, must be an http(s) URL"
    return None


class OmniEndpoints:
    """The omni-video and video-extend creators of ``KlingVideos`` (which provides ``sim``,
    ``_error``, ``_fated`` and ``_made``)."""

    sim: Simulator
    _error: Callable[..., Response]
    _fated: Callable[..., tuple[set[str], tuple[Spec, ...]] | Response]
    _made: Callable[..., Response]

    def _create_omni(self, request: Request, body: dict[str, Any], prompt: object,
                     fired: list[Spec]) -> Response:
        problem, facts = check_omni(body, lambda v: _is_url(v) or _image_size(v) is not None)
        if problem is not None:
            code = facts.get("code", 1201)
            return self._error(404 if code == 1203 else 400, code, problem)
        fated = self._fated(request, prompt)
        if isinstance(fated, Response):
            return fated
        across, down = (_image_size(facts["first"]) or (16, 9)) if facts["first"] else \
            T2V_FRAMES[facts["aspect"]]
        short = 1080 if facts["mode"] == "pro" else 720
        if across == down:
            short = 1440 if facts["mode"] == "pro" else 960
        return self._made(body, facts["name"], "omni-video", facts["seconds"],
                          _frame(across, down, short), facts["audio"], None, *fated, fired)

    def _create_extend(self, request: Request, body: dict[str, Any], prompt: object,
                       fired: list[Spec]) -> Response:
        problem, facts = check_extend(body, self._video)
        if problem is not None:
            code = facts.get("code", 1201)
            return self._error(404 if code == 1203 else 400, code, problem)
        fated = self._fated(request, prompt)
        if isinstance(fated, Response):
            return fated
        parent: Job = facts["parent"]
        base = f"{request.url.scheme}://{request.url.netloc}/kling/bs2/upload-kling-api"
        info = {"id": parent.extra["video_id"], "duration": f"{parent.seconds:.1f}",
                "url": f"{base}/{ACCOUNT}/{parent.extra['family']}/{parent.id}"
                       "-0_raw_video_1.mp4"}
        units = parent.extra["units"]
        return self._made(body, parent.model, "video-extend", facts["seconds"],
                          (parent.width, parent.height), parent.audio,
                          units * 5 / parent.seconds if units is not None else None, *fated,
                          fired, extra={"parent_video": info})

    def _video(self, video_id: str) -> Job | None:
        """The finished task that made ``video_id`` (extension takes Kling's own videos)."""
        for job in self.sim.store.all(PROVIDER):
            if job.extra.get("video_id") == video_id and job.succeeds:
                return job
        return None
