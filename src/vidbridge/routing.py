"""Capability-aware fallback routing that never pays twice.

Before any HTTP each candidate is screened: retired, not served by the configured backend,
open circuit, missing credentials, a hard requirement it cannot meet, or over budget ->
skipped with the reason. A submit that is refused with a retryable error is retried (honouring
Retry-After), then the route moves on if the error's kind is in ``fallback_on``. Once a
provider has accepted a job it is written to the ledger and only that job is ever polled
again: a poll or download failure never leads to a second submit, and a submit without an
answer is looked up, not repeated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ._ids import new_request_key
from .engine import Steps
from .errors import (
    AllCandidatesFailedError,
    AuthenticationError,
    CapabilityError,
    ConfigError,
    JobFailedError,
    ProviderError,
    SubmitInFlightError,
    VidbridgeError,
    error_kind,
)
from .models import (
    Adjustment,
    Attempt,
    AttemptOutcome,
    Plan,
    Policy,
    VideoRequest,
    VideoResult,
)
from .plugins import (
    emit_adjustment,
    emit_attempt_started,
    emit_fallback,
    emit_retry_scheduled,
)

if TYPE_CHECKING:
    from .config import RouteConfig
    from .core import ClientCore
    from .lifecycle import Outcome
    from .provider import VideoProvider


@dataclass(frozen=True)
class CandidateCheck:
    """What one candidate would do with a request, found without any HTTP."""

    provider: str
    model: str
    ok: bool
    reason: str = ""
    adjustments: tuple[Adjustment, ...] = ()
    estimated_cost_usd: float | None = None
    warnings: tuple[str, ...] = ()
    plan: Plan | None = None


@dataclass
class CircuitBreaker:
    """Per provider: ``failures`` in a row open the circuit for ``cooldown_s``, then one
    trial request is let through; its success closes the circuit, its failure re-opens it."""

    failures: int = 3
    cooldown_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _streak: dict[str, int] = field(default_factory=dict)
    _opened: dict[str, float] = field(default_factory=dict)
    _trial: set[str] = field(default_factory=set)

    def blocked(self, provider: str) -> str | None:
        """Why ``provider`` may not be tried now, or None (and a trial is taken if half open)."""
        opened = self._opened.get(provider)
        if opened is None:
            return None
        left = opened + self.cooldown_s - self.clock()
        if left > 0:
            return f"circuit open after {self._streak.get(provider, 0)} failures in a row; " \
                   f"next trial in {left:.0f} s"
        if provider in self._trial:
            return "circuit half open; a trial request is already under way"
        self._trial.add(provider)
        return None

    def success(self, provider: str) -> None:
        self._streak.pop(provider, None)
        self._opened.pop(provider, None)
        self._trial.discard(provider)

    def failure(self, provider: str) -> None:
        self._streak[provider] = self._streak.get(provider, 0) + 1
        if provider in self._trial or self._streak[provider] >= self.failures:
            self._opened[provider] = self.clock()
        self._trial.discard(provider)


@dataclass
class _Candidate:
    provider: str
    model: str
    adapter: VideoProvider
    plan: Plan


class Router:
    """Runs routes for one client; its circuit breaker is shared by all of that client's calls."""

    def __init__(self, core: ClientCore) -> None:
        if core.config is None:
            raise ConfigError("routing needs a config (VideoClient.from_config)")
        self.core = core
        self.config = core.config
        self.breaker = CircuitBreaker(self.config.breaker.failures,
                                      self.config.breaker.cooldown_s, core.clock)

    # -- screening (no HTTP) -----------------------------------------------------------------
    def screen(self, request: VideoRequest, spec: str, route: RouteConfig,
               policy: Policy | None, request_key: str = "") -> CandidateCheck:
        provider, _, model = spec.partition(":")
        caps = self.core.capabilities(provider, model)
        refused = self.core.unsendable(provider, model, caps)
        if refused is not None:
            return CandidateCheck(provider, model, False, refused)
        missing = self.config.missing_env(provider)
        if missing:
            return CandidateCheck(provider, model, False,
                                  f"credentials not set: ${', $'.join(missing)}")
        try:
            plan = self.core.plan(request, spec, policy or route.policy, request_key)
        except CapabilityError as exc:
            return CandidateCheck(provider, model, False, str(exc))
        cost = plan.estimated_cost_usd
        if route.budget_usd is not None and cost is not None and cost > route.budget_usd:
            return CandidateCheck(provider, model, False,
                                  f"estimated ${cost:.2f} is over the budget of "
                                  f"${route.budget_usd:.2f}", plan.adjustments, cost,
                                  plan.warnings, plan)
        return CandidateCheck(provider, model, True, "", plan.adjustments, cost, plan.warnings,
                              plan)

    def check(self, request: VideoRequest, name: str, policy: Policy | None = None,
              request_key: str = "") -> list[CandidateCheck]:
        _, route = self.config.route(name)
        checks = [self.screen(request, spec, route, policy, request_key)
                  for spec in route.candidates]
        return _ordered(checks, route)

    # -- running -----------------------------------------------------------------------------
    def run(self, request: VideoRequest, name: str, target: Path | None,
            policy: Policy | None = None, request_id: str | None = None, *,
            fresh: bool = False) -> Steps[VideoResult]:
        """Run a route. Under a ``request_id`` that has ledger rows, each candidate's row is
        carried forward instead of submitting again; ``fresh`` says the id is new."""
        route_name, route = self.config.route(name)
        fresh = fresh or request_id is None
        request_id = request_id or new_request_key()
        deadline = self.core.clock() + route.deadline_s
        attempts: list[Attempt] = []
        last_error: BaseException | None = None
        checks = self.check(request, route_name, policy, request_id)
        if not fresh:
            checks = _from_carried(checks, self.core.lifecycle.carried_on(request_id))
        for check in checks:
            if not check.ok or check.plan is None:
                attempts.append(self._skipped(check, request_id))
                continue
            blocked = self.breaker.blocked(check.provider)
            if blocked is not None:
                attempts.append(self._skipped(
                    CandidateCheck(check.provider, check.model, False, blocked), request_id))
                continue
            candidate = _Candidate(check.provider, check.model,
                                   self.core.adapter(check.provider), check.plan)
            started = self.core.clock()
            outcome = yield from self._try(candidate, route, target, deadline, request_id,
                                           fresh)
            attempt = _attempt(outcome, candidate, self.core.clock() - started)
            attempts.append(attempt)
            if outcome.done is not None:
                return self.core.finished(outcome.done, candidate.plan, target,
                                          tuple(attempts))
            error = last_error = outcome.error
            assert error is not None
            if attempt.outcome == "pending" or not self._falls_back(error, route):
                raise self._stop(error, attempts, candidate.provider) from error
            emit_fallback(self.core.pm, attempt, request_id)
            if self.core.clock() >= deadline:
                break
        summary = "; ".join(f"{a.provider}:{a.model} {a.outcome}: {a.reason}" for a in attempts)
        raise AllCandidatesFailedError(
            f"route {route_name!r}: no candidate produced a video ({summary})",
            attempts=attempts) from last_error

    def _try(self, candidate: _Candidate, route: RouteConfig, target: Path | None,
             deadline: float, request_id: str, fresh: bool = False) -> Steps[Outcome]:
        """One candidate through the ledger's machine: submit with retries (or carry on the
        row this request already has), wait, download."""
        core, provider = self.core, candidate.provider
        creds = core.creds_for(provider)
        emit_attempt_started(core.pm, provider, candidate.model, request_id)
        for adjustment in candidate.plan.adjustments:
            emit_adjustment(core.pm, provider, candidate.model, adjustment)

        def refused(error: ProviderError) -> None:
            if error.retryable:
                self.breaker.failure(provider)

        def retry_wait(error: ProviderError, tries: int) -> float | None:
            wait = self._retry_wait(error, tries, route, deadline)
            if wait is not None:  # observers (the CLI's progress) show the wait as it starts
                emit_retry_scheduled(core.pm, provider, candidate.model, error, wait,
                                     request_id)
            return wait

        outcome = yield from core.lifecycle.attempt(
            candidate.adapter, candidate.plan, creds, request_key=request_id, target=target,
            deadline=deadline, refused=refused, retry_wait=retry_wait, fresh=fresh)
        if outcome.done is not None or isinstance(outcome.error, JobFailedError):
            self.breaker.success(provider)  # the provider worked (even if the job did not)
        elif outcome.job is not None and getattr(outcome.error, "retryable", False):
            self.breaker.failure(provider)
        return outcome

    def _retry_wait(self, error: ProviderError, tries: int, route: RouteConfig,
                    deadline: float) -> float | None:
        """Seconds to wait before retrying a refused submit, or None to stop."""
        if not error.retryable or tries > route.retries:
            return None
        hinted = getattr(error, "retry_after", None)
        wait = hinted if hinted is not None else self.core.engine.poll_policy.interval(
            tries - 1, self.core.engine.rng)
        if self.core.clock() + wait >= deadline:
            return None
        return float(wait)

    def _falls_back(self, error: BaseException, route: RouteConfig) -> bool:
        kind = error_kind(error)
        if kind == "download_failed":
            return False  # a paid job is never replaced
        if kind == "submit_uncertain":  # an answer still on its way is waited for, always
            return route.on_uncertain == "continue" and not isinstance(error, SubmitInFlightError)
        if kind == "job_failed":
            return "job_failed" in route.fallback_on or bool(getattr(error, "transient", False))
        return kind in route.fallback_on

    def _stop(self, error: BaseException, attempts: list[Attempt],
              provider: str) -> VidbridgeError:
        """The error that ends the route, with every attempt and what to do next."""
        if isinstance(error, AuthenticationError):
            hint = self.config.env_hint(provider)
            return AllCandidatesFailedError(
                f"{provider} refused the credentials ({error}); set {hint} to a valid key",
                attempts=attempts)
        if isinstance(error, VidbridgeError):
            error.attempts = tuple(attempts)
            return error
        return AllCandidatesFailedError(str(error), attempts=attempts)

    def _skipped(self, check: CandidateCheck, request_id: str) -> Attempt:
        attempt = Attempt(provider=check.provider, model=check.model, outcome="skipped",
                          reason=check.reason, adjustments=check.adjustments,
                          estimated_cost_usd=check.estimated_cost_usd)
        emit_fallback(self.core.pm, attempt, request_id)
        return attempt


def _from_carried(checks: list[CandidateCheck],
                  carried: tuple[str, str] | None) -> list[CandidateCheck]:
    """A re-run's candidates from the one its request got furthest with (see
    ``Lifecycle.carried_on``): the refused ones before it are not sent again."""
    for index, check in enumerate(checks):
        if carried is not None and (check.provider, check.model) == carried:
            return checks[index:]
    return checks


def _attempt(outcome: Outcome, candidate: _Candidate, elapsed: float) -> Attempt:
    result: AttemptOutcome = "succeeded"
    reason, kind = "", None
    if outcome.done is None:
        result = "pending" if outcome.pending else "failed"
        reason = str(outcome.error)
        kind = error_kind(outcome.error) if outcome.error else None
    job = outcome.job
    return Attempt(provider=candidate.provider, model=candidate.model, outcome=result,
                   reason=reason, error_kind=kind, adjustments=candidate.plan.adjustments,
                   job_id=job.id if job else None, tries=outcome.tries,
                   elapsed_s=round(elapsed, 3),
                   estimated_cost_usd=candidate.plan.estimated_cost_usd)


def _ordered(checks: list[CandidateCheck], route: RouteConfig) -> list[CandidateCheck]:
    if route.order == "listed":
        return checks
    return sorted(checks, key=lambda c: (c.estimated_cost_usd is None,
                                         c.estimated_cost_usd or 0.0))
