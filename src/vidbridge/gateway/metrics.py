"""Prometheus metrics for the gateway at ``/metrics`` (``prometheus_client``, loaded lazily).

An observer on the event hooks counts attempts, fallbacks, finished jobs and spend, keeps
the in-flight gauge and times polls; the jobs-by-status gauge is read from the usage table
at each scrape, so it survives restarts. Each app has its own registry (tests run several).
Labels are provider, model, status and outcome: never a key, a prompt or a URL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..hookspecs import hookimpl

if TYPE_CHECKING:
    from ..models import Attempt, Job, VideoResult
    from .budgets import UsageStore

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120)


class MetricsObserver:
    """Turns the event hooks into Prometheus series in its own registry."""

    def __init__(self, usage: UsageStore | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.clock = clock
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], float] = {}  # job -> when last heard of
        self.attempts = Counter("vidbridge_attempts", "Candidates tried, by provider and model",
                                ["provider", "model"], registry=self.registry)
        self.fallbacks = Counter("vidbridge_fallbacks", "Candidates skipped or failed, after "
                                 "which the route moved on", ["provider", "model", "outcome"],
                                 registry=self.registry)
        self.finished = Counter("vidbridge_jobs_finished", "Provider jobs that reached a "
                                "terminal state", ["provider", "model", "status"],
                                registry=self.registry)
        self.spend = Counter("vidbridge_spend_usd", "Spend of finished jobs: reported cost, else "
                             "the plan's estimate", ["provider", "model"], registry=self.registry)
        self.in_flight = Gauge("vidbridge_jobs_in_flight", "Provider jobs accepted and not yet "
                               "finished", ["provider"], registry=self.registry)
        self.poll = Histogram("vidbridge_poll_latency_seconds", "Time from a job's previous "
                              "known state (accepted or polled) to each poll's answer",
                              ["provider"], buckets=POLL_BUCKETS, registry=self.registry)
        if usage is not None:
            self.registry.register(_UsageCollector(usage))

    @hookimpl
    def attempt_started(self, provider: str, model: str) -> None:
        self.attempts.labels(provider, model).inc()

    @hookimpl
    def fallback(self, attempt: Attempt) -> None:
        self.fallbacks.labels(attempt.provider, attempt.model, attempt.outcome).inc()
        if attempt.job_id:
            self._forget(attempt.provider, attempt.job_id)

    @hookimpl
    def job_accepted(self, job: Job) -> None:
        with self._lock:
            if (job.provider, job.id) not in self._running:
                self.in_flight.labels(job.provider).inc()
            self._running[(job.provider, job.id)] = self.clock()

    @hookimpl
    def job_updated(self, job: Job) -> None:
        now = self.clock()
        with self._lock:
            last = self._running.get((job.provider, job.id))
            if last is None:  # a resumed job: known from now on
                self.in_flight.labels(job.provider).inc()
            self._running[(job.provider, job.id)] = now
        if last is not None:
            self.poll.labels(job.provider).observe(max(0.0, now - last))

    @hookimpl
    def job_finished(self, result: VideoResult) -> None:
        job = result.job
        self._forget(job.provider, job.id)
        self.finished.labels(job.provider, job.model, job.status).inc()
        cost = job.reported_cost_usd if job.reported_cost_usd is not None \
            else result.estimated_cost_usd
        if cost:
            self.spend.labels(job.provider, job.model).inc(cost)

    def _forget(self, provider: str, job_id: str) -> None:
        with self._lock:
            if self._running.pop((provider, job_id), None) is not None:
                self.in_flight.labels(provider).dec()

    def exposition(self) -> bytes:
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))


class _UsageCollector:
    """``vidbridge_gateway_videos{status,provider}`` and spend per key, read at scrape."""

    def __init__(self, usage: UsageStore) -> None:
        self.usage = usage

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        videos = GaugeMetricFamily("vidbridge_gateway_videos", "Gateway videos by status and "
                                   "provider", labels=["status", "provider"])
        for status, provider, count in self.usage.query(
                "SELECT status, provider, COUNT(*) FROM usage GROUP BY status, provider"):
            videos.add_metric([status, provider], count)
        yield videos
        spent = GaugeMetricFamily("vidbridge_gateway_spend_usd", "Spend counted per gateway "
                                  "key name (unnamed keys by owner digest)", labels=["key"])
        for key, usd in self.usage.query("SELECT key, SUM(spent_usd) FROM usage GROUP BY key"):
            spent.add_metric([key], float(usd or 0))
        yield spent
