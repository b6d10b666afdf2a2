"""The job ledger: every job a provider accepted, saved before polling starts.

It is what makes "never pay twice" survive a crash: ``resume`` reads the job back by id and
finishes it instead of submitting again. A submit whose answer never came is saved as
``maybe_accepted`` so a person (or a later lookup) can reconcile it. Standard-library SQLite.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .models import Job, Plan

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    provider TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL,            -- accepted | maybe_accepted | finished
    status TEXT NOT NULL,
    job TEXT NOT NULL,              -- Job as JSON (credential name only, never a secret)
    plan TEXT,                      -- Plan as JSON, without image bytes
    request_key TEXT,
    output TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (id, provider)      -- id first: it also serves lookups by id alone
);
CREATE INDEX IF NOT EXISTS jobs_by_request ON jobs (request_key);
"""
_IMAGE_FIELDS = {"image", "last_frame", "reference_images"}


def default_ledger_path() -> Path:
    """``$VIDBRIDGE_LEDGER``, else ``jobs.sqlite3`` in the user cache directory."""
    if explicit := os.environ.get("VIDBRIDGE_LEDGER"):
        return Path(explicit)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "vidbridge" / "jobs.sqlite3"


class Ledger:
    """A small SQLite table of jobs, safe to share between threads of one process."""

    def __init__(self, path: str | Path | None = None) -> None:
        location = str(path) if path is not None else str(default_ledger_path())
        if location != ":memory:":
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        self.path = location
        self._lock = threading.Lock()
        # The newest polled state of running jobs. Kept in memory, not written per poll:
        # resume re-polls anyway, and a write per poll would dominate the router's cost.
        self._live: dict[tuple[str, str], Job] = {}
        self._db = sqlite3.connect(location, check_same_thread=False, isolation_level=None)
        if location != ":memory:":
            # WAL + NORMAL: a commit survives an application crash (what resume needs) without
            # an fsync per write; only a power cut can lose the newest rows.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def _write(self, sql: str, *args: Any) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def record(self, job: Job, plan: Plan | None, *, state: str = "accepted",
               request_key: str | None = None) -> None:
        """Save an accepted job (before any poll)."""
        now = time.time()
        plan_json = (plan.model_dump_json(exclude=_IMAGE_FIELDS) if plan is not None else None)
        self._write(
            "INSERT INTO jobs (provider, id, state, status, job, plan, request_key, created,"
            " updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, id) DO UPDATE"
            " SET state=excluded.state, status=excluded.status, job=excluded.job,"
            " updated=excluded.updated",
            job.provider, job.id, state, job.status, job.model_dump_json(), plan_json,
            request_key, now, now)

    def record_uncertain(self, provider: str, model: str, request_key: str,
                         plan: Plan | None) -> None:
        """Save a submit whose answer never came: it may exist (and be billed) upstream."""
        job = Job(provider=provider, model=model, id=f"unknown:{request_key}", status="queued")
        self.record(job, plan, state="maybe_accepted", request_key=request_key)

    def update(self, job: Job) -> None:
        """Note a polled state (in memory; ``finish`` writes the terminal one)."""
        with self._lock:
            self._live[(job.provider, job.id)] = job

    def _current(self, job: Job) -> Job:
        return self._live.get((job.provider, job.id), job)

    def finish(self, job: Job, output: Path | None) -> None:
        with self._lock:
            self._live.pop((job.provider, job.id), None)
        self._write("UPDATE jobs SET state='finished', status=?, job=?, output=?, updated=? "
                    "WHERE provider=? AND id=?", job.status, job.model_dump_json(),
                    str(output) if output else None, time.time(), job.provider, job.id)

    def job(self, job_id: str, provider: str | None = None) -> Job:
        """A recorded job by id (and provider, when ids could clash)."""
        sql, args = "SELECT job FROM jobs WHERE id=?", [job_id]
        if provider is not None:
            sql, args = sql + " AND provider=?", [*args, provider]
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        if row is None:
            raise ConfigError(f"no job {job_id!r} in the ledger at {self.path}")
        return self._current(Job.model_validate_json(row[0]))

    def knows(self, provider: str, job_id: str) -> bool:
        """Whether a job is already recorded (so a lookup must not adopt it again)."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM jobs WHERE provider=? AND id=?",
                                   (provider, job_id)).fetchone()
        return row is not None

    def plan(self, provider: str, job_id: str) -> Plan | None:
        with self._lock:
            row = self._db.execute("SELECT plan FROM jobs WHERE provider=? AND id=?",
                                   (provider, job_id)).fetchone()
        return Plan.model_validate_json(row[0]) if row and row[0] else None

    def by_request(self, request_key: str) -> list[tuple[str, Job]]:
        """(state, job) of every job recorded for one request, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT state, job FROM jobs WHERE request_key=? "
                                    "ORDER BY created", (request_key,)).fetchall()
        return [(state, self._current(Job.model_validate_json(job))) for state, job in rows]

    def pending(self) -> list[Job]:
        """Accepted jobs not yet finished: what ``resume`` should pick up after a crash."""
        with self._lock:
            rows = self._db.execute("SELECT job FROM jobs WHERE state='accepted' "
                                    "ORDER BY created").fetchall()
        return [self._current(Job.model_validate_json(row[0])) for row in rows]

    def uncertain(self) -> list[dict[str, Any]]:
        """Submits that may have been accepted upstream, for reconciliation."""
        with self._lock:
            rows = self._db.execute("SELECT provider, job, request_key, created FROM jobs "
                                    "WHERE state='maybe_accepted'").fetchall()
        return [{"provider": p, "job": json.loads(j), "request_key": k, "created": c}
                for p, j, k, c in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
