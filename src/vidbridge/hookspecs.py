"""Hooks a plugin may implement: register a module under the ``vidbridge`` entry-point group,
decorate any of these with ``@vidbridge.hookimpl`` and take only the arguments you use."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .models import Adjustment, Attempt, Job, VideoResult
    from .provider import VideoProvider

hookspec = pluggy.HookspecMarker("vidbridge")
hookimpl = pluggy.HookimplMarker("vidbridge")


@hookspec
def video_providers() -> list[VideoProvider]:  # type: ignore[empty-body]
    """Return the providers this plugin offers."""


@hookspec
def attempt_started(provider: str, model: str, request_id: str) -> None:
    """A candidate is about to be tried (its plan passed normalisation)."""


@hookspec
def adjustment_made(provider: str, model: str, adjustment: Adjustment) -> None:
    """Normalisation changed a value the caller asked for, before it was sent."""


@hookspec
def job_accepted(job: Job, request_id: str | None) -> None:
    """A provider accepted a job (for ``request_id``). Its ledger record is already saved."""


@hookspec
def job_updated(job: Job) -> None:
    """A poll brought news of a job (status, progress). Its ledger row is already updated."""


@hookspec
def retry_scheduled(provider: str, model: str, error: BaseException, wait_s: float,
                    request_id: str) -> None:
    """A submit was refused with a retryable error (429, 5xx); it is retried in ``wait_s``."""


@hookspec
def fallback(attempt: Attempt, request_id: str) -> None:
    """A candidate was skipped or failed and the route moves on to the next one."""


@hookspec
def job_finished(result: VideoResult) -> None:
    """A job reached a terminal state. Its record is already saved."""


@hookspec
def request_failed(request_id: str, error: BaseException) -> None:
    """A generate ended without a video (every candidate failed, or it was stopped)."""
