"""One ledger row as read, and the states it can be in (the machine itself: ``ledger``).

An ``Entry`` answers the questions every reader asks of an unanswered submit: is its writer
gone (``orphaned``), did this very process write it (``written_here``). Kept apart from the
table's SQL so readers that only judge rows (lifecycle, gateway workers) read them here.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from .errors import ConfigError
from .files import process_alive, process_started
from .models import Job, Plan

HOST = os.uname().nodename if hasattr(os, "uname") else ""
PID_START_SLACK_S = 2.0  # /proc's boot time is whole seconds; start times are ~1 s precise
STARTED = time.time()  # an intent with our pid written before this is a dead namesake's
# An intent written on another host counts as live this long (its process cannot be checked):
# longer than a submit can wait for its answer with default settings (HTTP timeout 60 s, route
# deadline 20 min). Raise it if a provider's timeout_s or a route's deadline_s is longer.
FOREIGN_INTENT_LIVE_S = 30 * 60.0

FAILED_STATES = frozenset({"failed", "cancelled", "content_policy"})
TERMINAL_STATES = FAILED_STATES | {"finished", "abandoned", "rejected"}
# States whose job exists upstream and is ours: resume finishes it, nobody submits again.
OWNED_STATES = frozenset({"accepted", "succeeded", "timeout", "downloaded"})
UNANSWERED_STATES = frozenset({"intent", "uncertain"})
# How a job status ends the machine.
ENDING = {"succeeded": "succeeded", "failed": "failed", "cancelled": "cancelled"}


class JobOwnedError(ConfigError):
    """A provider job id is already owned by another ledger row (never adopt it twice)."""


@dataclass(frozen=True)
class Entry:
    """One row of the ledger, as read."""

    key: str
    request_key: str
    provider: str
    model: str
    credential: str
    state: str
    job_id: str | None
    job_json: str | None
    plan_json: str | None
    lookup_id: str | None
    error_kind: str | None
    error: str | None
    path: str | None
    bytes: int | None
    sha256: str | None
    source: str | None
    pid: int | None
    host: str | None
    created: float
    updated: float

    @property
    def job(self) -> Job | None:
        return Job.model_validate_json(self.job_json) if self.job_json else None

    @property
    def plan(self) -> Plan | None:
        return Plan.model_validate_json(self.plan_json) if self.plan_json else None

    @property
    def orphaned(self) -> bool:
        """An intent whose process is gone: nobody will ever record its answer."""
        if self.state != "intent" or self.pid is None:
            return self.state == "intent"
        if self.host != HOST:
            # Another machine's process cannot be checked: its submit may be in flight until
            # the intent is FOREIGN_INTENT_LIVE_S old; then it is unanswered (never unsent).
            return time.time() - self.updated > FOREIGN_INTENT_LIVE_S
        if self.pid == os.getpid() and self.updated < STARTED:
            return True  # our pid, reused from a process that died (a container's restart)
        if not process_alive(self.pid):
            return True
        # A live pid is the writer's only if that process already ran when the intent was
        # written: one started later is an unrelated namesake (pid reuse). The slack covers
        # /proc's whole-second boot time; where the start is unknown the writer may be alive.
        started = process_started(self.pid)
        return started is not None and started > self.updated + PID_START_SLACK_S

    @property
    def written_here(self) -> bool:
        """Whether this very process (not a dead namesake) wrote the row's intent."""
        return (self.host == HOST and self.pid == os.getpid()
                and self.updated >= STARTED)

    @property
    def where(self) -> str:
        """The process an intent was written by, for messages (``pid 12 on host a``)."""
        return f"pid {self.pid} on host {self.host or '?'}"
