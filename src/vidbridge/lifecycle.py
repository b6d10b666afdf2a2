"""One candidate's job through the ledger's state machine, as engine steps.

The router, the single-model client, ``resume`` and every recovery call these, so each state
is written in one place, before its side effect (the table is in ``ledger.py``):

- ``submit``: intent -> send -> accepted | rejected | uncertain (after a lookup; at once
  when the caller stops waiting for the answer: ``unanswered``).
- ``look_up``: an unanswered submit -> accepted only with proof (our own id) or when exactly
  one unowned job matches and was created after the intent; else nothing.
- ``complete``: accepted -> succeeded | failed | content_policy | cancelled | timeout, then
  downloaded. A failing download of a succeeded job is ``DownloadFailedError``: never replaced.
- ``carry``: an existing row up to its accepted job, or a typed error, without a new submit:
  the one place that decides whether a previous row may be resubmitted (never, unless it
  was refused). ``proceed`` = ``carry`` + ``complete`` (resume, a re-run of the same
  request); the gateway's DBOS submit step calls ``carry`` itself.
- ``carried_on``: which candidate of a route a re-run goes on from.
- ``attempt``: the above for one candidate of one request, reusing a row it already has.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx

from .drivers import never_sent
from .engine import UNUSABLE_URL, Fetched, Sleep, Steps, failure_of
from .errors import (
    ConfigError,
    ContentPolicyError,
    DownloadFailedError,
    JobFailedError,
    JobTimeoutError,
    ProviderError,
    SubmitInFlightError,
    SubmitUncertainError,
    VidbridgeError,
    error_kind,
)
from .ledger import FAILED_STATES, UNANSWERED_STATES, Entry, JobOwnedError
from .limits import tag
from .models import Job
from .wakeups import wake_key

if TYPE_CHECKING:
    from .core import ClientCore
    from .models import Plan
    from .provider import Credentials, VideoProvider

T = TypeVar("T")
RetryWait = Callable[[ProviderError, int], "float | None"]


@dataclass(frozen=True)
class Done:
    """A job that succeeded, with its download (empty when there was no target)."""

    key: str
    job: Job
    fetched: Fetched


@dataclass
class Outcome:
    """How one candidate ended: done, or an error (with the job if one exists upstream)."""

    tries: int
    key: str | None = None
    error: BaseException | None = None
    job: Job | None = None
    done: Done | None = None

    @property
    def pending(self) -> bool:
        """A job exists upstream that is ours and unfinished (or paid, not downloaded)."""
        if isinstance(self.error, DownloadFailedError):
            return True
        return self.job is not None and not self.job.done


class Lifecycle:
    def __init__(self, core: ClientCore) -> None:
        self.core = core

    # -- one transition at a time ----------------------------------------------------------
    def submit(self, adapter: VideoProvider, plan: Plan, creds: Credentials, request_key: str,
               key: str | None = None, target: Path | None = None) -> Steps[tuple[str, Job]]:
        """Write the intent, send, and record the answer. Errors carry ``ledger_key``."""
        ledger = self.core.ledger
        if key is None:
            own_id = getattr(adapter, "lookup_id", None)
            key = ledger.intent(request_key, plan, credential=creds.name, target=target,
                                lookup_id=own_id(plan) if own_id is not None else None)
        else:
            ledger.retry(key)
        try:
            job = yield from self.unanswered(key, self.core.engine.submit(adapter, plan, creds),
                                             sending=True)
        except SubmitUncertainError as exc:
            found = yield from self.unanswered(key, self.look_up(adapter, ledger.get(key),
                                                                 creds, plan))
            if found is not None:
                self.core.job_accepted(found, request_key)
                return key, found
            # Say which row it is and how a person settles it (the CLI's and the gateway's
            # error show this message; `jobs list` shows the same row).
            exc.args = (f"{exc.args[0] if exc.args else 'no answer'}; settle it with "
                        f"`vidbridge jobs reconcile {key} --adopt PROVIDER_JOB_ID` or "
                        "`--abandon`",)
            ledger.mark_uncertain(key, str(exc))
            exc.ledger_key = key  # type: ignore[attr-defined]
            raise
        except VidbridgeError as exc:
            ledger.rejected(key, error_kind(exc), str(exc))
            exc.ledger_key = key  # type: ignore[attr-defined]
            raise
        ledger.accepted(key, job)
        self.core.job_accepted(job, request_key)
        return key, job

    def unanswered(self, key: str, steps: Steps[T], sending: bool = False) -> Steps[T]:
        """``steps`` run while ``key``'s submit is unanswered (the send, its lookup). Stopped
        there by the caller (a cancelled task, KeyboardInterrupt, an error not ours), nobody
        waits for the answer any more: the intent becomes ``uncertain``, so a re-run looks it
        up, else names ``jobs reconcile``, instead of taking this live process for its writer
        and refusing as "still in flight" for as long as it runs. ``GeneratorExit`` (the steps
        closed unfinished, e.g. when collected) writes nothing: that is not an instant at
        which anything happened. ``sending``: ``steps`` are the submit itself, so a stop
        before its request reached the transport (waiting for an in-flight slot: a cancelled
        batch has many such) is ``rejected`` - nothing left, a re-run sends it."""
        try:
            return (yield from steps)
        except (GeneratorExit, VidbridgeError):
            raise
        except BaseException as exc:
            if sending and never_sent(exc):
                self.core.ledger.rejected(key, "interrupted", (
                    f"interrupted ({type(exc).__name__}) before the submit was sent: nothing "
                    "left the machine"))
                raise
            self.core.ledger.mark_uncertain(key, (
                f"interrupted ({type(exc).__name__}) before the submit's answer came; it may "
                f"have accepted the job: settle it with `vidbridge jobs reconcile {key} "
                "--adopt PROVIDER_JOB_ID` or `--abandon`"))
            raise

    def look_up(self, adapter: VideoProvider, entry: Entry, creds: Credentials,
                plan: Plan | None = None) -> Steps[Job | None]:
        """Find the job of an unanswered submit where the provider allows; adopt it only if
        it is provably ours. None leaves the entry as it was."""
        build = getattr(adapter, "build_lookup", None)
        parse = getattr(adapter, "parse_lookup", None)
        plan = plan or entry.plan
        if build is None or parse is None or plan is None:
            return None
        request = build(entry.lookup_id or plan, creds)
        if request is None:
            return None
        try:
            found = parse((yield tag(request, adapter.name)), plan)
        except (httpx.TransportError, ProviderError):
            return None
        matches = found if isinstance(found, list) else [found] if found is not None else []
        ledger = self.core.ledger
        unowned = [job for job in matches if ledger.owner(adapter.name, job.id) is None]
        if len(unowned) != 1:
            return None  # none, or two that could each be ours: a person decides
        job: Job = unowned[0]
        by_own_id = getattr(adapter, "lookup_by_own_id", False)
        if not by_own_id and not _created_after(job, entry.created):
            return None  # an older identical video is someone else's (or an earlier run's)
        job = job.model_copy(update={"provider": adapter.name, "model": entry.model,
                                     "backend": adapter.backend(creds),
                                     "credential": creds.name})
        try:
            ledger.adopt(entry.key, job)
        except JobOwnedError:
            return None  # another process claimed it between our read and our write
        return job

    def check_adoptable(self, adapter: VideoProvider, entry: Entry, creds: Credentials,
                        job_id: str, family: str | None = None) -> Steps[Job]:
        """The job a person names for an unanswered submit, polled once to prove it exists
        (a typo must not be adopted). Raises the provider's error if it does not.

        An adapter whose jobs live under several endpoint families (Kling) places the job by
        its ``adopted_job``, from what the intent recorded, else from ``family``."""
        job = Job(provider=entry.provider, model=entry.model, id=job_id, status="queued",
                  backend=adapter.backend(creds), credential=creds.name)
        place = getattr(adapter, "adopted_job", None)
        if place is not None:
            job = place(job, lookup_id=entry.lookup_id, plan=entry.plan, family=family)
        elif family is not None:
            raise ConfigError(f"{entry.provider} jobs have no endpoint families: leave out "
                              f"--family {family}")
        try:
            poll = adapter.build_poll(job, creds)
        except UNUSABLE_URL as exc:  # a typo'd or pasted id no URL can carry
            raise ConfigError(f"{job_id[:80]!r} is not a {entry.provider} job id ({exc})"
                              ) from None
        response = yield tag(poll, adapter.name)
        polled: Job = adapter.parse_job(response, job)
        return polled.model_copy(update={"provider": entry.provider, "model": entry.model,
                                         "credential": creds.name})

    def await_end(self, adapter: VideoProvider, key: str, job: Job, creds: Credentials,
                  deadline: float | None, wake: str | None = None,
                  pushed: bool = False) -> Steps[Job]:
        """Wait for an accepted job and record how it ended: the succeeded job, else the
        ending's error raised (timeout, failure, content policy; each one a terminal row)."""
        ledger = self.core.ledger
        try:
            job = yield from self.core.engine.wait(adapter, job, creds, deadline, wake, pushed)
        except JobTimeoutError as exc:
            ledger.ended(key, exc.job or job, "timeout", "timeout", str(exc))
            raise
        except (ContentPolicyError, JobFailedError) as exc:
            # A poll answer that *is* the job's ending (e.g. Veo's filtered operation).
            ended = getattr(exc, "job", None) or job.model_copy(update={"status": "failed"})
            ending = "content_policy" if isinstance(exc, ContentPolicyError) else "failed"
            ledger.ended(key, ended if ended.done else ended.model_copy(
                update={"status": "failed"}), ending, error_kind(exc), str(exc))
            raise
        if job.status != "succeeded":
            error = failure_of(job)
            state = "content_policy" if isinstance(error, ContentPolicyError) else None
            ledger.ended(key, job, state, error_kind(error), str(error))
            raise error
        ledger.ended(key, job)
        return job

    def complete(self, adapter: VideoProvider, key: str, job: Job, creds: Credentials,
                 target: Path | None, deadline: float | None,
                 wake: str | None = None, pushed: bool = False) -> Steps[Done]:
        """Wait for an accepted job, record how it ended, download a success (``wake``: the
        job's ``wakeups`` key, so a provider's push ends a poll wait early)."""
        ledger, engine = self.core.ledger, self.core.engine
        job = yield from self.await_end(adapter, key, job, creds, deadline, wake, pushed)
        fetched = Fetched(0, None, None)
        if target is not None:
            try:
                fetched = yield from engine.download(adapter, job, creds, target)
            except ProviderError as exc:
                raise DownloadFailedError(
                    f"{job.provider} job {job.id} succeeded, but its download failed ({exc}); "
                    f"the video exists and is paid for: fetch it with `vidbridge resume {key}`"
                    " (no new job is made)", job=job, ledger_key=key, provider=job.provider,
                    status=exc.status, code=exc.code) from None
            ledger.downloaded(key, target, fetched.bytes_written, fetched.sha256)
        return Done(key, job, fetched)

    def carry(self, adapter: VideoProvider, entry: Entry, creds: Credentials,
              plan: Plan | None = None, *, writer_dead: bool = False) -> Steps[Job]:
        """Carry an existing row forward up to its accepted job; never submits. Every reader
        of a previous row (``proceed``: a re-run, ``resume``, gateway recovery; the gateway's
        DBOS submit step) goes through here, so "may this be resubmitted" is decided once.

        - owned (accepted, succeeded, timeout, downloaded, finished): its job.
        - unanswered: looked up (``plan``: the candidate's, else the stored one) and adopted
          when provably ours. Else an intent whose writer may still be alive (its pid on this
          host, or another host's for ``FOREIGN_INTENT_LIVE_S``) is in flight: nothing is
          written, ``SubmitUncertainError`` says where it waits. ``writer_dead``: the caller
          knows better (a DBOS workflow handed over from a dead executor). Otherwise the row
          becomes ``uncertain`` and ``SubmitUncertainError`` names ``jobs reconcile``.
        - failed, cancelled, content_policy, abandoned, rejected: the recorded error."""
        ledger = self.core.ledger
        job = ledger.live(entry)
        if entry.state in UNANSWERED_STATES:
            job = yield from self.look_up(adapter, entry, creds, plan)
            if job is None and entry.state == "intent" and not (writer_dead or entry.orphaned):
                # Its process (here, or on another host) may still record the answer.
                raise SubmitInFlightError(in_flight_message(entry), provider=entry.provider)
            if job is None:
                message = unanswered_message(entry)
                ledger.mark_uncertain(entry.key, message)
                raise SubmitUncertainError(message, provider=entry.provider)
            self.core.job_accepted(job, entry.request_key)
        elif entry.state in FAILED_STATES or job is None:
            raise recorded_failure(entry)
        return job

    def proceed(self, adapter: VideoProvider, entry: Entry, creds: Credentials,
                target: Path | None, deadline: float | None) -> Steps[Done]:
        """Carry an existing row forward to its end (poll, download); never submits."""
        job = self.core.ledger.live(entry)
        if entry.state in ("downloaded", "finished") and job is not None and entry.path and (
                target is None or Path(entry.path) == target) and Path(entry.path).exists():
            return Done(entry.key, job, Fetched(entry.bytes or 0, "video/mp4", entry.sha256))
        job = yield from self.carry(adapter, entry, creds)
        if job.status == "succeeded" and job.output_url is None and job.output_inline is None:
            # An inline video (Vertex) is not stored in the ledger: one poll brings it back.
            job = job.model_copy(update={"status": "running"})
        return (yield from self.complete(
            adapter, entry.key, job, creds, target, deadline,
            wake_key(entry.provider, entry.request_key),
            self.core.pushes(entry.provider, entry.model)))

    # -- one candidate of one request --------------------------------------------------------
    def attempt(self, adapter: VideoProvider, plan: Plan, creds: Credentials, *,
                request_key: str, target: Path | None, deadline: float | None,
                retry_wait: RetryWait | None = None,
                refused: Callable[[ProviderError], None] | None = None,
                fresh: bool = False) -> Steps[Outcome]:
        """Run one candidate to an ``Outcome``; a row this request already has for it is
        carried forward instead of submitting again (``fresh``: the key is new, no read)."""
        previous = None if fresh else self.previous(request_key, plan.provider, plan.model)
        if previous is not None and previous.state != "rejected":
            if previous.state in FAILED_STATES | {"abandoned"}:
                return Outcome(0, previous.key, recorded_failure(previous), previous.job)
            try:
                done = yield from self.proceed(adapter, previous, creds, target, deadline)
            except VidbridgeError as exc:
                return Outcome(0, previous.key, exc, _job_of(exc, self.core.ledger.live(
                    self.core.ledger.get(previous.key))))
            return Outcome(0, previous.key, job=done.job, done=done)
        key, tries = previous.key if previous is not None else None, 0
        while True:
            tries += 1
            try:
                key, job = yield from self.submit(adapter, plan, creds, request_key, key, target)
                break
            except SubmitUncertainError as exc:
                return Outcome(tries, getattr(exc, "ledger_key", key), exc)
            except ProviderError as exc:
                key = getattr(exc, "ledger_key", key)
                if refused is not None:
                    refused(exc)
                wait = retry_wait(exc, tries) if retry_wait is not None else None
                if wait is None:
                    return Outcome(tries, key, exc)
                yield Sleep(wait)
        try:
            done = yield from self.complete(adapter, key, job, creds, target, deadline,
                                            wake_key(plan.provider, request_key),
                                            plan.callback_url is not None)
        except VidbridgeError as exc:
            return Outcome(tries, key, exc, _job_of(exc, job))
        return Outcome(tries, key, job=done.job, done=done)

    def carried_on(self, request_key: str) -> tuple[str, str] | None:
        """The candidate (provider, model) a re-run of a request goes on from: the newest
        row that is not a refusal. The candidates before it were refused (or ended) before
        it was tried, so none is sent again while this one's job may exist (an adopted job,
        a crash mid-poll)."""
        if not request_key:
            return None
        rows = [entry for entry in self.core.ledger.entries(request_key)
                if entry.state != "rejected"]
        return (rows[-1].provider, rows[-1].model) if rows else None

    def previous(self, request_key: str, provider: str, model: str) -> Entry | None:
        """The newest row this request already has for one candidate."""
        if not request_key:
            return None
        rows = [entry for entry in self.core.ledger.entries(request_key)
                if entry.provider == provider and entry.model == model]
        return rows[-1] if rows else None


def _job_of(error: BaseException, job: Job | None) -> Job | None:
    """The job an error leaves behind: failed for a failure, else as it last stood."""
    found = getattr(error, "job", None) or job
    if isinstance(error, JobFailedError | ContentPolicyError) and found is not None:
        return found if found.done else found.model_copy(update={"status": "failed"})
    return found


def _created_after(job: Job, intent_created: float) -> bool:
    """Whether the provider made ``job`` after our intent (whole seconds: providers round)."""
    if job.created_at is None:
        return False
    return job.created_at.timestamp() >= math.floor(intent_created)


def unanswered_message(entry: Entry) -> str:
    return (f"{entry.provider}:{entry.model} submit {entry.key} (request {entry.request_key}) "
            "got no answer and no lookup proved which job is ours: it may exist (and be "
            "billed) upstream, so it is not sent again. Resolve it with `vidbridge jobs "
            f"reconcile {entry.key} --adopt PROVIDER_JOB_ID` or `--abandon`")


def in_flight_message(entry: Entry) -> str:
    return (f"{entry.provider}:{entry.model} submit {entry.key} (request {entry.request_key}) "
            f"is still waiting for its answer in {entry.where}; nothing is sent again: run "
            "this again once that process has finished (an intent from another host counts as "
            "unanswered after 30 minutes)")


def recorded_failure(entry: Entry) -> VidbridgeError:
    """The error a terminal row stands for, as if it had just happened."""
    job = entry.job
    if entry.state in FAILED_STATES and job is not None and job.done:
        return failure_of(job)
    if entry.state == "abandoned":
        return SubmitUncertainError(f"submit {entry.key} was abandoned by reconcile",
                                    provider=entry.provider)
    return VidbridgeError(entry.error or f"ledger entry {entry.key} is {entry.state}")
