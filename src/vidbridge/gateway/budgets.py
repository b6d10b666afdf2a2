"""Named gateway keys, their budgets and what each key spent.

A named key (``[gateway.keys.team-a]``) is an ordinary gateway key with a name, an optional
budget per day or month (UTC) and an optional list of routes it may use. Every video the
gateway accepts gets a row in the ``usage`` table: reserved at create from the plan's
estimate (so two concurrent creates, in one worker or in several sharing a PostgreSQL, cannot
both squeeze under the limit: ``_sql.exclusive``), then corrected when the job ends from what
the provider reported (or, without a report, from the estimate of the plan that actually ran;
a failed video costs what the provider reported, else nothing).

The dashboard reads the same table: it is indexed for its filters and keyset pages.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import _sql
from ..compat._errors import PermissionDeniedError, RateLimitError
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import Config
    from ..models import Plan, VideoResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL,              -- the key's name, or its owner digest when unnamed
    route TEXT NOT NULL,
    provider TEXT NOT NULL,         -- planned at create, the one that served it at the end
    model TEXT NOT NULL,
    status TEXT NOT NULL,           -- unfinished | completed | failed
    estimated_usd REAL,             -- the plan's estimate at create
    reported_usd REAL,              -- what the provider reported, when it did
    spent_usd REAL NOT NULL,        -- what counts against the budget now
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS usage_by_key ON usage (key, created_at);
CREATE INDEX IF NOT EXISTS usage_by_key_seq ON usage (key, seq);
CREATE INDEX IF NOT EXISTS usage_by_status ON usage (status, seq);
CREATE INDEX IF NOT EXISTS usage_by_provider ON usage (provider, seq);
CREATE INDEX IF NOT EXISTS usage_by_time ON usage (created_at);
"""
COLUMNS = ("seq", "video_id", "key", "route", "provider", "model", "status", "estimated_usd",
           "reported_usd", "spent_usd", "created_at", "finished_at")
DONT_RETRY = {"x-should-retry": "false"}  # the SDK retries 429s unless told not to


def owner_of(secret: str) -> str:
    """The owner id the gateway gives a key (the same digest ``GatewayKeys.owner`` makes)."""
    return "key_" + hashlib.sha256(secret.encode()).hexdigest()[:24]


def period_start(period: str, now: float) -> float:
    """The start (UTC) of the budget period that contains ``now``."""
    moment = datetime.fromtimestamp(now, UTC)
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        start = start.replace(day=1)
    return start.timestamp()


@dataclass(frozen=True)
class KeyPolicy:
    """What one named key may do; ``secret`` never leaves this process's memory."""

    name: str
    owner: str
    budget_usd: float | None
    period: str
    routes: tuple[str, ...] | None


class UsageStore:
    """The ``usage`` table, in the gateway database; safe to share between threads."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        location = str(path)
        self.path = location
        self.lock = threading.RLock()
        # A SQLite path, or the workers' shared postgresql:// URL (budgets span all workers).
        self.db = _sql.open_with(location, SCHEMA, "usage store")

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.lock:
            return list(self.db.execute(sql, args).fetchall())

    def execute(self, sql: str, *args: Any) -> None:
        with self.lock:
            self.db.execute(sql, args)

    def insert(self, **row: Any) -> None:
        names = ", ".join(row)
        self.execute(f"INSERT INTO usage ({names}) VALUES ({', '.join('?' * len(row))})",
                     *row.values())

    def spent(self, key: str, since: float) -> float:
        rows = self.query("SELECT COALESCE(SUM(spent_usd), 0) FROM usage WHERE key=? AND "
                          "created_at >= ?", key, since)
        return float(rows[0][0])

    def close(self) -> None:
        with self.lock:
            self.db.close()


class Budgets:
    """Admission by key (routes, budget) at create; spend corrected when a video ends."""

    def __init__(self, store: UsageStore, policies: list[KeyPolicy], *,
                 aliases: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.by_owner = {policy.owner: policy for policy in policies}
        self.aliases = dict(aliases or {})
        self.clock = clock

    @classmethod
    def from_config(cls, config: Config, store: UsageStore,
                    environ: Mapping[str, str] | None = None,
                    clock: Callable[[], float] = time.time) -> tuple[Budgets, list[str]]:
        """The budgets of the named keys and their secrets (which the gateway accepts)."""
        env = os.environ if environ is None else environ
        policies, secrets = [], []
        for name, entry in config.gateway.keys.items():
            secret = env.get(entry.secret_env, "").strip()
            if not secret:
                raise ConfigError(f"{config.source}: gateway.keys.{name}: environment variable "
                                  f"{entry.secret_env} is not set")
            secrets.append(secret)
            policies.append(KeyPolicy(
                name=name, owner=owner_of(secret), budget_usd=entry.budget_usd,
                period=entry.budget_period,
                routes=tuple(entry.routes) if entry.routes is not None else None))
        owners = [policy.owner for policy in policies]
        if len(set(owners)) != len(owners):
            raise ConfigError(f"{config.source}: two [gateway.keys] entries share one secret")
        return cls(store, policies, aliases=config.aliases, clock=clock), secrets

    def key_name(self, owner: str) -> str:
        policy = self.by_owner.get(owner)
        return policy.name if policy else owner

    # -- the service's admission hook ------------------------------------------------------
    def admit(self, owner: str, video_id: str, target: str, plan: Plan) -> None:
        """Refuse (before any provider call) what the key may not use or cannot afford;
        otherwise reserve the plan's estimate against the key."""
        policy = self.by_owner.get(owner)
        estimate = plan.estimated_cost_usd
        if policy is not None and policy.routes is not None:
            allowed = {self.aliases.get(route, route) for route in policy.routes}
            if self.aliases.get(target, target) not in allowed:
                raise PermissionDeniedError(
                    f"Key '{policy.name}' may not use '{target}'; it may use: "
                    f"{', '.join(policy.routes) or 'nothing'}.", param="model",
                    code="route_not_allowed")
        # Check and reserve in one step, in this process (the lock) and across every worker
        # sharing the database (one transaction per key name): no two creates share a dollar.
        with self.store.lock, _sql.exclusive(self.store.db, "budget:" + self.key_name(owner)):
            now = self.clock()
            if policy is not None and policy.budget_usd is not None:
                self._check_budget(policy, estimate, now)
            self.store.insert(
                video_id=video_id, key=self.key_name(owner), route=target,
                provider=plan.provider, model=plan.model, status="unfinished",
                estimated_usd=estimate, spent_usd=estimate or 0.0, created_at=now)

    def _check_budget(self, policy: KeyPolicy, estimate: float | None, now: float) -> None:
        assert policy.budget_usd is not None
        budget = f"{policy.budget_usd:.2f} USD per {policy.period}"
        if estimate is None:
            raise PermissionDeniedError(
                f"Key '{policy.name}' has a budget ({budget}) and the price of this "
                "video is unknown, so it cannot be admitted.",
                code="budget_unknown_cost")
        spent = self.store.spent(policy.name, period_start(policy.period, now))
        remaining = max(0.0, policy.budget_usd - spent)
        if estimate > remaining + 1e-9:
            raise RateLimitError(
                f"Budget exceeded for key '{policy.name}': this video is estimated at "
                f"{estimate:.2f} USD and {remaining:.2f} USD of its budget ({budget}) "
                f"remains ({spent:.2f} USD spent this {policy.period}).",
                type="insufficient_quota", code="budget_exceeded", headers=dict(DONT_RETRY))

    def finished(self, video_id: str, result: VideoResult | None,
                 error: BaseException | None = None) -> None:
        """Correct the reservation from what the job ended with."""
        now = self.clock()
        if result is not None:
            reported = result.job.reported_cost_usd
            ran = result.plan.estimated_cost_usd if result.plan else None
            self.store.execute(
                "UPDATE usage SET status='completed', provider=?, model=?, reported_usd=?, "
                "spent_usd=COALESCE(?, ?, estimated_usd, 0), finished_at=? WHERE video_id=?",
                result.job.provider, result.job.model, reported, reported, ran, now, video_id)
            return
        job = getattr(error, "job", None)
        reported = getattr(job, "reported_cost_usd", None)
        tried = [a for a in getattr(error, "attempts", ()) if a.outcome != "skipped"]
        last = (tried[-1].provider, tried[-1].model) if tried else (None, None)
        self.store.execute(
            "UPDATE usage SET status='failed', provider=COALESCE(?, provider), "
            "model=COALESCE(?, model), reported_usd=?, spent_usd=?, finished_at=? "
            "WHERE video_id=?", *last, reported, reported or 0.0, now, video_id)

    # -- GET /v1/vidbridge/usage -----------------------------------------------------------
    def report(self, owner: str) -> dict[str, Any]:
        """The calling key's own spend: this period, by provider, and its budget."""
        key = self.key_name(owner)
        policy = self.by_owner.get(owner)
        period = policy.period if policy else "month"
        since = period_start(period, self.clock())
        spent = self.store.spent(key, since)
        rows = self.store.query(
            "SELECT provider, COUNT(*), COALESCE(SUM(spent_usd), 0) FROM usage WHERE key=? "
            "AND created_at >= ? GROUP BY provider ORDER BY provider", key, since)
        budget = policy.budget_usd if policy else None
        return {
            "object": "vidbridge.usage", "key": policy.name if policy else None,
            "period": period, "period_start": int(since),
            "spent_usd": round(spent, 6), "budget_usd": budget,
            "remaining_usd": None if budget is None else round(max(0.0, budget - spent), 6),
            "videos": sum(int(count) for _, count, _ in rows),
            "by_provider": [{"provider": provider, "videos": int(count),
                             "spent_usd": round(float(usd), 6)} for provider, count, usd in rows],
        }
