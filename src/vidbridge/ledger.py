"""The job ledger: one write-ahead state machine for every job vidbridge starts.

Each state is committed *before* the side effect that follows it, so a crash at any instant
leaves a row saying what may have happened upstream. Router, single-model client, ``resume``,
``jobs list`` / ``jobs reconcile``, the compat clients and the gateway's recovery all read
and advance this one machine; none keeps its own notion of "may resubmit".

=============== ============================================== ===================================
state           written                                        next
=============== ============================================== ===================================
intent          before the submit leaves the machine: request   accepted | rejected | uncertain
                key, candidate, plan, credential name, lookup
                id, pid and host
rejected        the submit was refused (a 5xx only in the       intent (a retry of the same
                provider's own error body), or never left       candidate) - else terminal
                (connect error, DNS, pool timeout; stopped
                waiting for an in-flight slot)
uncertain       sent, no answer (or a 5xx not in the            accepted (lookup, ``reconcile
                provider's shape), and no lookup proved a job;  --adopt``) | abandoned
                or its caller stopped waiting for the answer
                (a cancelled task, KeyboardInterrupt)
accepted        the provider's job id (UNIQUE per provider:     succeeded | failed | cancelled |
                no job is owned by two rows, across processes)  content_policy | timeout
succeeded       the job is done upstream, before the download   downloaded (a failing download
                                                                leaves it here: resume downloads)
failed,         terminal upstream, with the error kind and      -
cancelled,      message
content_policy
timeout         our deadline passed; the job may still run      accepted (``resume``)
downloaded      the file is in place: path, bytes, sha256       finished
finished        the result was handed back                      -
abandoned       ``reconcile --abandon``: a person said so       -
=============== ============================================== ===================================

A row in ``intent`` whose process is gone is *uncertain* to every reader: it is looked up
where the provider allows (by our own id, or by content if exactly one unowned job created
after the intent matches), else left for ``vidbridge jobs reconcile``. Liveness is the
intent's pid on its host (on Linux, a pid whose process started after the intent was
written is a reused namesake: the writer is gone); an intent another host wrote (a shared
ledger file) counts as live for ``FOREIGN_INTENT_LIVE_S`` (30 min) after it was written, then
as unanswered - never as "never sent". While an intent is live, a re-run may look it up but
writes nothing. A gateway's DBOS submit step reads it once more strictly: it runs again only
after DBOS handed the workflow over from an executor declared dead, so an intent another
process wrote is unanswered at once (``Lifecycle.carry(writer_dead=...)``;
``Entry.written_here``). Every reader carries a previous row forward through
``Lifecycle.carry``.

A submit answered with a 5xx is a refusal (``rejected``, kind ``unavailable``) only when the
body is the provider's own error JSON (the adapter's ``is_provider_error``); any other 5xx
(a proxy's 502 page, an empty 504) may follow an accepted job, so it is unanswered: looked up,
else ``uncertain``. Standard-library SQLite in WAL mode; each transition is one small UPDATE,
and the table has only the indexes the per-job path reads by (key, request, job id), so a
transition writes few pages.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from . import _sql
from .errors import ConfigError
from .ledger_entry import (
    ENDING,
    FAILED_STATES,
    FOREIGN_INTENT_LIVE_S,
    HOST,
    OWNED_STATES,
    PID_START_SLACK_S,
    TERMINAL_STATES,
    UNANSWERED_STATES,
    Entry,
    JobOwnedError,
)
from .models import Job, Plan

# The row and its states live in ``ledger_entry``; named here too, where readers import them.
__all__ = ["ENDING", "FAILED_STATES", "FOREIGN_INTENT_LIVE_S", "OWNED_STATES",
           "PID_START_SLACK_S", "TERMINAL_STATES", "UNANSWERED_STATES", "Entry",
           "JobOwnedError", "Ledger", "default_ledger_path", "unusable_ledger"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    key TEXT PRIMARY KEY,           -- our id for one submit of one candidate
    request_key TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    credential TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id TEXT,                    -- the provider's id, once accepted
    job TEXT,                       -- Job as JSON (credential name only, never a secret)
    plan TEXT,                      -- Plan as JSON, without image bytes
    lookup_id TEXT,                 -- an id we chose that the provider can find the job by
    error_kind TEXT,
    error TEXT,
    path TEXT,
    bytes INTEGER,
    sha256 TEXT,
    source TEXT,                    -- how the job id became ours: answer | lookup | person
    pid INTEGER,
    host TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_by_request ON ledger (request_key);
"""
# One row per provider job id, across processes. Partial: an intent (no job id yet) writes no
# entry, and its acceptance one insert, not a move. job_id first, so the same index serves
# lookups by job id alone. Ledger files made before hold the rule as a table constraint
# (UNIQUE (job_id, provider), or (provider, job_id) with a ledger_by_job index): it is kept
# there, not doubled (``_has_job_rule``).
JOB_RULE = ("CREATE UNIQUE INDEX IF NOT EXISTS ledger_job_rule ON ledger (job_id, provider) "
            "WHERE job_id IS NOT NULL")
# No index on ``state``: every transition would rewrite its entry (about half the WAL pages a
# job writes); rows are read by state only for people (``jobs list``, ``doctor``, the
# dashboard's reconcile page), and one scan of the table serves them. Ledgers made before keep
# their ``ledger_by_state`` index.
_IMAGE_FIELDS = {"image", "last_frame", "reference_images"}
_COLUMNS = ("key", "request_key", "provider", "model", "credential", "state", "job_id", "job",
            "plan", "lookup_id", "error_kind", "error", "path", "bytes", "sha256", "source", "pid",
            "host",
            "created", "updated")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM ledger"
# UPDATE statements (by key, by key and rowid) by the columns they set: built once.
_UPDATES: dict[tuple[str, ...], tuple[str, str]] = {}
def unusable_ledger(location: str, exc: BaseException) -> ConfigError:
    """A file, folder or table that is not a ledger: named, with what to do, in one line."""
    return _sql.unusable(location, exc, "ledger", "point $VIDBRIDGE_LEDGER (or `ledger` in the "
                         "config) at a new path or a vidbridge SQLite file")


def default_ledger_path() -> Path:
    """``$VIDBRIDGE_LEDGER``, else ``jobs.sqlite3`` in the user cache directory."""
    if explicit := os.environ.get("VIDBRIDGE_LEDGER"):
        return Path(explicit)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "vidbridge" / "jobs.sqlite3"


class Ledger:
    """The state machine's table, safe to share between threads and processes."""

    def __init__(self, path: str | Path | None = None) -> None:
        location = str(path) if path is not None else str(default_ledger_path())
        self.path = location
        self._lock = threading.Lock()
        # The newest polled state of running jobs. Kept in memory, not written per poll:
        # resume re-polls anyway, and a write per poll would dominate the cost.
        self._live: dict[tuple[str, str], Job] = {}
        # A path (SQLite, WAL) or a postgresql:// URL that several gateway workers share
        # (``_sql`` translates; its errors are sqlite3's, so the handlers here serve both).
        # SQLite rowids of the rows this ledger inserted and has not ended: a transition finds
        # its row by rowid (one b-tree descent instead of two), checking the key too.
        self._rowids: dict[str, int] | None = None if _sql.is_url(location) else {}
        try:
            self._db = _sql.connect(location)
            if location != ":memory:":
                # WAL + NORMAL: a commit survives an application crash (what resume needs)
                # without an fsync per write; only a power cut can lose the newest rows.
                self._db.execute("PRAGMA synchronous=NORMAL")
            # One script (PostgreSQL runs it under its schema lock); a new file has no rule.
            self._db.executescript(SCHEMA if self._has_job_rule() else f"{SCHEMA}{JOB_RULE};")
        except (sqlite3.DatabaseError, OSError) as exc:
            raise unusable_ledger(location, exc) from None

    def _has_job_rule(self) -> bool:
        """Whether a unique index on (job_id, provider), in either order, already holds the
        one-owner rule (PostgreSQL answers no PRAGMA: its ``IF NOT EXISTS`` decides)."""
        for index in self._db.execute("PRAGMA index_list(ledger)").fetchall():
            name, unique = index[1], index[2]
            if unique and name != "ledger_job_rule":
                columns = {row[2] for row in self._db.execute(
                    f'PRAGMA index_info("{name}")').fetchall()}
                if columns == {"job_id", "provider"}:
                    return True
        return False

    def _write(self, sql: str, *args: Any) -> int:
        with self._lock:
            return int(self._db.execute(sql, args).rowcount)

    def _rows(self, where: str, *args: Any) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(f"{_SELECT} {where}", args).fetchall()
        return [Entry(*row) for row in rows]

    # -- transitions (each one small UPDATE, written before the side effect it precedes) ---
    def intent(self, request_key: str, plan: Plan, *, credential: str,
               lookup_id: str | None = None, target: Path | None = None) -> str:
        """Before a submit leaves: returns the new row's key. ``target`` is where the video
        will be written (``jobs list`` looks there for stale part files)."""
        key = "vb_" + secrets.token_hex(8)
        now = time.time()
        plan_json = plan.model_dump_json(exclude=_IMAGE_FIELDS)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO ledger (key, request_key, provider, model, credential, state, plan,"
                " lookup_id, path, pid, host, created, updated) VALUES"
                " (?, ?, ?, ?, ?, 'intent', ?, ?, ?, ?, ?, ?, ?)",
                (key, request_key, plan.provider, plan.model, credential, plan_json, lookup_id,
                 str(target) if target is not None else None, os.getpid(), HOST, now, now))
            if self._rowids is not None and cursor.lastrowid:
                self._rowids[key] = cursor.lastrowid
        return key

    def record(self, job: Job, plan: Plan | None = None, request_key: str = "",
               source: str = "person") -> str:
        """A job accepted outside this ledger (a caller hands it over): a new accepted row."""
        key = "vb_" + secrets.token_hex(8)
        now = time.time()
        plan_json = plan.model_dump_json(exclude=_IMAGE_FIELDS) if plan is not None else None
        try:
            self._write("INSERT INTO ledger (key, request_key, provider, model, credential,"
                        " state, job_id, job, plan, source, created, updated) VALUES"
                        " (?, ?, ?, ?, ?, 'accepted', ?, ?, ?, ?, ?, ?)",
                        key, request_key, job.provider, job.model, job.credential, job.id,
                        job.model_dump_json(), plan_json, source, now, now)
        except sqlite3.IntegrityError:
            raise JobOwnedError(f"{job.provider} job {job.id} already belongs to another "
                                "ledger entry") from None
        return key

    def retry(self, key: str) -> None:
        """Before the same candidate's submit is sent again after a refusal."""
        self._set(key, "intent", error_kind=None, error=None, pid=os.getpid(), host=HOST)

    def rejected(self, key: str, kind: str, message: str = "") -> None:
        """The submit was refused, or never left: nothing exists upstream."""
        self._set(key, "rejected", error_kind=kind, error=message)

    def mark_uncertain(self, key: str, message: str) -> None:
        """Sent, no answer, nothing proved: may exist (and be billed) upstream."""
        self._set(key, "uncertain", error_kind="submit_uncertain", error=message)

    def accepted(self, key: str, job: Job, source: str = "answer") -> None:
        """The provider's job id, before any poll. ``source`` says how we know it is ours:
        the submit's ``answer``, a ``lookup``, or a ``person`` (reconcile).

        The unique (job_id, provider) rule decides across processes: a job already
        owned raises ``JobOwnedError`` - except that a submit's own answer outranks a lookup's
        evidence, so the row that merely adopted it by lookup goes back to ``uncertain``.
        """
        fields = {"job_id": job.id, "job": job.model_dump_json(), "error_kind": None,
                  "error": None, "source": source}
        try:
            self._set(key, "accepted", **fields)
            return
        except sqlite3.IntegrityError:
            if source != "answer":
                raise JobOwnedError(f"{job.provider} job {job.id} already belongs to another "
                                    "ledger entry") from None
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "UPDATE ledger SET state='uncertain', job_id=NULL, job=NULL, source=NULL,"
                    " error_kind='submit_uncertain', error=?, updated=? WHERE provider=? AND"
                    " job_id=? AND source='lookup'",
                    (f"adopted {job.id} by lookup, but that job was another submit's answer",
                     time.time(), job.provider, job.id))
                assigns = ", ".join(f"{name}=?" for name in fields)
                self._db.execute(f"UPDATE ledger SET state='accepted', updated=?, {assigns} "
                                 "WHERE key=?", (time.time(), *fields.values(), key))
                self._db.execute("COMMIT")
            except sqlite3.IntegrityError:
                self._db.execute("ROLLBACK")
                raise JobOwnedError(f"{job.provider} job {job.id} already belongs to another "
                                    "ledger entry") from None

    def progressed(self, job: Job) -> None:
        """A poll's news (in memory only; the ending is written)."""
        with self._lock:
            self._live[(job.provider, job.id)] = job

    def ended(self, key: str, job: Job, state: str | None = None,
              kind: str | None = None, message: str | None = None) -> None:
        """The job ended upstream (or our deadline passed: ``state='timeout'``)."""
        with self._lock:
            self._live.pop((job.provider, job.id), None)
        state = state or ENDING[job.status]
        self._set(key, state, job=job.model_dump_json(), error_kind=kind,
                  error=message or job.error_message)

    def downloaded(self, key: str, path: Path, size: int, sha256: str | None) -> None:
        self._set(key, "downloaded", path=str(path), bytes=size, sha256=sha256)

    def finished(self, key: str) -> None:
        self._set(key, "finished")

    def abandoned(self, key: str) -> None:
        """A person decided the unanswered submit is not to be waited for."""
        entry = self.get(key)
        if entry.state not in UNANSWERED_STATES:
            raise ConfigError(f"ledger entry {key} is {entry.state}; only an unanswered "
                              "(intent or uncertain) submit can be abandoned")
        self._set(key, "abandoned", error_kind="abandoned")

    def adopt(self, key: str, job: Job, source: str = "lookup") -> None:
        """Claim a job a lookup (or a ``person``) found for an unanswered submit."""
        entry = self.get(key)
        if entry.state not in UNANSWERED_STATES:
            raise ConfigError(f"ledger entry {key} is {entry.state}; only an unanswered "
                              "(intent or uncertain) submit can adopt a job")
        self.accepted(key, job, source)

    def _set(self, key: str, state: str, **fields: Any) -> None:
        names = tuple(fields)
        statements = _UPDATES.get(names)
        if statements is None:
            by_key = "UPDATE ledger SET state=?, updated=?" + "".join(
                f", {name}=?" for name in names) + " WHERE key=?"
            statements = _UPDATES.setdefault(names, (by_key, by_key + " AND rowid=?"))
        sql, by_rowid = statements
        values = (state, time.time(), *fields.values())
        with self._lock:
            rowid = self._rowids.get(key) if self._rowids is not None else None
            if rowid is not None:
                assert self._rowids is not None
                # The key is checked too: a VACUUM may renumber rowids, and then the row is
                # found by its key below.
                changed = self._db.execute(by_rowid, (*values, key, rowid)).rowcount
                if not changed or state in TERMINAL_STATES:
                    self._rowids.pop(key, None)
                if changed:
                    return
            self._db.execute(sql, (*values, key))

    # -- reading ---------------------------------------------------------------------------
    def get(self, key: str) -> Entry:
        rows = self._rows("WHERE key=?", key)
        if not rows:
            raise ConfigError(f"no job {key!r} in the ledger at {self.path}")
        return rows[0]

    def find(self, ident: str, provider: str | None = None) -> Entry:
        """An entry by ledger key or provider job id (the newest if ids repeat)."""
        if ident.startswith("vb_"):
            with_key = self._rows("WHERE key=?", ident)
            if with_key:
                return with_key[0]
        where, args = "WHERE job_id=?", [ident]
        if provider is not None:
            where, args = where + " AND provider=?", [*args, provider]
        rows = self._rows(where + " ORDER BY created DESC", *args)
        if not rows:
            raise ConfigError(f"no job {ident!r} in the ledger at {self.path}")
        return rows[0]

    def job(self, ident: str, provider: str | None = None) -> Job:
        """A recorded job by ledger key or provider job id, with its newest polled state."""
        entry = self.find(ident, provider)
        job = self.live(entry)
        if job is None:
            raise ConfigError(f"ledger entry {entry.key} has no provider job ({entry.state}); "
                              f"see `vidbridge jobs reconcile {entry.key}`")
        return job

    def live(self, entry: Entry) -> Job | None:
        """The entry's job with the newest polled state this process saw."""
        if entry.job_id is not None and (job := self._live.get((entry.provider, entry.job_id))):
            return job
        return entry.job

    def owner(self, provider: str, job_id: str) -> str | None:
        """The key of the row owning a provider job, if any (a lookup must not adopt it)."""
        rows = self._rows("WHERE provider=? AND job_id=?", provider, job_id)
        return rows[0].key if rows else None

    def entries(self, request_key: str) -> list[Entry]:
        """Every row of one request, oldest first."""
        return self._rows("WHERE request_key=? ORDER BY created", request_key)

    def by_request(self, request_key: str) -> list[tuple[str, Job]]:
        """(state, newest job) of every row of one request that has a job, oldest first."""
        return [(entry.state, job) for entry in self.entries(request_key)
                if (job := self.live(entry)) is not None]

    def open(self) -> list[Entry]:
        """Rows that need someone: jobs to finish, submits without an answer."""
        states = sorted(OWNED_STATES | UNANSWERED_STATES)
        marks = ", ".join("?" * len(states))
        return self._rows(f"WHERE state IN ({marks}) ORDER BY created", *states)

    def pending(self) -> list[Job]:
        """Owned jobs not yet finished: what ``resume`` should pick up after a crash."""
        return [job for entry in self.open() if entry.state in OWNED_STATES
                and (job := self.live(entry)) is not None]

    def unanswered(self) -> list[Entry]:
        """Uncertain submits, and intents whose process is gone."""
        return [entry for entry in self.open()
                if entry.state == "uncertain" or (entry.state == "intent" and entry.orphaned)]

    def uncertain(self) -> list[dict[str, Any]]:
        """The unanswered submits as plain dicts (``jobs list --json``, the dashboard)."""
        return [{"key": e.key, "provider": e.provider, "model": e.model,
                 "job": {"model": e.model}, "request_key": e.request_key, "state": e.state,
                 "created": e.created, "error": e.error} for e in self.unanswered()]

    def paths(self, limit: int = 500) -> list[str]:
        """The newest distinct target paths (``jobs list`` checks their folders)."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT path FROM ledger WHERE path IS NOT NULL"
                                    " ORDER BY updated DESC LIMIT ?", (limit,)).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

