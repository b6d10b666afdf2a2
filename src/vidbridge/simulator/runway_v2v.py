"""Runway ``POST /v1/video_to_video`` for ``aleph2``, written from shared/reference/
runway-gen4.md §3.3 and the runwayml 5.24.0 ``video_to_video_create_params`` it cites.

``videoUri`` (required): an https URL, a ``runway://`` upload URI, or a base64 data URI of at
most 16 MB (read as 16 * 10**6 characters of the whole string, the stricter reading). The
output follows the input video: a data URI's clip is probed for its length and frame; a URL
(never fetched here) stands for a 5 s 1280x720 clip. The task's price is not in the reference,
so it reports no ``estimatedCost``. The partner models the SDK also lists on this endpoint
(``promptVideo``) are not simulated: they answer as unknown models. Issue wording for the
videoUri checks is constructed (zod-style, like the other endpoints).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .common import SimulatorError, fate_of, json_response, simulator_error
from .jobs import Job
from .media import probe_mp4
from .runway_api import PROVIDER, _bad_model, _issues, _missing, _one_of, _type_name

if TYPE_CHECKING:
    from .runway_api import RunwayTasks

MODEL = "aleph2"
MAX_DATA_URI = 16 * 1000 * 1000
PROMPT_UNITS = 1000
TARGET_ASPECT_RATIOS = ("16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "21:9")
OUTPUT_FORMATS = ("mp4", "prores", "png_sequence", "sdr_rec709_10bit")
MAX_KEYFRAMES = 5
NOMINAL = (5.0, 1280, 720)  # the shape a fetched-by-URL input stands for
DATA_URI = re.compile(r"^data:video/[\w.+-]+;base64,(.*)$", re.DOTALL)


async def create_video_to_video(tasks: RunwayTasks, request: Request) -> Response:
    body, fired, early = await tasks.open_submit(request)
    if early is not None:
        return early
    prompt = body.get("promptText")
    if body.get("model") != MODEL:
        return _issues(_bad_model())
    issues = validate(body)
    if issues:
        return _issues(*issues)
    try:
        fate, carried = tasks.sim.job_fate(PROVIDER, request, prompt)
    except ValueError as error:
        return simulator_error(SimulatorError(str(error)))
    seconds, width, height = input_shape(body["videoUri"])
    settings = tasks.sim.settings
    job = tasks.sim.store.add(Job(
        id=tasks.sim.store.uuid(), provider=PROVIDER, model=MODEL, seconds=seconds,
        width=width, height=height, audio=False, created=settings.now(),
        created_wall=settings.wall_clock(), prompt=prompt if isinstance(prompt, str) else None,
        fate=fate_of(fate), throttled="throttled" in fate, specs=carried,
        extra={"credits": None, "video_uri_kind": body["videoUri"].split(":", 1)[0]},
    ))
    return json_response({"id": job.id}, fired=fired)


def validate(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Zod-style issues for an aleph2 body (empty when it is valid)."""
    issues = video_uri_issues(body.get("videoUri"))
    prompt = body.get("promptText")
    if prompt is not None:
        if not isinstance(prompt, str):
            issues.append(_missing("promptText", got=_type_name(prompt)))
        elif not 1 <= len(prompt.encode("utf-16-le")) // 2 <= PROMPT_UNITS:
            big = bool(prompt)
            issues.append({"origin": "string", "code": "too_big" if big else "too_small",
                           "maximum" if big else "minimum": PROMPT_UNITS if big else 1,
                           "inclusive": True, "path": ["promptText"], "message":
                           f"Too {'big' if big else 'small'}: expected string to have "
                           f"{'<=' if big else '>='}{PROMPT_UNITS if big else 1} characters"})
    seed = body.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)
                             or not 0 <= seed <= 4_294_967_295):
        issues.append(_missing("seed", "number", _type_name(seed)))
    if "ratio" in body and not isinstance(body["ratio"], str):
        issues.append(_missing("ratio", got=_type_name(body["ratio"])))
    for field, values in (("targetAspectRatio", TARGET_ASPECT_RATIOS),
                          ("outputFormat", OUTPUT_FORMATS)):
        if field in body and body[field] not in values:
            issues.append(_one_of(field, values))
    keyframes = body.get("keyframes")
    if keyframes is not None and (not isinstance(keyframes, list)
                                  or len(keyframes) > MAX_KEYFRAMES):
        issues.append({"origin": "array", "code": "too_big", "maximum": MAX_KEYFRAMES,
                       "inclusive": True, "path": ["keyframes"],
                       "message": f"Too big: expected array to have <={MAX_KEYFRAMES} items"})
    return issues


def video_uri_issues(uri: Any) -> list[dict[str, Any]]:
    if not isinstance(uri, str):
        return [_missing("videoUri", got=_type_name(uri))]
    if uri.startswith(("https://", "runway://")):
        return []
    if uri.startswith("data:"):
        if len(uri) > MAX_DATA_URI:
            return [{"origin": "string", "code": "too_big", "maximum": MAX_DATA_URI,
                     "inclusive": True, "path": ["videoUri"],
                     "message": f"Too big: expected string to have <={MAX_DATA_URI} "
                     "characters"}]
        if decoded(uri) is not None:
            return []
    return [{"code": "custom", "path": ["videoUri"],
             "message": "Invalid input: expected an HTTPS URL, a Runway upload URI or a "
             "base64 video data URI"}]


def decoded(uri: str) -> bytes | None:
    match = DATA_URI.match(uri)
    if match is None:
        return None
    try:
        return base64.b64decode(match[1], validate=True)
    except (binascii.Error, ValueError):
        return None


def input_shape(uri: str) -> tuple[float, int, int]:
    """The output's (seconds, width, height): the input's, as far as it can be read."""
    data = decoded(uri) if uri.startswith("data:") else None
    shape = probe_mp4(data) if data else None
    if shape is None:
        return NOMINAL
    seconds, width, height = shape
    # H.264 needs even sides; the clip is re-encoded at the input's frame, rounded down.
    return max(1.0, round(seconds)), width - width % 2, height - height % 2
