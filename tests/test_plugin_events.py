"""Events cost no hook call when nobody listens, and reach every listener when someone does."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from vidbridge import Job, hookimpl
from vidbridge.plugins import emit_job_accepted, emit_job_updated, register

from .helpers import acme_pm

JOB = Job(provider="acme", model="motion-2", id="j-1", status="queued")


class Spy:
    def __init__(self) -> None:
        self.heard: list[str] = []

    @hookimpl
    def job_updated(self, job: Job) -> None:
        self.heard.append(job.id)


def hook_calls(pm: Any, name: str) -> list[dict[str, Any]]:
    """Record every call of the hook ``name`` (pluggy's own monitoring; ``pm`` is the test's)."""
    calls: list[dict[str, Any]] = []

    def before(hook_name: str, impls: Any, kwargs: dict[str, Any]) -> None:
        if hook_name == name:
            calls.append(kwargs)

    pm.add_hookcall_monitoring(before, lambda *args: None)
    return calls


def test_an_event_only_the_silent_logging_observer_hears_is_not_called(
        caplog: pytest.LogCaptureFixture) -> None:
    pm = acme_pm()
    calls = hook_calls(pm, "job_accepted")
    caplog.set_level(logging.WARNING, logger="vidbridge")
    emit_job_accepted(pm, JOB, "req-1")
    assert calls == []
    caplog.set_level(logging.INFO, logger="vidbridge")  # turned up later: heard at once
    emit_job_accepted(pm, JOB, "req-1")
    assert len(calls) == 1
    assert "acme accepted job j-1 (motion-2)" in caplog.text


def test_a_registered_listener_hears_every_event_whatever_the_log_level(
        caplog: pytest.LogCaptureFixture) -> None:
    pm = acme_pm()
    caplog.set_level(logging.WARNING, logger="vidbridge")
    spy = Spy()
    emit_job_updated(pm, JOB)  # no implementation at all: nothing to call
    register(spy, name="spy", pm=pm)
    emit_job_updated(pm, JOB)
    assert spy.heard == ["j-1"]
