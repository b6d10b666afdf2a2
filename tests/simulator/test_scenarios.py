"""Scenario specs: grammar, counts, probabilities, per-scope counters."""
from __future__ import annotations

import pytest

from vidbridge.simulator.scenarios import Scenarios, Spec, from_prompt, parse


def test_parse_full_grammar() -> None:
    once, counted, chance = parse("rate_limit_once, server_error:3@poll, job_failed~0.5")
    assert once == Spec(raw="rate_limit_once", name="rate_limit", kind="submit", count=1)
    assert (counted.name, counted.count, counted.kind) == ("server_error", 3, "poll")
    assert (chance.name, chance.probability, chance.kind) == ("job_failed", 0.5, "job")
    assert parse("latency=0.25")[0].value == 0.25


def test_unknown_names_fail_loudly() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'rate_limits'"):
        parse("rate_limits")
    with pytest.raises(ValueError, match="unknown scenario kind"):
        parse("rate_limit@never")


def test_prompt_markers() -> None:
    assert [s.name for s in from_prompt("a cat [[scenario: job_failed]] [[scenario:latency]]")] \
        == ["job_failed", "latency"]
    assert from_prompt(None) == ()


def test_first_n_fail_then_succeed_per_scope() -> None:
    scenarios = Scenarios(seed=0)
    spec = parse("rate_limit:2")[0]
    fired = [bool(scenarios.firing("openai", "submit", [("global", spec)])) for _ in range(4)]
    assert fired == [True, True, False, False]
    # Another provider, another kind or another job keeps its own count.
    assert scenarios.firing("kling", "submit", [("global", spec)])
    assert scenarios.firing("openai", "submit", [("job-1", spec)])
    assert not scenarios.firing("openai", "poll", [("global", spec)])  # kind mismatch


def test_probability_is_deterministic_per_seed() -> None:
    spec = parse("server_error~0.5")[0]

    def run(seed: int) -> list[bool]:
        scenarios = Scenarios(seed)
        return [bool(scenarios.firing("runway", "submit", [("global", spec)]))
                for _ in range(40)]

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert 5 < sum(run(7)) < 35
