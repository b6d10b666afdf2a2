"""Gateway jobs as DBOS durable workflows, shared by any number of gateway workers.

With ``[gateway] database_url`` set (``postgresql://...`` for many workers, ``sqlite:///...``
for one), each video is a DBOS workflow whose id is the video id, enqueued on its provider's
queue. Its steps are the job's transitions, each checkpointed by DBOS before the next runs:

    intent ──> submit ──> poll until terminal ──> download ──> finish

The engine's sans-IO step generators do the work (``Engine.submit``/``wait``/``download``,
driven by ``drive`` with a blocking client in DBOS's executor threads). A worker that dies
loses nothing DBOS has checkpointed: another worker resumes the workflow at the first step
without a recorded outcome. Only the submit step is not safe to run twice: it goes through
the ledger's state machine (``Lifecycle.submit`` writes the intent before anything leaves
the process), and a re-run that finds that intent unanswered looks the job up at the
provider (Kling's ``external_task_id``) and adopts it, or fails the video as
``submit_uncertain`` with the reason instead of paying twice (``Lifecycle.carry`` decides,
as for every other reader). Once ``vidbridge jobs reconcile --adopt`` settles such a submit,
the video's next read reopens it and a second workflow, named ``VIDEO_ID.LEDGER_KEY``,
finishes the adopted job. The ledger and the video store live in the same shared database,
so any worker serves any read.

``workers.py`` runs this process's part (DBOS launch, queues, heartbeats). ``dbos`` (the
``scale`` extra) is imported only inside functions, only when a database URL is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ..drivers import drive
from ..errors import (
    DownloadFailedError,
    ProviderError,
    SubmitUncertainError,
    VidbridgeError,
    error_kind,
)
from ..models import Job, Plan, VideoResult
from ..storage import StorageError, is_url
from ..wakeups import wake_key

if TYPE_CHECKING:
    from ..compat._service import VideoService
    from ..core import ClientCore

log = logging.getLogger("vidbridge.gateway.workflows")

APP_NAME = "vidbridge-gateway"
WORKFLOW = "vidbridge.video"
QUEUE_PREFIX = "vidbridge-"


class Runtime:
    """What the workflow's steps need in this process (DBOS is a process-wide singleton)."""

    def __init__(self, service: VideoService, core: ClientCore, http: httpx.Client,
                 sleep: Callable[[float], None],
                 hooks: dict[str, Callable[[str, str], None]]) -> None:
        self.service, self.core, self.http, self.sleep = service, core, http, sleep
        self.hooks = hooks  # tests: called as hooks[step](video_id, phase)
        self.lock = threading.Lock()


_runtime: Runtime | None = None


def _rt() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the DBOS gateway runtime is not started in this process")
    return _runtime


def _hook(step: str, video_id: str, phase: str) -> None:
    hook = _rt().hooks.get(step)
    if hook is not None:
        hook(video_id, phase)


# --- the workflow ------------------------------------------------------------------------------

def _register() -> Any:
    """Declare the workflow and its steps with DBOS (once per process)."""
    from dbos import DBOS

    @DBOS.step(name="vidbridge.intent")
    def intent(video_id: str) -> dict[str, Any] | None:
        """The store row is the recorded intent; None when the video is already finished."""
        record = _rt().service.store.get(video_id)
        if record is None or record.status not in ("queued", "in_progress"):
            return None
        return {"target": record.target}

    @DBOS.step(name="vidbridge.submit")
    def submit(video_id: str) -> dict[str, Any]:
        _hook("submit", video_id, "before")
        return _submit(video_id)

    @DBOS.step(name="vidbridge.poll")
    def poll(video_id: str, key: str, job_json: str) -> dict[str, Any]:
        _hook("poll", video_id, "before")
        return _poll(video_id, key, Job.model_validate_json(job_json))

    @DBOS.step(name="vidbridge.download")
    def download(video_id: str, key: str, job_json: str) -> dict[str, Any]:
        _hook("download", video_id, "before")
        return _download(video_id, key, Job.model_validate_json(job_json))

    @DBOS.step(name="vidbridge.finish")
    def finish(video_id: str, outcome: dict[str, Any]) -> str:
        return _finish(video_id, outcome)

    @DBOS.workflow(name=WORKFLOW)
    def video(video_id: str) -> str:
        if intent(video_id) is None:
            return "finished"
        try:
            outcome = submit(video_id)
            if "job" in outcome:
                outcome = poll(video_id, outcome["key"], outcome["job"])
            if "job" in outcome:
                outcome = download(video_id, outcome["key"], outcome["job"])
        except Exception as exc:  # a bug, not a provider's answer: still end with a reason
            log.exception("video %s: unexpected error in a step", video_id)
            outcome = _failure(VidbridgeError(f"internal error ({type(exc).__name__})"))
        return finish(video_id, outcome)

    return video


def _submit(video_id: str) -> dict[str, Any]:
    """Submit once, ever, through the ledger's state machine: the candidate this video got
    furthest with is carried forward by ``Lifecycle.carry`` (an accepted job is reused; an
    unanswered intent is looked up and adopted, or the video fails as uncertain); only a
    candidate with no row, or a refused one, is sent.

    An intent another process wrote reached this step only because DBOS handed the workflow
    over: its executor was declared dead (``workers.take_over_dead``, or this machine's own
    restart), so its writer is dead and it is looked up, else uncertain - not waited for
    ``FOREIGN_INTENT_LIVE_S``. One this process wrote is still in flight here: nothing is
    written or sent, the video fails naming it, and the next read of the video resumes it
    once the row is accepted (``VideoService.reclaim``)."""
    rt = _rt()
    service, core = rt.service, rt.core
    lifecycle = core.lifecycle
    record = service.store.get(video_id)
    if record is None:
        return {"failure": {"message": "the video was deleted", "kind": "deleted"}}
    try:
        plans = _candidates(core, service.request_of(record), record.target, video_id)
    except VidbridgeError as exc:
        return _failure(exc)
    carried = lifecycle.carried_on(video_id)
    at = [(plan.provider, plan.model) for plan in plans]
    plans = plans[at.index(carried):] if carried in at else plans
    target = service.output_path(video_id)
    last: BaseException | None = None
    for plan in plans:
        adapter = core.adapter(plan.provider)
        creds = core.creds_for(plan.provider)
        candidate = f"{plan.provider}:{plan.model}"
        previous = lifecycle.previous(video_id, plan.provider, plan.model)
        key = None
        if previous is not None and previous.state != "rejected":
            try:
                job = drive(lifecycle.carry(adapter, previous, creds, plan,
                                            writer_dead=not previous.written_here),
                            rt.http, rt.sleep)
            except VidbridgeError as exc:
                return _failure(exc, candidate)
            return {"key": previous.key, "job": job.model_dump_json()}
        if previous is not None:
            key = previous.key  # a refused submit of this candidate: retried on its row
        try:
            key, job = drive(lifecycle.submit(adapter, plan, creds, video_id, key, target),
                             rt.http, rt.sleep)
        except SubmitUncertainError as exc:
            return _failure(exc, candidate)
        except ProviderError as exc:
            last = exc
            if _falls_back(core, record.target, exc):
                continue
            return _failure(exc, candidate)
        _hook("submit", video_id, "accepted")
        return {"key": key, "job": job.model_dump_json()}
    return _failure(last or VidbridgeError("no candidate could take the request"))


def _candidates(core: ClientCore, request: Any, target: str, video_id: str) -> list[Plan]:
    """The plans to try in order (a route's usable candidates, or the one model)."""
    if not core.is_route(target):
        return [core.plan(request, target, request_key=video_id)]
    checks = core.router.check(request, target, request_key=video_id)
    plans = [check.plan for check in checks if check.ok and check.plan is not None]
    if not plans:
        reasons = "; ".join(f"{c.provider}:{c.model}: {c.reason}" for c in checks)
        raise VidbridgeError(f"no candidate of {target!r} can make this video ({reasons})")
    return plans


def _falls_back(core: ClientCore, target: str, error: ProviderError) -> bool:
    if not core.is_route(target) or core.config is None:
        return False
    _, route = core.config.route(target)
    return error_kind(error) in route.fallback_on


def _poll(video_id: str, key: str, job: Job) -> dict[str, Any]:
    """Wait for the accepted job and record how it ended; polling again after a crash costs
    nothing (the job exists upstream; only its status is read)."""
    rt = _rt()
    core, ledger = rt.core, rt.core.ledger
    adapter = core.adapter(job.provider)
    creds = core.creds_for(job.provider, job.credential)
    candidate = f"{job.provider}:{job.model}"
    # A provider's push to this worker's callback route ends the wait at once.
    entry = ledger.get(key)
    wake = wake_key(entry.provider, video_id)
    # A push may reach another worker: the callback route's wake relay (PostgreSQL
    # LISTEN/NOTIFY) brings it to this one, so polls here are the safety net only.
    pushed = core.pushes(entry.provider, entry.model)
    try:
        job = drive(core.lifecycle.await_end(adapter, key, job, creds,
                                             core.clock() + core.deadline_s, wake, pushed),
                    rt.http, rt.sleep, wakeups=core.wakeups)
    except VidbridgeError as exc:
        return _failure(exc, candidate)
    return {"key": key, "job": job.model_dump_json()}


def _download(video_id: str, key: str, job: Job) -> dict[str, Any]:
    """Stream the output into the shared folder (a temporary file renamed into place), or
    into this worker's staging folder and from there to the shared storage URL."""
    rt = _rt()
    core = rt.core
    adapter = core.adapter(job.provider)
    creds = core.creds_for(job.provider, job.credential)
    target = rt.service.output_path(video_id)
    try:
        fetched = drive(core.engine.download(adapter, job, creds, target), rt.http, rt.sleep)
    except ProviderError as exc:
        return _failure(DownloadFailedError(
            f"{job.provider} job {job.id} succeeded, but its download failed ({exc}); the "
            "video exists and is paid for", job=job, ledger_key=key, provider=job.provider),
            f"{job.provider}:{job.model}")
    core.ledger.downloaded(key, target, fetched.bytes_written, fetched.sha256)
    try:  # a folder: already in place; remote storage: streamed there, visible once complete
        stored = rt.service.storage.publish(video_id, target)
    except StorageError as exc:
        return _failure(exc, f"{job.provider}:{job.model}")
    return {"key": key, "done": job.model_dump_json(), "path": stored,
            "bytes": fetched.bytes_written, "content_type": fetched.content_type}


def _finish(video_id: str, outcome: dict[str, Any]) -> str:
    rt = _rt()
    service, ledger = rt.service, rt.core.ledger
    if "done" in outcome:
        job = Job.model_validate_json(outcome["done"])
        entry = ledger.get(outcome["key"])
        stored = outcome["path"]
        service.succeeded(video_id, VideoResult(
            job=job, path=None if is_url(stored) else Path(stored),
            bytes_written=outcome["bytes"], content_type=outcome.get("content_type"),
            plan=entry.plan), stored=stored)
        ledger.finished(outcome["key"])
        return "completed"
    service.failed(video_id, _Recorded(outcome["failure"]))
    return "failed"


class _Recorded(VidbridgeError):
    """A failure a step recorded (as JSON, so a replay sees the same one)."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", "the job failed"))
        self.kind = body.get("kind", "other")
        self.code = body.get("code")


def _failure(exc: BaseException, candidate: str | None = None) -> dict[str, Any]:
    message = str(exc) or type(exc).__name__
    return {"failure": {"message": message, "kind": error_kind(exc),
                        "code": getattr(exc, "code", None), "candidate": candidate}}


_registered: Any = None


def _workflow() -> Any:
    global _registered
    if _registered is None:
        _registered = _register()
    return _registered


def install(runtime: Runtime | None) -> Any:
    """Make ``runtime`` the one the steps use in this process; returns the workflow."""
    global _runtime
    _runtime = runtime
    return _workflow() if runtime is not None else None
