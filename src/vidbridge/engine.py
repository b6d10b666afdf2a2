"""Submit -> poll -> download, written once as generators and driven sync or async.

Engine logic never touches a socket: it yields an ``httpx.Request`` (the driver sends it and
sends back the response), a ``Sleep`` (the driver waits) or a ``Download`` (the driver streams
the body into a temporary file beside the target). A transport failure is thrown back into
the generator, so retry and safety decisions live here, once, for both drivers (``drivers``);
so is an interruption (a cancelled task, KeyboardInterrupt), which then goes on to the caller.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from .errors import (
    AuthenticationError,
    CapabilityError,
    ContentPolicyError,
    InsufficientCreditsError,
    InvalidRequestError,
    JobFailedError,
    JobTimeoutError,
    ModelUnavailableError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    SubmitUncertainError,
)
from .files import write_atomically
from .limits import tag
from .models import Job, Plan
from .provider import Credentials, VideoProvider

T = TypeVar("T")
R = TypeVar("R")
# Transport failures that prove the request never left the machine (DNS and refused
# connections are ConnectError; a pool timeout never got a connection to send on).
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError, httpx.PoolTimeout,
              httpx.UnsupportedProtocol)
# Typed refusals an adapter reads from a submit's answer: the provider made no job.
REFUSALS = (AuthenticationError, CapabilityError, ContentPolicyError, InsufficientCreditsError,
            InvalidRequestError, ModelUnavailableError, RateLimitError)


# What httpx and idna raise for a URL no request can carry (a control character, a bad port,
# a malformed IDNA host); from a job id or URL a provider's answer gave, it is that answer's
# fault, so it becomes a ``ProviderError``, never an untyped ``InvalidURL`` or ``IDNAError``.
UNUSABLE_URL = (httpx.InvalidURL, UnicodeError)


def built(adapter: VideoProvider, job: Job, what: str, make: Callable[..., R],
          *args: Any) -> R:
    """``make(*args)`` (an adapter's ``build_poll``/``build_download``), or a ``ProviderError``
    saying the job ``what`` (e.g. "cannot be polled") when the answer's id or URL is unusable."""
    try:
        return make(*args)
    except UNUSABLE_URL as exc:
        raise ProviderError(f"{adapter.name} job {job.id!r:.80} {what}: the answer gave an id "
                            f"or URL no request can carry ({exc})"[:400],
                            provider=adapter.name) from None


def answered_by_provider(adapter: VideoProvider, response: httpx.Response) -> bool:
    """Whether an error answer is in the provider's own error shape (the adapter's optional
    ``is_provider_error``); without one, nothing proves the provider itself answered."""
    recognise = getattr(adapter, "is_provider_error", None)
    if recognise is None:
        return False
    try:
        return bool(recognise(response))
    except Exception:  # a recogniser that trips over a body has not recognised it
        return False


@dataclass(frozen=True)
class Sleep:
    seconds: float
    # A poll wait's ``wakeups`` key: a provider's push for this job may end the wait early.
    wake: str | None = None


@dataclass(frozen=True)
class Download:
    request: httpx.Request
    target: Path


@dataclass
class Downloaded:
    """What the driver saw: the response head, and the temporary file (success) or body."""

    response: httpx.Response
    temp_path: Path | None = None
    bytes_written: int = 0
    sha256: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A download in place: its size, media type and SHA-256 (hex)."""

    bytes_written: int
    content_type: str | None
    sha256: str | None


Step = httpx.Request | Sleep | Download
Steps = Generator[Step, Any, T]


@dataclass(frozen=True)
class PollPolicy:
    """How to wait for a job: exponential backoff with jitter, capped, never unbounded."""

    first: float = 2.0
    factor: float = 1.5
    cap: float = 20.0
    jitter: float = 0.1
    transient_errors: int = 5  # consecutive poll failures tolerated before giving up
    # A succeeded job's download is never replaced by a new job, so it is worth some tries.
    download_tries: int = 4
    # Wait at least an adapter's documented ``poll_interval`` (Runway, Kling: 5 s); tests and
    # benchmarks against the simulator turn this off.
    provider_guidance: bool = True
    # A job whose provider was given our callback URL is still polled (the push may never
    # come), but only as a safety net: at least this long between polls, since the push
    # itself ends any wait at once.
    pushed_floor: float = 60.0

    def interval(self, attempt: int, rng: random.Random) -> float:
        # The exponent stops growing once the cap is reached: ``1.5 ** 1750`` overflows.
        base = min(self.cap, self.first * self.factor ** min(attempt, 100))
        return base * (1 + rng.uniform(-self.jitter, self.jitter))


@dataclass
class Engine:
    """Holds the clock, randomness and poll policy the step generators use."""

    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    poll_policy: PollPolicy = field(default_factory=PollPolicy)
    on_update: Callable[[Job], None] | None = None  # told of every polled state

    # -- submit --------------------------------------------------------------------------------
    def submit(self, adapter: VideoProvider, plan: Plan, creds: Credentials) -> Steps[Job]:
        """One submit, never retried here: a repeat could pay twice."""
        request = tag(adapter.build_submit(plan, creds), adapter.name)
        failure: ProviderError | None = None
        try:
            response = yield request
        except NEVER_SENT as exc:
            # The request never reached the provider: nothing was accepted.
            failure = ProviderUnavailableError(
                f"could not reach {adapter.name} at {origin(request.url)} "
                f"({type(exc).__name__}); nothing was sent", provider=adapter.name)
        except httpx.TransportError as exc:
            failure = SubmitUncertainError(
                f"{adapter.name} did not answer the submit ({type(exc).__name__}); it may have "
                "accepted the job, so it is not resubmitted blindly", provider=adapter.name)
        if failure is not None:
            # Raised outside the except block, so no __context__ holds the httpx error and
            # with it the request and its credential headers.
            raise failure
        if response.status_code >= 500 and not answered_by_provider(adapter, response):
            # A proxy or load balancer in front may answer 502/503/504 after the provider
            # took the job: only the provider's own error body proves it refused.
            raise SubmitUncertainError(
                f"{adapter.name}'s submit got HTTP {response.status_code} without "
                f"{adapter.name}'s error body (a proxy in front may have answered after the "
                "provider accepted); it may have accepted the job, so it is not resubmitted "
                "blindly", provider=adapter.name, status=response.status_code)
        try:
            job = adapter.parse_submit(response, plan)
        except (*REFUSALS, SubmitUncertainError):
            raise  # refused, or already uncertain with the adapter's own words
        except (ProviderError, ValueError, KeyError, TypeError) as exc:
            if not response.is_success:
                raise
            # A success we cannot read may still be a job the provider made (and bills).
            raise SubmitUncertainError(
                f"{adapter.name} answered the submit with HTTP {response.status_code} but no "
                f"readable job ({type(exc).__name__}); it may have accepted the job, so it is "
                "not resubmitted blindly", provider=adapter.name,
                status=response.status_code) from None
        return job.model_copy(update={
            "provider": adapter.name, "model": plan.model, "backend": adapter.backend(creds),
            "credential": creds.name})

    # -- poll ----------------------------------------------------------------------------------
    def wait(self, adapter: VideoProvider, job: Job, creds: Credentials,
             deadline: float | None, wake: str | None = None,
             pushed: bool = False) -> Steps[Job]:
        """Poll until the job is terminal or ``deadline`` (clock time) passes; each wait
        between polls may be cut short by ``wakeups.wake(wake)`` (a provider's push).
        ``pushed``: the provider will push, so polls are only the safety net."""
        policy, rounds, errors = self.poll_policy, 0, 0
        floor = getattr(adapter, "poll_interval", 0.0) if policy.provider_guidance else 0.0
        if pushed and wake is not None:
            floor = max(floor, policy.pushed_floor)
        pause = job.poll_after
        while not job.done:
            wait = pause if pause is not None else max(floor, policy.interval(rounds, self.rng))
            if deadline is not None and self.clock() + wait > deadline:
                yield from self.cancel(adapter, job, creds)
                raise JobTimeoutError(
                    f"{job.provider} job {job.id} was still {job.status} at the deadline; "
                    "resume it later by id", job=job)
            yield Sleep(wait, wake)
            rounds += 1
            try:
                poll = built(adapter, job, "cannot be polled", adapter.build_poll, job, creds)
                response = yield tag(poll, adapter.name)
                job = adapter.parse_job(response, job)
                errors, pause = 0, job.poll_after
                if self.on_update is not None:
                    self.on_update(job)
            except (httpx.TransportError, RateLimitError, ProviderUnavailableError) as exc:
                errors += 1
                failure = _as_provider_error(exc, adapter.name)
                pause = getattr(exc, "retry_after", None)
            else:
                continue
            if errors > policy.transient_errors:
                raise failure  # outside the except block: no httpx error in its chain
        return job

    def cancel(self, adapter: VideoProvider, job: Job, creds: Credentials) -> Steps[None]:
        """Best effort: ask the provider to stop a job we no longer wait for."""
        try:
            request = adapter.build_cancel(job, creds)
        except UNUSABLE_URL:  # an id no URL can carry: there is nothing to ask
            return
        if request is None:
            return
        with contextlib.suppress(httpx.TransportError, ProviderError):
            adapter.raise_for_error((yield tag(request, adapter.name)))

    # -- download ------------------------------------------------------------------------------
    def download(self, adapter: VideoProvider, job: Job, creds: Credentials, target: Path,
                 variant: str = "video") -> Steps[Fetched]:
        """Write the output to ``target`` atomically, retrying with backoff."""
        if job.output_inline is not None and variant == "video":
            write_atomically(target, job.output_inline)
            return Fetched(len(job.output_inline), "video/mp4",
                           hashlib.sha256(job.output_inline).hexdigest())
        tries = 0
        while True:
            tries += 1
            request = built(adapter, job, "cannot be fetched", adapter.build_download, job,
                            creds, variant)
            if request is None:
                raise ProviderError(f"{adapter.name} job {job.id} has no output to download",
                                    provider=adapter.name)
            try:
                got: Downloaded = yield Download(tag(request, adapter.name), target)
                adapter.raise_for_error(got.response)
                if got.temp_path is None:
                    raise ProviderUnavailableError("download produced no file",
                                                   provider=adapter.name)
                stated = got.response.headers.get("content-length")
                encoded = got.response.headers.get("content-encoding", "identity") != "identity"
                if (stated is not None and not encoded and stated.isdigit()
                        and int(stated) != got.bytes_written):
                    got.temp_path.unlink(missing_ok=True)
                    raise ProviderUnavailableError(
                        f"download of job {job.id} ended after {got.bytes_written} of {stated} "
                        "bytes", provider=adapter.name)
                if not got.bytes_written:  # a 204, or a 200 with no body: not a video
                    got.temp_path.unlink(missing_ok=True)
                    raise ProviderUnavailableError(
                        f"download of job {job.id} was empty (HTTP {got.response.status_code})",
                        provider=adapter.name)
                os.replace(got.temp_path, target)
                return Fetched(got.bytes_written, got.response.headers.get("content-type"),
                               got.sha256)
            except (httpx.TransportError, ProviderUnavailableError, RateLimitError) as exc:
                failure = _as_provider_error(exc, adapter.name)
                hinted = getattr(exc, "retry_after", None)
            if tries >= self.poll_policy.download_tries:
                raise failure  # outside the except block: no httpx error in its chain
            yield Sleep(hinted if hinted is not None
                        else self.poll_policy.interval(tries - 1, self.rng))

    # -- the whole job -------------------------------------------------------------------------
    def run(self, adapter: VideoProvider, plan: Plan, creds: Credentials, target: Path | None,
            deadline: float | None = None,
            on_accepted: Callable[[Job], None] | None = None) -> Steps[tuple[Job, Fetched]]:
        """Submit, wait and download one plan on one provider (no ledger: see lifecycle)."""
        job = yield from self.submit(adapter, plan, creds)
        if on_accepted is not None:
            on_accepted(job)
        job = yield from self.finish(adapter, job, creds, target, deadline)
        fetched = Fetched(0, None, None)
        if target is not None:
            fetched = yield from self.download(adapter, job, creds, target)
        return job, fetched

    def finish(self, adapter: VideoProvider, job: Job, creds: Credentials,
               target: Path | None, deadline: float | None) -> Steps[Job]:
        """Wait for an accepted job and raise if it ended in anything but success."""
        job = yield from self.wait(adapter, job, creds, deadline)
        if job.status != "succeeded":
            raise failure_of(job)
        return job


def origin(url: httpx.URL) -> str:
    """``scheme://host[:port]`` of ``url``: where a request went, without its path, query or
    any userinfo (a URL may carry credentials; a message never does)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}" + (f":{url.port}" if url.port is not None else "")


def failure_of(job: Job) -> ProviderError:
    """The error a terminal, unsuccessful job stands for."""
    text = job.error_message or f"job ended {job.status}"
    message = f"{job.provider} job {job.id} {job.status}: {text}"
    context = {"provider": job.provider, "code": job.error_code}
    if job.meta.get("failure") == "content_policy":
        return ContentPolicyError(message, reasons=[text], **context)
    return JobFailedError(message, job=job, retryable=job.meta.get("failure") == "transient",
                          **context)


def _as_provider_error(exc: BaseException, provider: str) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    return ProviderUnavailableError(f"{provider} could not be reached: {type(exc).__name__}",
                                    provider=provider)
