"""OpenTelemetry spans from the event hooks: the tree, its attributes, never a secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from vidbridge import AllCandidatesFailedError, VideoClient  # noqa: E402
from vidbridge.ledger import Ledger  # noqa: E402
from vidbridge.plugins import new_plugin_manager  # noqa: E402
from vidbridge.simulator import SimulatorSettings  # noqa: E402
from vidbridge.simulator import create_app as create_simulator  # noqa: E402
from vidbridge.simulator import serve_in_thread as serve_simulator  # noqa: E402
from vidbridge.telemetry import instrument  # noqa: E402

from ..compat.simenv import POLL, config, fast_sleep  # noqa: E402

SECRETS = ("sim-runway-key", "sim-kling-access", "sim-kling-secret-key-32-bytes-long")


@pytest.fixture(scope="module")
def fresh_sim() -> Iterator[str]:  # Runway refuses our key here: a fallback every time
    settings = SimulatorSettings(fast=True, seed=5, require_key={"runway": "another-key"})
    with serve_simulator(create_simulator(settings)) as base:
        yield base


@pytest.fixture
def traced(fresh_sim: str, tmp_path: Path) -> Iterator[tuple[VideoClient, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    pm = new_plugin_manager()
    instrument(pm, tracer_provider=provider)
    cfg = config(fresh_sim, tmp_path, routes={"default": {
        "candidates": ["runway:gen4.5", "kling:kling-v2-6:std"], "retries": 0,
        "fallback_on": ["auth", "unavailable", "job_failed"]}})
    client = VideoClient(config=cfg, http=httpx.Client(timeout=10), poll=POLL, sleep=fast_sleep,
                         ledger=Ledger(tmp_path / "jobs.sqlite3"), pm=pm)
    with client:
        yield client, exporter


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def children(spans: tuple[ReadableSpan, ...], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return sorted((s for s in spans if s.parent is not None
                   and s.parent.span_id == parent.context.span_id),
                  key=lambda s: s.start_time or 0)


def attribute_text(spans: tuple[ReadableSpan, ...]) -> str:
    return repr([dict(span.attributes or {}) for span in spans])


def test_a_fallback_then_success_makes_one_tree(traced: Any, tmp_path: Path) -> None:
    client, exporter = traced
    prompt = "a heron at dawn"
    result = client.generate({"prompt": prompt, "duration": 12, "size": "1280x720"},
                             model="default", output=tmp_path / "out.mp4")
    assert result.job.provider == "kling"
    spans = exporter.get_finished_spans()
    (root,) = by_name(spans, "vidbridge.generate")
    assert root.parent is None
    assert root.attributes is not None
    assert root.attributes["vidbridge.outcome"] == "succeeded"
    assert root.attributes["vidbridge.attempts"] == 2
    assert root.attributes["gen_ai.provider.name"] == "kling"
    first, second = children(spans, root)
    assert first.name == "generate_content gen4.5" and first.kind == SpanKind.CLIENT
    assert dict(first.attributes or {}).items() >= {
        "gen_ai.operation.name": "generate_content", "gen_ai.provider.name": "runway",
        "gen_ai.request.model": "gen4.5", "vidbridge.outcome": "failed",
        "error.type": "auth"}.items()
    assert first.status.status_code == StatusCode.ERROR
    assert "duration: 12 -> 10" in str((first.attributes or {})["vidbridge.adjustments"])
    assert second.name == "generate_content kling-v2-6:std"
    attrs = dict(second.attributes or {})
    assert attrs["gen_ai.response.id"] == result.job.id
    assert attrs["vidbridge.outcome"] == "succeeded"
    assert attrs["vidbridge.cost.estimated_usd"] == pytest.approx(
        result.estimated_cost_usd or -1)
    steps = children(spans, second)
    assert {s.name for s in steps} == {"vidbridge.poll", "vidbridge.download"}
    assert steps[-1].name == "vidbridge.download"
    assert (steps[-1].attributes or {})["vidbridge.bytes"] == result.bytes_written > 0
    polls = by_name(spans, "vidbridge.poll")
    assert polls and (polls[-1].attributes or {})["vidbridge.job.status"] == "succeeded"
    for span in spans:  # children sit inside their parents
        assert span.start_time is not None and span.end_time is not None
        assert span.start_time <= span.end_time
    text = attribute_text(spans)
    assert not any(secret in text for secret in SECRETS)
    assert "heron" not in text  # no prompt either


def test_every_candidate_failing_ends_the_tree_in_error(traced: Any, tmp_path: Path) -> None:
    client, exporter = traced
    with pytest.raises(AllCandidatesFailedError):
        client.generate({"prompt": "doomed [[scenario:job_failed]]", "duration": 5},
                        model="default", output=tmp_path / "out.mp4")
    spans = exporter.get_finished_spans()
    (root,) = by_name(spans, "vidbridge.generate")
    assert root.status.status_code == StatusCode.ERROR
    assert (root.attributes or {})["vidbridge.outcome"] == "failed"
    attempts = children(spans, root)
    assert [a.name for a in attempts] == ["generate_content gen4.5",
                                          "generate_content kling-v2-6:std"]
    assert all(a.status.status_code == StatusCode.ERROR for a in attempts)
    assert (attempts[1].attributes or {}).get("gen_ai.response.id")  # accepted, then failed
    assert not any(secret in attribute_text(spans) for secret in SECRETS)
