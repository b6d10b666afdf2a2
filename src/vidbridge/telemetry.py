"""OpenTelemetry spans from the event hooks (the ``otel`` extra; nothing here loads before use).

``instrument()`` registers a ``TracingObserver``: one span per generate, a child per
attempt (a candidate tried), and under an accepted attempt a child per poll and one for the
download. Hooks fire after the fact, so spans are built with explicit start and end times.

Names follow the OpenTelemetry GenAI semantic conventions where they define one: an attempt
is a client inference span named ``{gen_ai.operation.name} {gen_ai.request.model}`` with
``gen_ai.operation.name`` = ``generate_content`` (the conventions' value for multimodal
content generation; they define none for video), ``gen_ai.provider.name`` (our provider
name: the registry's well-known values do not cover every provider here),
``gen_ai.request.model``, ``gen_ai.response.model``, ``gen_ai.response.id`` (the provider's
job id) and ``error.type``. What the conventions do not name is under ``vidbridge.*``.
Attributes never carry a prompt, a key, a URL or an error message: only names, ids, counts,
costs and outcomes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .hookspecs import hookimpl

if TYPE_CHECKING:
    import pluggy

    from .models import Adjustment, Attempt, Job, VideoResult

OPERATION = "generate_content"
TRACER_NAME = "vidbridge"


@dataclass
class _Request:
    root: Any
    attempts: dict[tuple[str, str], Any] = field(default_factory=dict)  # (provider, model)
    tried: int = 0


@dataclass
class _Running:
    request_id: str | None
    attempt: Any
    last_ns: int


class TracingObserver:
    """Builds the span tree of each generate from the hooks; thread-safe."""

    def __init__(self, tracer_provider: Any = None) -> None:
        from opentelemetry import trace

        self._trace = trace
        self._tracer = trace.get_tracer(TRACER_NAME, tracer_provider=tracer_provider)
        self._lock = threading.Lock()
        self._requests: dict[str, _Request] = {}
        self._jobs: dict[tuple[str, str], _Running] = {}

    # -- helpers -----------------------------------------------------------------------------
    def _root(self, request_id: str, now: int) -> _Request:
        found = self._requests.get(request_id)
        if found is None:
            span = self._tracer.start_span("vidbridge.generate", start_time=now, attributes={
                "vidbridge.request_id": request_id})
            found = self._requests[request_id] = _Request(span)
        return found

    def _child(self, parent: Any, name: str, now: int, kind: Any = None,
               attributes: dict[str, Any] | None = None) -> Any:
        context = self._trace.set_span_in_context(parent)
        return self._tracer.start_span(name, context=context, start_time=now,
                                       kind=kind or self._trace.SpanKind.INTERNAL,
                                       attributes=attributes or {})

    def _attempt(self, request: _Request, provider: str, model: str, now: int) -> Any:
        span = request.attempts.get((provider, model))
        if span is None:
            request.tried += 1
            span = self._child(request.root, f"{OPERATION} {model}", now,
                               self._trace.SpanKind.CLIENT, {
                                   "gen_ai.operation.name": OPERATION,
                                   "gen_ai.provider.name": provider,
                                   "gen_ai.request.model": model,
                                   "vidbridge.attempt": request.tried})
            request.attempts[(provider, model)] = span
        return span

    def _fail(self, span: Any, kind: str | None) -> None:
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("error.type", kind or "error")
        span.set_status(Status(StatusCode.ERROR))

    # -- hooks -------------------------------------------------------------------------------
    @hookimpl
    def attempt_started(self, provider: str, model: str, request_id: str) -> None:
        now = time.time_ns()
        with self._lock:
            self._attempt(self._root(request_id, now), provider, model, now)

    @hookimpl
    def job_accepted(self, job: Job, request_id: str | None) -> None:
        now = time.time_ns()
        with self._lock:
            attempt = None
            if request_id is not None:
                request = self._root(request_id, now)
                attempt = self._attempt(request, job.provider, job.model, now)
                attempt.set_attribute("gen_ai.response.id", job.id)
            self._jobs[(job.provider, job.id)] = _Running(request_id, attempt, now)

    @hookimpl
    def job_updated(self, job: Job) -> None:
        now = time.time_ns()
        with self._lock:
            running = self._jobs.get((job.provider, job.id))
            if running is None or running.attempt is None:
                return
            poll = self._child(running.attempt, "vidbridge.poll", running.last_ns,
                               attributes={"vidbridge.job.status": job.status,
                                           "vidbridge.job.progress": float(job.progress or 0)})
            poll.end(end_time=now)
            running.last_ns = now

    @hookimpl
    def fallback(self, attempt: Attempt, request_id: str) -> None:
        now = time.time_ns()
        with self._lock:
            request = self._root(request_id, now)
            span = request.attempts.pop((attempt.provider, attempt.model), None)
            if span is None:  # skipped before it started: a zero-length attempt says why
                request.tried += 1
                span = self._child(request.root, f"{OPERATION} {attempt.model}", now,
                                   self._trace.SpanKind.CLIENT, {
                                       "gen_ai.operation.name": OPERATION,
                                       "gen_ai.provider.name": attempt.provider,
                                       "gen_ai.request.model": attempt.model,
                                       "vidbridge.attempt": request.tried})
            span.set_attribute("vidbridge.outcome", attempt.outcome)
            span.set_attribute("vidbridge.tries", attempt.tries)
            _adjustments(span, attempt.adjustments)
            if attempt.estimated_cost_usd is not None:
                span.set_attribute("vidbridge.cost.estimated_usd", attempt.estimated_cost_usd)
            if attempt.outcome == "failed":
                self._fail(span, attempt.error_kind)
            span.end(end_time=now)
            if attempt.job_id:
                self._jobs.pop((attempt.provider, attempt.job_id), None)

    @hookimpl
    def job_finished(self, result: VideoResult) -> None:
        now = time.time_ns()
        job = result.job
        request_id = result.plan.request_key if result.plan and result.plan.request_key \
            else None
        with self._lock:
            running = self._jobs.pop((job.provider, job.id), None)
            request_id = running.request_id if running and running.request_id else request_id
            request = self._root(request_id or f"resume:{job.id}", now)
            attempt = request.attempts.pop((job.provider, job.model), None) \
                or self._attempt(request, job.provider, job.model, now)
            request.attempts.pop((job.provider, job.model), None)
            if result.path is not None or result.bytes_written:
                start = running.last_ns if running else now
                download = self._child(attempt, "vidbridge.download", start, attributes={
                    "vidbridge.bytes": result.bytes_written})
                download.end(end_time=now)
            outcome = "succeeded" if job.status == "succeeded" else job.status
            cost = result.estimated_cost_usd
            for span in (attempt, request.root):
                span.set_attribute("vidbridge.outcome", outcome)
                if cost is not None:
                    span.set_attribute("vidbridge.cost.estimated_usd", cost)
                if job.reported_cost_usd is not None:
                    span.set_attribute("vidbridge.cost.reported_usd", job.reported_cost_usd)
            attempt.set_attribute("gen_ai.response.id", job.id)
            attempt.set_attribute("gen_ai.response.model", job.model)
            _adjustments(attempt, result.adjustments)
            request.root.set_attribute("gen_ai.provider.name", job.provider)
            request.root.set_attribute("gen_ai.response.model", job.model)
            request.root.set_attribute("vidbridge.attempts", request.tried)
            if outcome != "succeeded":
                self._fail(attempt, "job_" + outcome)
                self._fail(request.root, "job_" + outcome)
            attempt.end(end_time=now)
            self._close(request_id or f"resume:{job.id}", now)

    @hookimpl
    def request_failed(self, request_id: str, error: BaseException) -> None:
        from .errors import error_kind

        now = time.time_ns()
        with self._lock:
            request = self._requests.get(request_id)
            if request is None:
                return
            kind = _kind(error, error_kind)
            for span in request.attempts.values():  # stopped mid-attempt
                span.set_attribute("vidbridge.outcome", "failed")
                self._fail(span, kind)
                span.end(end_time=now)
            request.attempts.clear()
            request.root.set_attribute("vidbridge.outcome", "failed")
            request.root.set_attribute("vidbridge.attempts", request.tried)
            self._fail(request.root, kind)
            self._close(request_id, now)

    def _close(self, request_id: str, now: int) -> None:
        request = self._requests.pop(request_id, None)
        if request is not None:
            for span in request.attempts.values():
                span.end(end_time=now)
            request.root.end(end_time=now)


def _adjustments(span: Any, adjustments: tuple[Adjustment, ...]) -> None:
    if adjustments:
        span.set_attribute("vidbridge.adjustments",
                           [f"{a.field}: {a.asked!r} -> {a.given!r}" for a in adjustments])
    span.set_attribute("vidbridge.adjustment_count", len(adjustments))


def _kind(error: BaseException, error_kind: Any) -> str:
    try:
        kind = str(error_kind(error))
    except Exception:  # an observer must never fail the job it watches
        kind = "other"
    return type(error).__name__ if kind == "other" else kind


def instrument(pm: pluggy.PluginManager | None = None,
               tracer_provider: Any = None) -> TracingObserver:
    """Register a ``TracingObserver`` (on ``pm``, default the process-wide manager)."""
    from .plugins import plugin_manager

    observer = TracingObserver(tracer_provider)
    (pm or plugin_manager()).register(observer, name=f"vidbridge.telemetry.{id(observer)}")
    return observer
