"""Kling video API (text2video, image2video, omni-video, video-extend, task queries), mounted
at ``/kling``.

Written from shared/reference/kling.md and docs/reference/kling.md (the omni-video and
video-extend bodies are checked in ``kling_omni``). Every answer uses the ``{code, message,
request_id, data}`` envelope; the HTTP status mirrors the business code. Credentials are
an HS256 JWT (``iss`` = access key, ``nbf``/``exp`` window, checked against wall time);
its signature is checked only when the simulator has a Kling secret. With ``require_key``
set for Kling, a bearer equal to it is also accepted as the newer single API key.
Messages are the reference's where it gives one ("observed"), otherwise constructed in
the same style: only ``code`` is meant to be machine-read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import tokens
from .common import (
    Simulator,
    SimulatorError,
    bearer,
    fate_of,
    json_response,
    media_response,
    read_json,
    simulator_error,
)
from .jobs import Job
from .kling_frames import ACCOUNT, T2V_FRAMES, _frame, _image_size, _is_url
from .kling_omni import OmniEndpoints, valid_callback
from .media import job_clip
from .scenarios import Spec

PROVIDER = "kling"
CLASSIC = ("text2video", "image2video")
FAMILIES = (*CLASSIC, "omni-video", "video-extend")
TASK_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class KlingModel:
    """What one model_name accepts."""

    families: tuple[str, ...]
    heights: tuple[int, int]  # output short side in (std, pro)
    units_5s: tuple[float, float]  # units for 5 s in (std, pro); 10 s costs double
    cfg_scale: bool = False  # only the v1.x models take cfg_scale
    tail: str = "pro"  # image_tail: "pro" only, "any" mode, or "no"
    tail_only: bool = False  # end frame alone allowed (pro)
    sound: bool = False  # sound "on" in pro mode
    durations: tuple[str, ...] = ("5", "10")
    sound_std: bool = False  # sound "on" in std mode too (kling-v3)
    sound_units_5s: tuple[float, float] | None = None  # units for 5 s with sound (std, pro)
    square: tuple[int, int] | None = None  # 1:1 side in (std, pro) when not the short side


BOTH = CLASSIC
V3_SECONDS = tuple(str(s) for s in range(3, 16))
MODELS = {
    "kling-v1": KlingModel(BOTH, (720, 720), (1, 3.5), cfg_scale=True, tail="any"),
    "kling-v1-5": KlingModel(("image2video",), (720, 1080), (2, 3.5), cfg_scale=True,
                             tail_only=True),
    "kling-v1-6": KlingModel(BOTH, (720, 1080), (2, 3.5), cfg_scale=True, tail_only=True),
    "kling-v2-master": KlingModel(BOTH, (720, 720), (10, 10), tail="no"),
    "kling-v2-1": KlingModel(("image2video",), (720, 1080), (2, 3.5)),
    "kling-v2-1-master": KlingModel(BOTH, (1080, 1080), (10, 10), tail="no"),
    "kling-v2-5-turbo": KlingModel(BOTH, (720, 1080), (1.5, 2.5)),
    # v2-6 resolutions are "assumed 720p/1080p" in the reference.
    "kling-v2-6": KlingModel(BOTH, (720, 1080), (1.5, 2.5), sound=True),
    # kling-v3: 3-15 s, sound in both modes, std 0.6/0.9 and pro 0.8/1.2 units per second;
    # frames as Runway gives them for the same model (1:1 is 960 / 1440 px).
    "kling-v3": KlingModel(BOTH, (720, 1080), (3.0, 4.0), tail="any", sound=True,
                           durations=V3_SECONDS, sound_std=True, sound_units_5s=(4.5, 6.0),
                           square=(960, 1440)),
}
SOUND_UNITS_5S = 5.0  # kling-v2-6 pro with sound


def _envelope(status: int, code: int, message: str, request_id: str, data: Any = None,
              headers: dict[str, str] | None = None, fired: list[Spec] | None = None,
              with_data: bool = True) -> Response:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id}
    if with_data:
        body["data"] = data
    return json_response(body, status, headers, fired=fired or [])


class KlingVideos(OmniEndpoints):
    """Handlers for ``/kling/v1/videos``."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._last_made: Job | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/v1/videos/{family}", self.create, methods=["POST"]),
            Route("/v1/videos/{family}", self.list, methods=["GET"]),
            Route("/v1/videos/{family}/{task_id}", self.query, methods=["GET"]),
            Route("/bs2/upload-kling-api/" + ACCOUNT + "/{family}/{name}", self.cdn,
                  methods=["GET"]),
        ]

    def _error(self, status: int, code: int, message: str,
               headers: dict[str, str] | None = None) -> Response:
        return _envelope(status, code, message, self.sim.store.uuid(), with_data=False,
                         headers=headers)

    # -- credentials ------------------------------------------------------------------------

    def _auth(self, request: Request) -> Response | None:
        token = bearer(request)
        if token is None or (token == "" and not request.headers.get("authorization", "")
                             .strip()):
            return self._error(401, 1001, "Auth failed: Authorization is empty")
        if not token:
            return self._error(401, 1002, "Auth failed: Authorization is invalid")
        expected = self.sim.settings.key_for(PROVIDER)
        if expected is not None and token == expected:
            return None  # the newer single API key, sent as is
        try:
            claims = tokens.decode(token, self.sim.settings.kling_secret)
        except tokens.TokenError:
            return self._error(401, 1002, "Auth failed: Authorization is invalid")
        issuer, exp, nbf = claims.get("iss"), claims.get("exp"), claims.get("nbf")
        if not isinstance(issuer, str) or not issuer or not isinstance(exp, int | float) or (
                nbf is not None and not isinstance(nbf, int | float)):
            return self._error(401, 1002, "Auth failed: Authorization is invalid")
        if expected is not None and issuer != expected:
            return self._error(401, 1000, "Auth failed")
        now = self.sim.settings.wall_clock()
        if nbf is not None and nbf > now:
            return self._error(401, 1003, "Auth failed: token is not yet valid")
        if exp <= now:
            return self._error(401, 1004, "Auth failed: token expired")
        return None

    def _faults(self, spec: Spec) -> Response | None:
        wait = {"retry-after": str(self.sim.retry_after(spec))}
        # Kling documents no Retry-After header; it is added so generic clients back off
        # by the scenario's figure instead of guessing.
        table = {
            "rate_limit": (429, 1302, "request too frequent, please try again later", wait),
            "concurrency_limit": (429, 1303, "parallel task over resource pack limit", wait),
            "insufficient_credits": (429, 1102, "Account balance not enough", None),
            "server_error": (500, 5000, "Internal server error, please retry later", None),
            "unavailable": (503, 5001, "Service temporarily unavailable, please retry later",
                            None),
            "auth_error": (401, 1000, "Auth failed", None),
            "retired_model": (404, 1203, "The requested model does not exist", None),
        }
        if spec.name not in table:
            return None
        status, code, message, headers = table[spec.name]
        if code == 1303:  # observed with an explicit null data
            return _envelope(status, code, message, self.sim.store.uuid(), headers=headers)
        return self._error(status, code, message, headers)

    async def _enter(self, request: Request, kind: str, job: Job | None = None,
                     prompt: object = None) -> tuple[list[Spec], Response | None]:
        denied = self._auth(request)
        if denied is not None:
            return [], denied
        if request.path_params["family"] not in FAMILIES:
            return [], self._error(404, 1202, "invalid request method")  # unknown route
        try:
            return await self.sim.enter(PROVIDER, kind, request, self._faults, job=job,
                                        prompt=prompt)
        except SimulatorError as error:
            return [], simulator_error(error)

    # -- endpoints --------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        family = request.path_params["family"]
        try:
            body = await read_json(request)
        except ValueError:
            body = None
        prompt = body.get("prompt") if isinstance(body, dict) else None
        fired, early = await self._enter(request, "submit", prompt=prompt)
        if early is not None:
            return early
        if not isinstance(body, dict):
            return self._error(400, 1200, "invalid request parameters: body is not a JSON "
                               "object")
        if (problem := valid_callback(body)) is not None:
            return self._error(400, 1201, problem)
        answer = await self._create(request, family, body, prompt, fired)
        made = self._last_made
        if answer.status_code == 200 and made is not None and body.get("callback_url"):
            # Kling POSTs the bare task object to callback_url (reference §3.6).
            self.sim.pusher.schedule(made, body["callback_url"],
                                     lambda: self._task(made, request, advance=False),
                                     progress=True)
        self._last_made = None
        return answer

    async def _create(self, request: Request, family: str, body: dict[str, Any],
                      prompt: object, fired: list[Spec]) -> Response:
        if family == "omni-video":
            return self._create_omni(request, body, prompt, fired)
        if family == "video-extend":
            return self._create_extend(request, body, prompt, fired)
        name = body.get("model_name") or "kling-v1"  # the documented default
        model = MODELS.get(name)
        if model is None or family not in model.families:
            return self._error(404, 1203, f"model_name '{name}' is not supported for "
                               f"{family}")
        problem = self._validate(body, model, family)
        if problem is not None:
            return self._error(400, 1201, problem)
        fated = self._fated(request, prompt)
        if isinstance(fated, Response):
            return fated
        return self._accept(body, name, model, family, *fated, fired)

    def _validate(self, body: dict[str, Any], model: KlingModel, family: str) -> str | None:
        duration = body.get("duration", "5")
        if not isinstance(duration, str) or duration not in model.durations:
            # Wire type is a string; a number is reported like any other bad value.
            return (f"duration value '{duration}' is invalid, must be one of "
                    f"[{', '.join(model.durations)}]")
        mode = body.get("mode", "std")
        if mode not in ("std", "pro"):
            return f"mode value '{mode}' is invalid, must be one of [std, pro]"
        for field in ("prompt", "negative_prompt"):
            value = body.get(field)
            if value is not None and (not isinstance(value, str) or len(value) > 2500):
                return f"{field} is invalid, must be a string of at most 2500 characters"
        if family == "text2video":
            if not isinstance(body.get("prompt"), str) or not body["prompt"]:
                return "prompt is required"
            if body.get("aspect_ratio", "16:9") not in T2V_FRAMES:
                return (f"aspect_ratio value '{body['aspect_ratio']}' is invalid, must be one "
                        "of [16:9, 9:16, 1:1]")
        else:
            problem = self._validate_images(body, model, mode)
            if problem is not None:
                return problem
        # Whether unsupported fields are ignored or refused is unverified; refusing them
        # surfaces a client that sends what the reference says to omit.
        if "cfg_scale" in body:
            cfg = body["cfg_scale"]
            if not model.cfg_scale:
                return f"cfg_scale is not supported by {body.get('model_name')}"
            if not isinstance(cfg, int | float) or not 0 <= cfg <= 1:
                return f"cfg_scale value '{cfg}' is invalid, must be in [0, 1]"
        sound = body.get("sound", "off")
        if sound not in ("on", "off"):
            return f"sound value '{sound}' is invalid, must be one of [on, off]"
        if sound == "on" and not (model.sound and (mode == "pro" or model.sound_std)):
            return "sound 'on' requires kling-v2-6 or later in pro mode"
        external = body.get("external_task_id")
        if external is not None and any(job.extra.get("external_task_id") == external
                                        for job in self.sim.store.all(PROVIDER)):
            return f"external_task_id '{external}' already exists"
        return None

    def _validate_images(self, body: dict[str, Any], model: KlingModel, mode: str) -> str | None:
        image, tail = body.get("image"), body.get("image_tail")
        if not image and not tail:
            return "image and image_tail cannot both be empty"
        for field, value in (("image", image), ("image_tail", tail)):
            if value and _image_size(value) is None and not _is_url(value):
                return f"{field} is invalid, must be a public URL or raw base64 image data"
        if tail:
            if model.tail == "no" or (model.tail == "pro" and mode != "pro"):
                return f"image_tail is not supported by this model in {mode} mode"
            if not image and not (model.tail_only and mode == "pro"):
                return "image is required"
        groups = [bool(image and tail), bool(body.get("static_mask") or body.get(
            "dynamic_masks")), bool(body.get("camera_control"))]
        if sum(groups) > 1:
            return ("only one of image+image_tail, static_mask/dynamic_masks and "
                    "camera_control may be used")
        return None

    def _accept(self, body: dict[str, Any], name: str, model: KlingModel, family: str,
                fate: set[str], carried: tuple[Spec, ...], fired: list[Spec]) -> Response:
        mode = body.get("mode", "std")
        seconds = int(body.get("duration", "5"))
        short = model.heights[mode == "pro"]
        if family == "text2video":
            across, down = T2V_FRAMES[body.get("aspect_ratio", "16:9")]
        else:  # output framing follows the input image (16:9 when it cannot be read)
            across, down = _image_size(body.get("image") or body.get("image_tail")) or (16, 9)
        if across == down and model.square is not None:
            short = model.square[mode == "pro"]
        width, height = _frame(across, down, short)
        audio = body.get("sound") == "on"
        if audio and model.sound_units_5s is not None:
            rate = model.sound_units_5s[mode == "pro"]
        else:
            rate = SOUND_UNITS_5S if audio else model.units_5s[mode == "pro"]
        return self._made(body, name, family, seconds, (width, height), audio,
                          rate * seconds / 5, fate, carried, fired)

    def _made(self, body: dict[str, Any], name: str, family: str, seconds: int,
              frame: tuple[int, int], audio: bool, units: float | None, fate: set[str],
              carried: tuple[Spec, ...], fired: list[Spec],
              extra: dict[str, Any] | None = None) -> Response:
        settings = self.sim.settings
        now_ms = int(settings.wall_clock() * 1000)
        job = self.sim.store.add(Job(
            id=self.sim.store.alnum(22, TASK_ID_ALPHABET), provider=PROVIDER, model=name,
            seconds=seconds, width=frame[0], height=frame[1], audio=audio,
            created=settings.now(), created_wall=now_ms / 1000, prompt=body.get("prompt"),
            fate=fate_of(fate), specs=carried,
            extra={"family": family, "external_task_id": body.get("external_task_id"),
                   "units": units, "watermark": body.get("watermark_info"),
                   "updated_ms": now_ms, **(extra or {})},
        ))
        self._last_made = job  # create() reads it at once (no await between): its push
        data = {"task_id": job.id, "task_status": "submitted",
                "task_info": self._task_info(job), "created_at": now_ms, "updated_at": now_ms}
        return _envelope(200, 0, "SUCCEED", self.sim.store.uuid(), data, fired=fired)

    def _fated(self, request: Request, prompt: object) -> tuple[set[str], tuple[Spec, ...]] | \
            Response:
        try:
            fate, carried = self.sim.job_fate(PROVIDER, request, prompt)
        except ValueError as error:
            return simulator_error(SimulatorError(str(error)))
        if "content_policy" in fate:
            return self._error(400, 1301, "The content you submitted contains sensitive "
                               "information")
        return fate, carried

    @staticmethod
    def _task_info(job: Job) -> dict[str, Any]:
        external = job.extra["external_task_id"]
        info: dict[str, Any] = {"external_task_id": external} if external is not None else {}
        if "parent_video" in job.extra:
            info["parent_video"] = job.extra["parent_video"]
        return info

    def _task(self, job: Job, request: Request, advance: bool) -> dict[str, Any]:
        settings = self.sim.settings
        phase, _ = job.poll(settings) if advance else job.stage(settings)
        if advance:
            job.extra["updated_ms"] = int(settings.wall_clock() * 1000)
        status = {"queued": "submitted", "throttled": "submitted", "running": "processing"}.get(
            phase, "succeed" if job.succeeds else "failed")
        task: dict[str, Any] = {
            "task_id": job.id, "task_status": status, "task_status_msg": "",
            "task_info": self._task_info(job), "created_at": int(job.created_wall * 1000),
            "updated_at": job.extra["updated_ms"],
        }
        if status == "failed":
            # Free text, not a code (reference §3.4); moderation is the observed example.
            task["task_status_msg"] = ("Failure to pass the risk control system"
                                       if job.fate != "job_failed"
                                       else "Task failed due to an internal error")
        if status == "succeed":
            base = f"{request.url.scheme}://{request.url.netloc}/kling/bs2/upload-kling-api"
            family = job.extra["family"]
            video: dict[str, Any] = {
                "id": self.sim.store.uuid() if "video_id" not in job.extra else
                job.extra["video_id"],
                "url": f"{base}/{ACCOUNT}/{family}/{job.id}-0_raw_video_1.mp4",
                "duration": f"{job.seconds:.1f}",
            }
            job.extra["video_id"] = video["id"]
            watermark = job.extra["watermark"]
            if isinstance(watermark, dict) and watermark.get("enabled"):
                video["watermark_url"] = (f"{base}/{ACCOUNT}/{family}/{job.id}-0_watermarked"
                                          "_video_1.mp4")
            if job.extra["units"] is not None:  # omni-video prices are not published
                task["final_unit_deduction"] = f"{job.extra['units']:g}"
            task["watermark_info"] = {"enabled": bool(isinstance(watermark, dict)
                                                      and watermark.get("enabled"))}
            task["task_result"] = {"videos": [video]}
        return task

    def _find(self, family: str, task_id: str) -> Job | None:
        for job in self.sim.store.all(PROVIDER):
            if job.extra["family"] == family and task_id in (job.id,
                                                             job.extra["external_task_id"]):
                return job
        return None

    async def query(self, request: Request) -> Response:
        family, task_id = request.path_params["family"], request.path_params["task_id"]
        job = self._find(family, task_id) if family in FAMILIES else None
        fired, early = await self._enter(request, "poll", job=job)
        if early is not None:
            return early
        if job is None:
            return self._error(404, 1203, f"task '{task_id}' does not exist")  # constructed
        return _envelope(200, 0, "SUCCEED", self.sim.store.uuid(),
                         self._task(job, request, advance=True), fired=fired)

    async def list(self, request: Request) -> Response:
        fired, early = await self._enter(request, "list")
        if early is not None:
            return early
        family = request.path_params["family"]
        try:
            page = int(request.query_params.get("pageNum", "1"))
            size = int(request.query_params.get("pageSize", "30"))
        except ValueError:
            page, size = 0, 0
        if not 1 <= page <= 1000 or not 1 <= size <= 500:
            return self._error(400, 1201, "pageNum must be in [1, 1000] and pageSize in "
                               "[1, 500]")
        # Newest first (the order is not documented).
        jobs = [job for job in reversed(self.sim.store.all(PROVIDER))
                if job.extra["family"] == family][(page - 1) * size:page * size]
        data = [self._task(job, request, advance=False) for job in jobs]
        return _envelope(200, 0, "SUCCEED", self.sim.store.uuid(), data, fired=fired)

    async def cdn(self, request: Request) -> Response:
        task_id = request.path_params["name"].split("-0_", 1)[0]
        job = self._find(request.path_params["family"], task_id)
        if job is None or not job.succeeds or job.stage(self.sim.settings)[0] != "done":
            return Response(status_code=404)
        scoped = [("global", s) for s in self.sim.global_specs + self.sim.request_specs(request)]
        fired = self.sim.scenarios.firing(PROVIDER, "download",
                                          scoped + [(job.id, s) for s in job.specs])
        data = await job_clip(job)
        return media_response(self.sim.settings, data, "video/mp4", fired)
