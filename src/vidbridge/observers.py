"""The default observer: standard ``logging`` of every event, never a secret.

Events carry only models whose secrets are excluded (jobs hold credential *names*); output
URLs may still be signed (Runway ``?_jwt=``), so every vidbridge and HTTP client logger gets
the shared redaction filter when this module loads (the plugin manager loads it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .hookspecs import hookimpl
from .redaction import install as _install_redaction

if TYPE_CHECKING:
    from .models import Adjustment, Attempt, Job, VideoResult

log = logging.getLogger("vidbridge")
log.addHandler(logging.NullHandler())  # a library logs; the application decides where to
_install_redaction()


class LoggingObserver:
    @hookimpl
    def attempt_started(self, provider: str, model: str, request_id: str) -> None:
        log.info("[%s] trying %s:%s", request_id, provider, model)

    @hookimpl
    def adjustment_made(self, provider: str, model: str, adjustment: Adjustment) -> None:
        log.info("%s:%s adjusted %s: %r -> %r (%s)", provider, model, adjustment.field,
                 adjustment.asked, adjustment.given, adjustment.reason)

    @hookimpl
    def job_accepted(self, job: Job) -> None:
        log.info("%s accepted job %s (%s)", job.provider, job.id, job.model)

    @hookimpl
    def fallback(self, attempt: Attempt, request_id: str) -> None:
        log.info("[%s] %s:%s %s: %s", request_id, attempt.provider, attempt.model,
                    attempt.outcome, attempt.reason)

    @hookimpl
    def job_finished(self, result: VideoResult) -> None:
        job = result.job
        log.info("%s job %s %s%s", job.provider, job.id, job.status,
                 f" -> {result.path}" if result.path else "")
