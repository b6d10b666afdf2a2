"""Capability-aware fallback routing that never pays twice.

Before any HTTP each candidate is screened: retired, open circuit, missing credentials, a
hard requirement it cannot meet, or over budget -> skipped with the reason. A submit that is
refused with a retryable error is retried (honouring Retry-After), then the route moves on
if the error's kind is in ``fallback_on``. Once a provider has accepted a job it is written
to the ledger and only that job is ever polled again: a poll or download failure never
leads to a second submit, and a submit without an answer is looked up, not repeated.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from .engine import Sleep, Steps
from .errors import (
    AllCandidatesFailedError,
    AuthenticationError,
    CapabilityError,
    ConfigError,
    JobFailedError,
    JobTimeoutError,
    ProviderError,
    SubmitUncertainError,
    VidbridgeError,
    error_kind,
)
from .models import (
    Adjustment,
    Attempt,
    AttemptOutcome,
    Job,
    Plan,
    Policy,
    VideoRequest,
    VideoResult,
)
from .plugins import emit_adjustment, emit_attempt_started, emit_fallback

if TYPE_CHECKING:
    from .client import ClientCore
    from .config import RouteConfig
    from .provider import Credentials, VideoProvider


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


@dataclass
class _Outcome:
    """How one candidate ended: a result, or an error (with the job if one was accepted)."""

    tries: int
    error: BaseException | None = None
    job: Job | None = None
    result: VideoResult | None = None

    def attempt(self, candidate: _Candidate, elapsed: float) -> Attempt:
        outcome: AttemptOutcome = "succeeded"
        reason, kind = "", None
        if self.result is None:
            outcome = "pending" if self.job is not None and not self.job.done else "failed"
            reason, kind = str(self.error), error_kind(self.error) if self.error else None
        return Attempt(provider=candidate.provider, model=candidate.model, outcome=outcome,
                       reason=reason, error_kind=kind, adjustments=candidate.plan.adjustments,
                       job_id=self.job.id if self.job else None, tries=self.tries,
                       elapsed_s=round(elapsed, 3),
                       estimated_cost_usd=candidate.plan.estimated_cost_usd)


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
        entry = self.config.providers[provider]
        caps = self.core.capabilities(provider, model)
        lifecycle = caps.lifecycle
        if lifecycle.status(self.core.today()) == "retired" and not entry.allow_retired:
            return CandidateCheck(provider, model, False,
                                  f"{spec} is {lifecycle.describe(self.core.today())}")
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
            policy: Policy | None = None, request_id: str | None = None) -> Steps[VideoResult]:
        route_name, route = self.config.route(name)
        request_id = request_id or uuid.uuid4().hex[:12]
        deadline = self.core.clock() + route.deadline_s
        attempts: list[Attempt] = []
        last_error: BaseException | None = None
        for check in self.check(request, route_name, policy, request_id):
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
            outcome = yield from self._try(candidate, route, target, deadline, request_id)
            attempt = outcome.attempt(candidate, self.core.clock() - started)
            attempts.append(attempt)
            if outcome.result is not None:
                return self.core.finished(outcome.result.job, candidate.plan, target,
                                          outcome.result.bytes_written,
                                          outcome.result.content_type, tuple(attempts))
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
             deadline: float, request_id: str) -> Steps[_Outcome]:
        """One candidate: submit with retries, then finish the accepted job."""
        core, adapter, plan = self.core, candidate.adapter, candidate.plan
        creds = core.creds_for(candidate.provider)
        emit_attempt_started(core.pm, candidate.provider, candidate.model, request_id)
        for adjustment in plan.adjustments:
            emit_adjustment(core.pm, candidate.provider, candidate.model, adjustment)
        submitted = yield from self._submit(candidate, route, creds, deadline, request_id)
        if submitted.job is None:
            return submitted
        job, tries = submitted.job, submitted.tries
        core.accepted(job, plan, request_id)
        try:
            job = yield from core.engine.finish(adapter, job, creds, target, deadline)
            written, content_type = 0, None
            if target is not None:
                written, content_type = yield from core.engine.download(adapter, job, creds,
                                                                        target)
        except JobFailedError as exc:
            core.ledger.finish(exc.job or job, None)
            self.breaker.success(candidate.provider)  # the provider worked; the job did not
            return _Outcome(error=exc, tries=tries,
                            job=exc.job or job.model_copy(update={"status": "failed"}))
        except JobTimeoutError as exc:
            return _Outcome(error=exc, tries=tries, job=exc.job or job)
        except VidbridgeError as exc:
            if getattr(exc, "retryable", False):
                self.breaker.failure(candidate.provider)
            # Accepted but not finished (poll or download failure): the job stays in the
            # ledger for resume; never resubmitted.
            failed = error_kind(exc) == "content_policy"
            return _Outcome(error=exc, tries=tries,
                            job=job.model_copy(update={"status": "failed"}) if failed else job)
        self.breaker.success(candidate.provider)
        return _Outcome(tries=tries, job=job, result=VideoResult(
            job=job, path=target if written else None, bytes_written=written,
            content_type=content_type, plan=plan))

    def _submit(self, candidate: _Candidate, route: RouteConfig, creds: Credentials,
                deadline: float, request_id: str) -> Steps[_Outcome]:
        """Submit, retrying refusals that may pass later; an outcome with a job is accepted."""
        adapter, plan = candidate.adapter, candidate.plan
        tries = 0
        while True:
            tries += 1
            try:
                job = yield from self.core.engine.submit(adapter, plan, creds)
                return _Outcome(tries=tries, job=job)
            except SubmitUncertainError as exc:
                found = yield from self._look_up(adapter, plan, creds, request_id)
                return _Outcome(tries=tries, job=found, error=None if found else exc)
            except ProviderError as exc:
                if exc.retryable:
                    self.breaker.failure(candidate.provider)
                wait = self._retry_wait(exc, tries, route, deadline)
                if wait is None:
                    return _Outcome(error=exc, tries=tries)
                yield Sleep(wait)

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

    def _look_up(self, adapter: VideoProvider, plan: Plan, creds: Credentials,
                 request_id: str) -> Steps[Job | None]:
        """After a submit without an answer: find the job where the provider allows it."""
        build = getattr(adapter, "build_lookup", None)
        parse = getattr(adapter, "parse_lookup", None)
        if build is None or parse is None or (request := build(plan, creds)) is None:
            self.core.ledger.record_uncertain(adapter.name, plan.model, request_id, plan)
            return None
        try:
            response = yield request
            job: Job | None = parse(response, plan)
        except (httpx.TransportError, ProviderError):
            job = None
        if job is None or self.core.ledger.knows(adapter.name, job.id):
            # Nothing found, or only a job some earlier request already owns.
            self.core.ledger.record_uncertain(adapter.name, plan.model, request_id, plan)
            return None
        return job.model_copy(update={"provider": adapter.name, "model": plan.model,
                                      "backend": adapter.backend(creds),
                                      "credential": creds.name})

    def _falls_back(self, error: BaseException, route: RouteConfig) -> bool:
        kind = error_kind(error)
        if kind == "submit_uncertain":
            return route.on_uncertain == "continue"
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


def _ordered(checks: list[CandidateCheck], route: RouteConfig) -> list[CandidateCheck]:
    if route.order == "listed":
        return checks
    return sorted(checks, key=lambda c: (c.estimated_cost_usd is None,
                                         c.estimated_cost_usd or 0.0))
