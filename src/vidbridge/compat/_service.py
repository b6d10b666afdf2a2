"""The OpenAI Videos semantics over the router: one implementation for the compat clients
(sync and async) and the HTTP gateway.

``create`` validates and screens a request with no HTTP (so a bad size or an unknown model
fails at once, as the official API would) and records a queued video; the caller then runs
the returned ``Work`` in the background with whatever driver it has (``run_sync`` in a
thread, ``run_async`` as a task). While it runs, ``retrieve`` reads status and progress from
the job ledger, which the engine updates at every poll under the video id. ``recover``
turns the videos a crash left unfinished into work that never pays twice: resume an accepted
job, re-run a request no provider ever accepted, and fail one whose submit may have landed.

The parts of ``VideoService`` live beside this module: ``_inputs`` builds the request from
the OpenAI parameters, ``_reads`` reads, lists and locates videos, ``_finish`` records each
run's outcome and turns a crash's leftovers into work. This module creates videos and runs
their work.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CapabilityError, ConfigError, VidbridgeError
from ..models import VideoRequest
from ..storage import is_url, open_storage
from . import _derive
from . import _errors as e
from ._derive import Derived
from ._finish import Admission, VideoFinishing, Work
from ._inputs import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_SECONDS, DEFAULT_SIZE, RequestInputs
from ._store import VideoRecord, VideoStore
from ._video import VidbridgeInfo, Video

if TYPE_CHECKING:
    from ..client import AsyncVideoClient, ClientCore, VideoClient
    from ..config import Config
    from ..models import Plan

# What other modules import from here; the parts' own names stay in their modules.
__all__ = ["DEFAULT_MODEL", "DEFAULT_SECONDS", "DEFAULT_SIZE", "RETENTION_S", "Admission",
           "VideoService", "Work", "default_output_dir", "run_async", "run_sync"]

log = logging.getLogger("vidbridge.compat")

DEFAULT_MODEL = "sora-2"  # what the official API assumes when `model` is left out
RETENTION_S = 3600  # OpenAI kept assets about an hour (reference §5); configurable


def default_output_dir(config: Config | None) -> str | Path:
    """``[gateway] output_dir`` (a folder, or an fsspec URL kept as given), else the cache."""
    if config is not None and config.gateway.output_dir:
        location = config.gateway.output_dir
        return location if is_url(location) else Path(os.path.expanduser(location))
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "vidbridge" / "videos"


class VideoService(VideoFinishing, RequestInputs):
    """Videos for one client: validation, the store, and the ledger's view of each job."""

    def __init__(self, core: ClientCore, store: VideoStore, output_dir: str | Path, *,
                 retention_s: float | None = None, default_target: str | None = None,
                 max_active_per_owner: int | None = None,
                 max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
                 retry_after_s: int = 5, clock: Callable[[], float] = time.time,
                 admission: Admission | None = None) -> None:
        self.core = core
        self.admission = admission
        self.store = store
        # Where finished videos are kept (a folder, or an fsspec URL every worker reads);
        # an unknown scheme or a missing extra is a ConfigError here, before any job runs.
        self.storage = open_storage(output_dir)
        self.output_dir = self.storage.staging  # where this process's downloads land
        self.retention_s = RETENTION_S if retention_s is None else retention_s
        self.default_target = default_target
        self.max_active = max_active_per_owner
        self.max_image_bytes = max_image_bytes
        self.retry_after_s = retry_after_s
        self.clock = clock
        # Called with (video, owner) once a video is completed or failed (webhooks, links).
        self.listeners: builtins.list[Callable[[Video, str], object]] = []

    # -- create ----------------------------------------------------------------------------
    def resolve(self, model: str | None) -> tuple[str, str]:
        """(model name to report, route/alias/``provider:model`` to run) or 404."""
        config = self.core.config
        if model is None:
            target = self.default_target or (DEFAULT_MODEL if self.core.is_route(DEFAULT_MODEL)
                                             else config.default_route if config else None)
            if target is None:
                raise e.model_not_found(DEFAULT_MODEL)
            return DEFAULT_MODEL, target
        if not isinstance(model, str):  # a list or an object is unhashable: never a 500
            raise e.BadRequestError(f"Invalid type for 'model': expected a string, but got "
                                    f"{type(model).__name__} instead.", param="model",
                                    code="invalid_type")
        if self.core.is_route(model):
            return model, model
        provider, sep, model_id = model.partition(":")
        if sep and model_id:
            try:
                if model_id in self.core.adapter(provider).models:
                    return model, model
            except ConfigError:
                pass
        raise e.model_not_found(model)

    def create(self, owner: str, *, prompt: Any, model: str | None = None,
               seconds: Any = None, size: Any = None, input_reference: Any = None,
               derived: Derived | None = None) -> tuple[Video, Work]:
        """Validate, screen (no HTTP) and record a queued video; run the ``Work`` after."""
        if not isinstance(prompt, str) or not prompt.strip():
            raise e.BadRequestError("Missing required parameter: 'prompt'.", param="prompt",
                                    code="missing_required_parameter")
        if derived is not None:
            asked_model, target = derived.source.model, derived.target
            request = derived.request
        else:
            asked_model, target = self.resolve(model)
            request = self.build_request(prompt, seconds, size, input_reference)
        if self.max_active is not None and self.store.active(owner) >= self.max_active:
            raise e.RateLimitError(
                f"Too many videos in progress for this key (limit {self.max_active}); retry "
                "when one finishes.", code="concurrency_limit_exceeded",
                headers={"retry-after": str(self.retry_after_s)})
        plan, info = self.screen(request, target)
        if derived is not None:
            info.adjustments.insert(0, derived.adjustment)
        video_id = "video_" + secrets.token_hex(24)
        if self.admission is not None:  # before the record: a refusal leaves no trace
            self.admission.admit(owner, video_id, target, plan)
        image = request.image
        record = VideoRecord(
            id=video_id, owner=owner, created_at=int(self.clock()), model=asked_model,
            target=target, prompt=request.prompt, seconds=str(plan.duration), size=plan.size,
            request=request.model_dump_json(exclude={"image", "last_frame",
                                                     "reference_images"}),
            remixed_from=derived.source.id if derived else None,
            image=image.data if image else None, image_mime=image.mime_type if image else None,
            image_url=image.url if image else None, info=info.model_dump_json())
        self.store.insert(record)
        for adjustment in plan.adjustments:
            log.info("%s: %s %r -> %r on %s:%s (%s)", video_id, adjustment.field,
                     adjustment.asked, adjustment.given, plan.provider, plan.model,
                     adjustment.reason)
        return self.view(record), Work(video_id, self.output_path(video_id), target, request)

    def remix(self, owner: str, video_id: str, prompt: Any) -> tuple[Video, Work]:
        source = self._owned(owner, video_id)
        if self.view(source).status != "completed":
            raise e.BadRequestError(f"Video with id '{video_id}' is not completed and cannot "
                                    "be remixed.", param="video_id")
        return self.create(owner, prompt=prompt,
                           derived=_derive.remix(self, source, _prompt(prompt)))

    def extend(self, owner: str, video: Any, prompt: Any, seconds: Any) -> tuple[Video, Work]:
        """``POST /videos/extensions``: continue a completed video (see ``_derive``)."""
        video_id = video.get("id") if isinstance(video, Mapping) else video
        if not isinstance(video_id, str) or not video_id:
            raise e.BadRequestError("Invalid 'video': give {'id': 'video_...'} of a completed "
                                    "video (uploaded clips are not supported here).",
                                    param="video", code="invalid_value")
        source = self._owned(owner, video_id)
        if self.view(source).status != "completed":
            raise e.BadRequestError(f"Video with id '{video_id}' is not completed and cannot "
                                    "be extended.", param="video")
        return self.create(owner, prompt=prompt,
                           derived=_derive.extend(self, source, _prompt(prompt), seconds))

    def screen(self, request: VideoRequest, target: str) -> tuple[Plan, VidbridgeInfo]:
        """The plan the first usable candidate would run, found with no HTTP, or 400."""
        core = self.core
        try:
            if not core.is_route(target):
                plan = core.plan(request, target)
                return plan, _info(target, plan)
            checks = core.check(request, target)
        except CapabilityError as exc:
            raise e.api_error(exc) from None
        usable = [check for check in checks if check.ok and check.plan is not None]
        if not usable:
            reasons = "; ".join(f"{c.provider}:{c.model}: {c.reason}" for c in checks)
            raise e.BadRequestError(f"No model behind '{target}' can make this video "
                                    f"({reasons}).", param=self._param_of(request, checks),
                                    code="invalid_value")
        first = usable[0]
        assert first.plan is not None
        # _info carries the plan's warnings; the check's are the same ones (said once).
        return first.plan, _info(target, first.plan)

    def _param_of(self, request: VideoRequest, checks: builtins.list[Any]) -> str | None:
        for check in checks:
            try:
                self.core.plan(request, f"{check.provider}:{check.model}")
            except CapabilityError as exc:
                return e.PARAM_OF.get(exc.field, exc.field)
            except VidbridgeError:
                continue
        return None


# --- drivers ---------------------------------------------------------------------------------

def run_sync(client: VideoClient, service: VideoService, work: Work) -> None:
    """Run one ``Work`` to its end with the blocking client (call it in a thread)."""
    try:
        if work.job is not None:
            result = client.resume(work.job, output=work.output)
        else:
            result = client.generate(work.request or VideoRequest(), model=work.target,
                                     output=work.output, request_id=work.video_id)
        stored = service.publish(work.video_id, result)
    except Exception as exc:  # every failure becomes the video's error, as the API's would
        service.failed(work.video_id, exc)
    else:
        service.succeeded(work.video_id, result, stored=stored)


async def run_async(client: AsyncVideoClient, service: VideoService, work: Work) -> None:
    """Run one ``Work`` to its end with the async client. Cancellation (a shutdown) leaves
    the video unfinished on purpose: ``recover`` picks it up at the next start."""
    try:
        if work.job is not None:
            result = await client.resume(work.job, output=work.output)
        else:
            result = await client.generate(work.request or VideoRequest(), model=work.target,
                                           output=work.output, request_id=work.video_id)
        stored = await asyncio.to_thread(service.publish, work.video_id, result)
    except Exception as exc:
        service.failed(work.video_id, exc)
    else:
        service.succeeded(work.video_id, result, stored=stored)


# --- helpers ---------------------------------------------------------------------------------

def _info(target: str, plan: Plan) -> VidbridgeInfo:
    return VidbridgeInfo(route=target, provider=plan.provider, model=plan.model,
                         adjustments=[a.model_dump(mode="json") for a in plan.adjustments],
                         estimated_cost_usd=plan.estimated_cost_usd,
                         warnings=list(plan.warnings))


def _prompt(prompt: Any) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise e.BadRequestError("Missing required parameter: 'prompt'.", param="prompt",
                                code="missing_required_parameter")
    return prompt
