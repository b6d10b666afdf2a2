"""The OpenAI Videos semantics over the router: one implementation for the compat clients
(sync and async) and the HTTP gateway.

``create`` validates and screens a request with no HTTP (so a bad size or an unknown model
fails at once, as the official API would) and records a queued video; the caller then runs
the returned ``Work`` in the background with whatever driver it has (``run_sync`` in a
thread, ``run_async`` as a task). While it runs, ``retrieve`` reads status and progress from
the job ledger, which the engine updates at every poll under the video id. ``recover``
turns the videos a crash left unfinished into work that never pays twice: resume an accepted
job, re-run a request no provider ever accepted, and fail one whose submit may have landed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import builtins
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from ..errors import CapabilityError, ConfigError, VidbridgeError
from ..ledger import OWNED_STATES
from ..models import Job, VideoRequest, VideoResult, sniff_image_type
from ..storage import StorageError, is_url, open_storage
from . import _derive
from . import _errors as e
from ._derive import Derived
from ._store import UNFINISHED, VideoRecord, VideoStore
from ._video import (
    VidbridgeInfo,
    Video,
    VideoCreateError,
    VideoDeleteResponse,
    VideoList,
)

if TYPE_CHECKING:
    from ..client import AsyncVideoClient, ClientCore, VideoClient
    from ..config import Config
    from ..models import Plan

# Ledger states whose job the caller sees as queued / in progress.
SHOWN_STATES = frozenset({"accepted", "succeeded", "timeout", "downloaded", "finished"})
log = logging.getLogger("vidbridge.compat")
WHOLE_SECONDS = re.compile(r"[0-9]{1,4}")

DEFAULT_MODEL = "sora-2"  # what the official API assumes when `model` is left out
DEFAULT_SECONDS = "4"
DEFAULT_SIZE = "720x1280"
RETENTION_S = 3600  # OpenAI kept assets about an hour (reference §5); configurable
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")  # what Sora took (reference §1)
DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
VARIANTS = ("video", "thumbnail", "spritesheet")


@dataclass(frozen=True)
class Work:
    """One background run: generate ``request`` on ``target``, or finish ``job``."""

    video_id: str
    output: Path
    target: str = ""
    request: VideoRequest | None = None
    job: Job | None = None
    # The ledger key of the job a reopened video finishes (``VideoService.reclaim``): a
    # durable gateway names its second workflow by it (the first one has ended).
    reopened: str = ""


class Admission(Protocol):
    """Told of each video before it is recorded (may refuse it) and when it ends: the
    gateway's per-key routes, budgets and spend."""

    def admit(self, owner: str, video_id: str, target: str, plan: Plan) -> None: ...

    def finished(self, video_id: str, result: VideoResult | None,
                 error: BaseException | None = None) -> None: ...


def default_output_dir(config: Config | None) -> str | Path:
    """``[gateway] output_dir`` (a folder, or an fsspec URL kept as given), else the cache."""
    if config is not None and config.gateway.output_dir:
        location = config.gateway.output_dir
        return location if is_url(location) else Path(os.path.expanduser(location))
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "vidbridge" / "videos"


class VideoService:
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

    def build_request(self, prompt: str, seconds: Any, size: Any,
                      input_reference: Any) -> VideoRequest:
        """The OpenAI parameters as a ``VideoRequest``; 400 naming the parameter otherwise."""
        seconds = DEFAULT_SECONDS if seconds is None else seconds
        if isinstance(seconds, bool) or not isinstance(seconds, str | int):
            raise e.BadRequestError(f"Invalid type for 'seconds': expected a string such as "
                                    f"'4', but got {type(seconds).__name__} instead.",
                                    param="seconds", code="invalid_type")
        text = str(seconds).strip()
        # ASCII digits only, and few: str.isdigit() accepts "²" and int() refuses it, and a
        # 5,000-digit number is past int()'s limit; both are the caller's mistake, never a 500.
        if not WHOLE_SECONDS.fullmatch(text) or int(text) <= 0:
            raise e.BadRequestError(f"Invalid value: '{seconds}'. 'seconds' must be a whole "
                                    "number of seconds such as '4', '8' or '12'.",
                                    param="seconds", code="invalid_value")
        fields: dict[str, Any] = {"prompt": prompt, "duration": int(text),
                                  "size": DEFAULT_SIZE if size is None else size}
        if input_reference is not None:
            fields["image"] = self.image(input_reference)
        try:
            return VideoRequest.model_validate(fields)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = str(error["loc"][0]) if error["loc"] else ""
            raise e.BadRequestError(f"Invalid '{e.PARAM_OF.get(where, where)}': "
                                    f"{error['msg'].removeprefix('Value error, ')}",
                                    param=e.PARAM_OF.get(where, where),
                                    code="invalid_value") from None

    def image(self, reference: Any) -> Any:
        """An ``ImageInput`` from what the SDK accepts: bytes, a file, a path, a
        ``(name, content[, type])`` tuple, or ``{"image_url": ...}``; checked before any
        provider sees it (type from the bytes, size, readable by Pillow)."""
        from ..models import ImageInput

        if isinstance(reference, Mapping):
            if "file_id" in reference:
                raise e.BadRequestError("input_reference.file_id is not supported here: "
                                        "upload the image or give image_url.",
                                        param="input_reference", code="unsupported_value")
            url = reference.get("image_url")
            if not isinstance(url, str) or not url:
                raise e.BadRequestError("Invalid 'input_reference': provide exactly one of "
                                        "'image_url' or 'file_id'.", param="input_reference",
                                        code="invalid_value")
            if not url.startswith("data:"):
                try:
                    return ImageInput(url=url)
                except ValidationError:
                    raise e.BadRequestError("Invalid 'input_reference.image_url': expected an "
                                            "https or data: URL.", param="input_reference",
                                            code="invalid_value") from None
            data = _data_url_bytes(url)
        else:
            data = _file_bytes(reference)
        if len(data) > self.max_image_bytes:
            raise e.BadRequestError(f"input_reference is {len(data)} bytes; the limit is "
                                    f"{self.max_image_bytes}.", param="input_reference",
                                    code="image_too_large")
        mime = sniff_image_type(data)
        if mime not in IMAGE_TYPES:
            raise e.BadRequestError("input_reference must be a JPEG, PNG or WebP image"
                                    + (f", not {mime}." if mime else "."),
                                    param="input_reference", code="invalid_image_format")
        image = ImageInput(data=data, mime_type=mime)
        try:
            image.size  # noqa: B018 - a header Pillow cannot read is a broken upload
        except Exception:
            raise e.BadRequestError("input_reference could not be read as an image.",
                                    param="input_reference", code="invalid_image") from None
        return image

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

    # -- read ------------------------------------------------------------------------------
    def retrieve(self, owner: str, video_id: str) -> Video:
        return self.view(self._owned(owner, video_id))

    def _owned(self, owner: str | None, video_id: str) -> VideoRecord:
        """The record if ``owner`` may see it (None: a caller holding a signed link)."""
        record = self.store.get(video_id)
        if record is None or owner is not None and record.owner != owner:
            # another key's video does not exist
            raise e.video_not_found(video_id)
        return record

    def view(self, record: VideoRecord) -> Video:
        """The Video as the caller sees it now: the store, plus the ledger while it runs."""
        status, progress = record.status, record.progress
        info = VidbridgeInfo.model_validate_json(record.info) if record.info else None
        if status in UNFINISHED:
            live = [job for state, job in self.core.ledger.by_request(record.id)
                    if state in SHOWN_STATES]
            if live:
                job = live[-1]
                waiting = job.status == "queued" and len(live) == 1
                status = "queued" if waiting else "in_progress"
                progress = max(0, min(99, int(job.progress or 0)))
                if info is not None:
                    info = info.model_copy(update={"provider": job.provider,
                                                   "model": job.model})
        error = VideoCreateError.model_validate_json(record.error) if record.error else None
        return Video(id=record.id, created_at=record.created_at,
                     completed_at=record.completed_at, expires_at=record.expires_at,
                     model=record.model, progress=progress, prompt=record.prompt,
                     remixed_from_video_id=record.remixed_from, seconds=record.seconds,
                     size=record.size, status=status,
                     error=error, vidbridge=info)

    def list(self, owner: str, *, after: str | None = None, limit: int | None = None,
             order: str | None = None) -> VideoList:
        order = order or "desc"
        if order not in ("asc", "desc"):
            raise e.BadRequestError(f"Invalid value: '{order}'. Supported values are: 'asc' "
                                    "and 'desc'.", param="order", code="invalid_value")
        limit = 20 if limit is None else limit
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            raise e.BadRequestError(f"Invalid 'limit': expected an integer from 1 to 100, "
                                    f"got {limit!r}.", param="limit", code="invalid_value")
        records, more = self.store.page(owner, after=after, limit=limit, order=order)
        data = [self.view(record) for record in records]
        return VideoList(data=data, first_id=data[0].id if data else None,
                         last_id=data[-1].id if data else None, has_more=more)

    def reclaim_listed(self, owner: str, page: VideoList) -> tuple[VideoList, builtins.list[Work]]:
        """A listed page read as ``retrieve`` reads each video: a failed one whose submit was
        reconciled since is reopened (``reclaim``) and shown as it now stands; the works
        returned finish those jobs (the caller starts them)."""
        works = [work for video in page.data if video.status == "failed"
                 and (work := self.reclaim(video.id)) is not None]
        if not works:
            return page, works
        reopened = {work.video_id for work in works}
        data = [self.retrieve(owner, video.id) if video.id in reopened else video
                for video in page.data]
        return page.model_copy(update={"data": data}), works

    def delete(self, owner: str, video_id: str) -> VideoDeleteResponse:
        record = self._owned(owner, video_id)
        if record.status in UNFINISHED:
            raise e.BadRequestError(f"Video with id '{video_id}' is still being generated and "
                                    "cannot be deleted.", param="video_id")
        self.store.delete(video_id)
        self.storage.remove(video_id)
        return VideoDeleteResponse(id=video_id)

    def content(self, owner: str | None, video_id: str,
                variant: str | None = None) -> tuple[Path, str]:
        """(file, media type) of a completed video's ``variant``; 404 before or after. A video
        kept in remote storage is fetched to a local copy first (streamed)."""
        where, media_type, _ = self.locate(owner, video_id, variant)
        if isinstance(where, Path):
            return where, media_type
        path = self.storage.local(where)
        if (variant or "video") == "video":
            return path, media_type
        from ._variants import still

        return still(path, variant or "video")

    def locate(self, owner: str | None, video_id: str,
               variant: str | None = None) -> tuple[Path | str, str, int | None]:
        """(local file or storage URL, media type, size when known) of a completed video's
        ``variant``: the gateway streams a URL from storage; 404 before or after."""
        variant = variant or "video"
        if variant not in VARIANTS:
            raise e.BadRequestError(f"Invalid value: '{variant}'. Supported values are: "
                                    "'video', 'thumbnail', and 'spritesheet'.",
                                    param="variant", code="invalid_value")
        record = self._owned(owner, video_id)
        if record.status != "completed" or not record.output:
            raise e.NotFoundError(f"Video with id '{video_id}' is {self.view(record).status}; "
                                  "its content is available once it is completed.")
        if record.expires_at is not None and record.expires_at <= self.clock():
            raise e.NotFoundError(f"The content of video '{video_id}' expired at "
                                  f"{record.expires_at}.")
        if is_url(record.output):
            try:
                size = self.storage.size(record.output) if self.storage.remote else None
            except (OSError, ValueError):  # FileNotFoundError among them
                size = None
            if size is None:
                raise e.NotFoundError(f"The content of video '{video_id}' is no longer "
                                      "stored.")
            if variant == "video":
                return record.output, "video/mp4", size
            return record.output, "", size  # a still: made from a local copy by content()
        path = Path(record.output)
        if not path.exists():
            raise e.NotFoundError(f"The content of video '{video_id}' is no longer stored.")
        if variant == "video":
            return path, "video/mp4", path.stat().st_size
        from ._variants import still

        made, media_type = still(path, variant)
        return made, media_type, None

    # -- finishing -------------------------------------------------------------------------
    def output_path(self, video_id: str) -> Path:
        """Where the engine writes ``video_id``'s download (the folder itself, or this
        process's staging folder for remote storage)."""
        return self.storage.staging_path(video_id)

    def publish(self, video_id: str, result: VideoResult) -> str | None:
        """Put a finished download where every worker can serve it; returns its reference
        (the file, or its storage URL). Blocking: async callers run it in a thread."""
        return self.storage.publish(video_id, result.path) if result.path else None

    def succeeded(self, video_id: str, result: VideoResult,
                  stored: str | None = None) -> Video | None:
        """Record a finished video; ``stored`` is what ``publish`` returned (default: the
        result's file, published now)."""
        record = self.store.get(video_id)
        if record is None:
            return None
        if stored is None:
            stored = self.publish(video_id, result)
        now = int(self.clock())
        info = VidbridgeInfo.model_validate_json(record.info) if record.info else VidbridgeInfo()
        plan = result.plan
        update: dict[str, Any] = {"provider": result.job.provider, "model": result.job.model}
        if plan is not None:
            kept = [a for a in info.adjustments if a.get("field") in ("remix", "extend")]
            update |= {"adjustments": kept + [a.model_dump(mode="json")
                                              for a in plan.adjustments],
                       "estimated_cost_usd": plan.estimated_cost_usd}
        if result.attempts:
            update["attempts"] = [_attempt(a) for a in result.attempts]
        info = info.model_copy(update=update)
        self.store.update(
            video_id, status="completed", progress=100, completed_at=now,
            expires_at=int(now + self.retention_s), error=None,
            output=stored, info=info.model_dump_json(),
            **({"seconds": str(plan.duration), "size": plan.size} if plan else {}))
        log.info("%s completed on %s:%s", video_id, result.job.provider, result.job.model)
        if self.admission is not None:
            self.admission.finished(video_id, result)
        video = self.retrieve(record.owner, video_id)
        self._notify(video, record.owner)
        return video

    def failed(self, video_id: str, exc: BaseException) -> None:
        record = self.store.get(video_id)
        if record is None:
            return
        body = e.failure_body(exc)
        info = VidbridgeInfo.model_validate_json(record.info) if record.info else VidbridgeInfo()
        attempts = getattr(exc, "attempts", ())
        if attempts:
            info = info.model_copy(update={"attempts": [_attempt(a) for a in attempts]})
        self.store.update(video_id, status="failed", progress=0,
                          completed_at=int(self.clock()), error=json.dumps(body),
                          info=info.model_dump_json())
        log.warning("%s failed: %s (%s)", video_id, body["message"], body["code"])
        if self.admission is not None:
            self.admission.finished(video_id, None, exc)
        self._notify(self.retrieve(record.owner, video_id), record.owner)

    def _notify(self, video: Video, owner: str) -> None:
        for listener in self.listeners:
            try:
                listener(video, owner)
            except Exception:  # a listener's bug must never cost the video its result
                log.exception("a listener of %s failed", video.id)

    # -- restart ---------------------------------------------------------------------------
    def recover(self) -> builtins.list[Work]:
        """Work to restart after a crash. Every unfinished video re-runs its request under
        its own id: the router reads the ledger's rows for that id and carries each forward
        (polls an accepted job, downloads a succeeded one, looks an unanswered submit up and
        fails the video as ``submit_uncertain`` if nothing proves it), submitting only where
        nothing can exist upstream. No second notion of "may resubmit" lives here."""
        works = []
        for record in self.store.unfinished():
            output = self.output_path(record.id)
            done = [entry for entry in self.core.ledger.entries(record.id)
                    if entry.state in ("downloaded", "finished") and entry.job_json]
            # The file was complete just before the crash (in storage, or still staged here:
            # then it is published now).
            stored = self._stored(record.id) if done else None
            if stored is not None:
                job = self.core.ledger.live(done[-1])
                assert job is not None
                self.succeeded(record.id, VideoResult(
                    job=job, path=None if is_url(stored) else Path(stored),
                    bytes_written=self.storage.size(stored), plan=done[-1].plan),
                    stored=stored)
                continue
            works.append(Work(record.id, output, record.target, self.request_of(record)))
        return works

    def reclaim(self, video_id: str) -> Work | None:
        """The work that finishes a video which failed as ``submit_uncertain`` but whose
        submit has since been proved (``vidbridge jobs reconcile KEY --adopt ID``, or an
        answer that came in late): its request now owns a job in the ledger. The video goes
        back to ``in_progress`` (once, whoever reads it first) and re-runs under its id,
        which carries that job forward: polled and downloaded, never submitted again.
        None for every other video."""
        record = self.store.get(video_id)
        if record is None or record.status != "failed" or not record.error:
            return None
        if json.loads(record.error).get("code") != "submit_uncertain":
            return None
        owned = [entry for entry in self.core.ledger.entries(video_id)
                 if entry.state in OWNED_STATES]
        if not owned or not self.store.reopen(video_id):
            return None
        log.info("%s: its submit %s is now %s; finishing that job", video_id, owned[-1].key,
                 owned[-1].state)
        return Work(record.id, self.output_path(record.id), record.target,
                    self.request_of(record), reopened=owned[-1].key)

    def reclaimable(self) -> builtins.list[Work]:
        """``reclaim`` for every failed-uncertain video (a gateway's start-up pass)."""
        works = [self.reclaim(record.id) for record in self.store.uncertain()]
        return [work for work in works if work is not None]

    def _stored(self, video_id: str) -> str | None:
        try:
            return self.storage.find(video_id)
        except StorageError as exc:  # storage unreachable: the work re-runs (no new submit)
            log.warning("%s: %s", video_id, exc)
            return None

    def request_of(self, record: VideoRecord) -> VideoRequest:
        from ..models import ImageInput

        fields = json.loads(record.request)
        if record.image is not None:
            fields["image"] = ImageInput(data=record.image, mime_type=record.image_mime)
        elif record.image_url is not None:
            fields["image"] = ImageInput(url=record.image_url)
        return VideoRequest.model_validate(fields)

    def sweep(self) -> int:
        """Delete the files of expired videos; their records stay (status completed)."""
        expired = self.store.expired(int(self.clock()))
        for record in expired:
            self.storage.remove(record.id)
            self.store.update(record.id, output=None)
        return len(expired)


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


def _attempt(attempt: Any) -> dict[str, Any]:
    return {key: getattr(attempt, key) for key in ("provider", "model", "outcome", "reason",
                                                   "error_kind", "job_id", "tries",
                                                   "estimated_cost_usd")}


def _prompt(prompt: Any) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise e.BadRequestError("Missing required parameter: 'prompt'.", param="prompt",
                                code="missing_required_parameter")
    return prompt


def _data_url_bytes(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if not header.endswith(";base64"):
        raise e.BadRequestError("Invalid 'input_reference.image_url': a data: URL must be "
                                "base64-encoded.", param="input_reference", code="invalid_value")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise e.BadRequestError("Invalid 'input_reference.image_url': the data: URL is not "
                                "valid base64.", param="input_reference",
                                code="invalid_value") from None


def _file_bytes(reference: Any) -> bytes:
    """Bytes from the SDK's ``FileTypes``: bytes, a binary file, a path, or a tuple."""
    if isinstance(reference, tuple) and len(reference) >= 2:
        reference = reference[1]
    if isinstance(reference, bytes | bytearray | memoryview):
        return bytes(reference)
    if isinstance(reference, os.PathLike):
        return Path(reference).read_bytes()
    read = getattr(reference, "read", None)
    if callable(read):
        data = read()
        if isinstance(data, bytes):
            return data
    if isinstance(reference, str):
        raise e.BadRequestError("input_reference must be the image's bytes, a file or a "
                                "path object, or {'image_url': ...}; a str is ambiguous.",
                                param="input_reference", code="invalid_type")
    raise e.BadRequestError(f"input_reference of type {type(reference).__name__} is not an "
                            "image upload.", param="input_reference", code="invalid_type")

