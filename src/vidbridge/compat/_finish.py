"""Finishing videos: a run's success or failure recorded (and told to the admission and the
listeners), and after a crash the work that finishes what was left unfinished without paying
twice: an accepted job resumed, a request no provider accepted re-run, a submit that may have
landed looked up, and a failed-uncertain video reclaimed once its submit is proved.
"""

from __future__ import annotations

import builtins
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..ledger import OWNED_STATES
from ..models import Job, VideoRequest, VideoResult
from ..storage import StorageError, is_url
from . import _errors as e
from ._reads import VideoReads
from ._store import VideoRecord
from ._video import VidbridgeInfo, Video, VideoList

if TYPE_CHECKING:
    from ..models import Plan

log = logging.getLogger("vidbridge.compat")


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


class VideoFinishing(VideoReads):
    """``VideoService``'s outcomes and restarts (a part of it: ``VideoService.__init__`` sets
    this state)."""

    admission: Admission | None
    retention_s: float
    listeners: builtins.list[Callable[[Video, str], object]]

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


def _attempt(attempt: Any) -> dict[str, Any]:
    return {key: getattr(attempt, key) for key in ("provider", "model", "outcome", "reason",
                                                   "error_kind", "job_id", "tries",
                                                   "estimated_cost_usd")}
