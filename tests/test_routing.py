"""Routing over the fake Acme server: fallback, retries, breaker, budget, never paying twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from vidbridge import (
    AllCandidatesFailedError,
    CapabilityError,
    JobTimeoutError,
    ModelUnavailableError,
    SubmitUncertainError,
    VidbridgeError,
    hookimpl,
)
from vidbridge.config import parse_config
from vidbridge.ledger import Ledger
from vidbridge.models import Lifecycle, Price
from vidbridge.plugins import register

from .fakes import Acme, FakeAcme, FakeClock, caps
from .helpers import Runner, acme_pm

ENV = {"ALPHA_KEY": "a-key", "BETA_KEY": "b-key", "GAMMA_KEY": "c-key"}
REQUEST = {"prompt": "a lighthouse in a storm", "duration": 4}


def adapters() -> list[Acme]:
    cheap = caps(price=Price(per_second={"720p": 0.01}))
    silent = caps(audio="never")
    return [Acme("alpha"), Acme("beta", {"motion-2": cheap, "old-1": caps(
        lifecycle=Lifecycle(retired_on="2026-09-24", successor="beta:motion-2"))}),
        Acme("gamma", {"silent-1": silent})]


def config(route: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "providers": {name: {"api_key_env": f"{name.upper()}_KEY"}
                      for name in ("alpha", "beta", "gamma")},
        "routes": {"default": {"candidates": ["alpha:motion-2", "beta:motion-2"],
                               **(route or {})}},
        "aliases": {"sora-2": "default"},
    }
    raw.update(top)
    return raw


def make(mode: str, raw: dict[str, Any], server: FakeAcme | None = None,
         clock: FakeClock | None = None, **kw: Any) -> Runner:
    pm = acme_pm(*adapters())
    cfg = parse_config(raw, pm=pm, environ=ENV)
    return Runner(mode, server or FakeAcme(), clock or FakeClock(), pm=pm, config=cfg,
                  credentials={}, **kw)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _keys_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in ENV.items():  # the client reads keys from the variables the config names
        monkeypatch.setenv(var, value)


def limited(after: str = "5") -> httpx.Response:
    return httpx.Response(429, headers={"retry-after": after}, json={"message": "too many"})


def test_falls_back_after_retries_on_429_honouring_retry_after(mode: str) -> None:
    server = FakeAcme(submit_script={"alpha": [limited("5")] * 3})
    run = make(mode, config({"retries": 2}), server)
    result = run("generate", REQUEST, route="default")
    assert result.job.provider == "beta"
    assert server.submits == {"alpha": 3, "beta": 1}
    assert run.clock.slept[:2] == [5.0, 5.0]
    first, second = result.attempts
    assert (first.outcome, first.error_kind, first.tries) == ("failed", "rate_limited", 3)
    assert (second.outcome, second.provider) == ("succeeded", "beta")


def test_falls_back_on_5xx(mode: str) -> None:
    down = httpx.Response(503, json={"message": "maintenance"})
    server = FakeAcme(submit_script={"alpha": [down]})
    result = make(mode, config({"retries": 0}), server)("generate", REQUEST)
    assert result.job.provider == "beta" and result.attempts[0].error_kind == "unavailable"


def test_a_refusal_in_brackets_falls_back_under_the_cli_progress(mode: str) -> None:
    """The CLI's progress observer hears the fallback with the provider's words: a ``[/x]``
    in them once raised MarkupError there, which ended the route before the next candidate."""
    import io

    from rich.console import Console

    from vidbridge.cli.progress import Progress

    words = "body[/promptText] is down for maintenance"
    server = FakeAcme(submit_script={"alpha": [httpx.Response(503, json={"message": words})]})
    run = make(mode, config({"retries": 0}), server)
    shown = io.StringIO()
    register(Progress(Console(file=shown, width=80)), name="cli-progress", pm=run.client.core.pm)
    result = run("generate", REQUEST)
    assert result.job.provider == "beta" and server.submits == {"alpha": 1, "beta": 1}
    assert words in shown.getvalue()


def test_retired_model_is_skipped_before_any_http(mode: str) -> None:
    server = FakeAcme()
    raw = config({"candidates": ["beta:old-1", "alpha:motion-2"]})
    result = make(mode, raw, server)("generate", REQUEST)
    skipped = result.attempts[0]
    assert skipped.outcome == "skipped"
    assert "retired since 2026-09-24" in skipped.reason and "beta:motion-2" in skipped.reason
    assert server.submits == {"alpha": 1}


def test_retired_model_answering_404_falls_back_when_opted_in(mode: str) -> None:
    gone = httpx.Response(404, json={"code": "no_model", "message": "model does not exist"})
    server = FakeAcme(submit_script={"beta": [gone]})
    raw = config({"candidates": ["beta:old-1", "alpha:motion-2"]})
    raw["providers"]["beta"]["allow_retired"] = True
    result = make(mode, raw, server)("generate", REQUEST)
    assert result.attempts[0].error_kind == "model_unavailable"
    assert server.submits == {"beta": 1, "alpha": 1}



def test_a_retired_model_named_directly_is_refused_before_any_http(mode: str) -> None:
    server = FakeAcme()
    run = make(mode, config(), server)
    with pytest.raises(CapabilityError) as refused:
        run("generate", REQUEST, model="beta:old-1")
    assert (refused.value.field, refused.value.allowed) == ("model", ("beta:motion-2",))
    message = str(refused.value)
    assert "retired since 2026-09-24" in message and "suggested successor: beta:motion-2" in message
    assert "allow_retired = true under [providers.beta]" in message
    assert server.submits == {}
    with pytest.raises(CapabilityError, match="retired"):  # planning says so too: no surprise
        run.client.plan(REQUEST, model="beta:old-1")


@pytest.mark.parametrize("where", ["config", "client"])
def test_a_retired_model_named_directly_is_sent_when_allowed(mode: str, where: str) -> None:
    gone = httpx.Response(404, json={"code": "no_model", "message": "model does not exist"})
    server = FakeAcme(submit_script={"beta": [gone]})
    raw = config()
    if where == "config":
        raw["providers"]["beta"]["allow_retired"] = True
    run = make(mode, raw, server, allow_retired=where == "client")
    with pytest.raises(ModelUnavailableError):
        run("generate", REQUEST, model="beta:old-1")
    assert server.submits == {"beta": 1}

def test_capability_mismatch_skips_without_a_request(mode: str) -> None:
    server = FakeAcme()
    raw = config({"candidates": ["gamma:silent-1", "alpha:motion-2"]})
    result = make(mode, raw, server)("generate", {**REQUEST, "audio": True})
    assert result.attempts[0].outcome == "skipped" and "audio" in result.attempts[0].reason
    assert server.submits == {"alpha": 1}


def test_breaker_opens_then_lets_one_trial_through(mode: str) -> None:
    down = httpx.Response(503, json={"message": "down"})
    server = FakeAcme(submit_script={"alpha": [down, down]})
    run = make(mode, config({"retries": 0}, breaker={"failures": 2, "cooldown_s": 60}), server)
    for _ in range(2):
        assert run("generate", REQUEST).job.provider == "beta"
    third = run("generate", REQUEST)
    assert third.attempts[0].outcome == "skipped" and "circuit open" in third.attempts[0].reason
    assert server.submits["alpha"] == 2
    run.clock.now += 61
    fourth = run("generate", REQUEST)
    assert fourth.job.provider == "alpha" and server.submits["alpha"] == 3


def test_deadline_spans_candidates(mode: str) -> None:
    server = FakeAcme(submit_script={"alpha": [limited("40")] * 10}, polls_to_finish=10_000)
    run = make(mode, config({"retries": 5, "deadline_s": 100}), server)
    with pytest.raises(JobTimeoutError) as caught:
        run("generate", REQUEST)
    assert server.submits == {"alpha": 3, "beta": 1}  # two waits of 40 s fit, a third does not
    assert run.clock.now - 1000 <= 100 + 1e-6
    pending = caught.value.attempts[-1]
    assert (pending.provider, pending.outcome, pending.job_id) == ("beta", "pending", "beta-1")


def test_budget_skips_what_costs_too_much(mode: str) -> None:
    server = FakeAcme()
    result = make(mode, config({"budget_usd": 0.1}), server)("generate", REQUEST)
    skipped = result.attempts[0]
    assert skipped.outcome == "skipped" and "over the budget" in skipped.reason
    assert result.job.provider == "beta" and server.submits == {"beta": 1}


def test_cheapest_order(mode: str) -> None:
    result = make(mode, config({"order": "cheapest"}))("generate", REQUEST)
    assert [a.provider for a in result.attempts] == ["beta"]


def test_alias_routes_sora_code(mode: str) -> None:
    server = FakeAcme(submit_script={"alpha": [httpx.Response(500, json={"message": "down"})]})
    result = make(mode, config({"retries": 0}), server)("generate", REQUEST, model="sora-2")
    assert result.job.provider == "beta"


def test_auth_error_stops_and_names_the_env_var(mode: str) -> None:
    server = FakeAcme(submit_script={"alpha": [httpx.Response(401, json={"message": "bad"})]})
    with pytest.raises(AllCandidatesFailedError, match=r"set \$ALPHA_KEY to a valid key"):
        make(mode, config(), server)("generate", REQUEST)
    assert server.submits == {"alpha": 1}


def test_submit_without_answer_is_never_resubmitted(mode: str) -> None:
    def silence(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    server = FakeAcme(submit_script={"alpha": [silence]})
    run = make(mode, config({"retries": 3}), server)
    with pytest.raises(SubmitUncertainError):
        run("generate", REQUEST)
    assert server.submits == {"alpha": 1}
    [uncertain] = run.client.core.ledger.unanswered()
    assert uncertain.provider == "alpha" and uncertain.model == "motion-2"
    assert uncertain.state == "uncertain" and uncertain.job_id is None


def test_submit_without_answer_moves_on_when_the_route_allows(mode: str) -> None:
    def silence(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    server = FakeAcme(submit_script={"alpha": [silence]})
    result = make(mode, config({"on_uncertain": "continue"}), server)("generate", REQUEST)
    assert result.job.provider == "beta" and result.attempts[0].error_kind == "submit_uncertain"



def test_a_rerun_beside_a_submit_still_in_flight_sends_nothing_even_when_allowed_to_move_on(
        mode: str) -> None:
    """``on_uncertain = "continue"`` accepts the risk of a submit whose answer is lost, not of
    one whose answer is still coming: a second video would be paid for the same request."""
    server = FakeAcme()
    run = make(mode, config({"on_uncertain": "continue"}), server)
    plan = run.client.plan(REQUEST, model="alpha:motion-2")
    run.client.core.ledger.intent("order-7", plan, credential="alpha")  # this live process
    with pytest.raises(VidbridgeError, match="still waiting for its answer"):
        run("generate", REQUEST, request_id="order-7")
    assert server.submits == {}

def test_lookup_finds_a_job_whose_submit_answer_was_lost(mode: str) -> None:
    def silence(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    class Findable(Acme):
        lookup_by_own_id = True  # it asks by an id we chose: what it finds is ours

        def build_lookup(self, plan: Any, creds: Any) -> httpx.Request:
            return httpx.Request("GET", "https://api.acme.example/v1/alpha/jobs/alpha-found")

        def parse_lookup(self, response: httpx.Response, plan: Any) -> Any:
            return self.parse_job(response, self._job(response))

    server = FakeAcme(submit_script={"alpha": [silence]})
    pm = acme_pm(Findable("alpha"), *adapters()[1:])
    cfg = parse_config(config(), pm=pm, environ=ENV)
    run = Runner(mode, server, FakeClock(), pm=pm, config=cfg, credentials={})
    result = run("generate", REQUEST)
    assert result.job.id == "alpha-found" and server.submits == {"alpha": 1}


def test_poll_failure_retries_the_job_never_a_new_submit(mode: str) -> None:
    down = httpx.Response(503, json={"message": "down"})
    server = FakeAcme(poll_script={"alpha": [down] * 3})
    result = make(mode, config(), server)("generate", REQUEST)
    assert result.job.provider == "alpha" and server.submits == {"alpha": 1}


def test_resume_after_a_crash_issues_no_new_submit(tmp_path: Path) -> None:
    class Crash(BaseException):
        pass

    def crash(request: httpx.Request) -> httpx.Response:
        raise Crash

    ledger_path = tmp_path / "jobs.sqlite3"
    server = FakeAcme(poll_script={"alpha": [crash]})
    first = make("sync", config(), server, ledger=Ledger(ledger_path))
    with pytest.raises(Crash):
        first("generate", REQUEST, output=tmp_path / "v.mp4")
    # A new process: a fresh client on the same ledger finds the job and finishes it.
    second = make("sync", config(), server, ledger=Ledger(ledger_path))
    [pending] = second.client.core.ledger.pending()
    result = second("resume", pending.id, output=tmp_path / "v.mp4")
    assert result.job.status == "succeeded" and (tmp_path / "v.mp4").exists()
    assert server.submits == {"alpha": 1}
    assert second.client.core.ledger.pending() == []


def test_check_reports_every_candidate_without_http() -> None:
    server = FakeAcme()
    run = make("sync", config({"candidates": ["beta:old-1", "gamma:silent-1", "alpha:motion-2"],
                               "budget_usd": 5}), server)
    checks = run.client.check({**REQUEST, "audio": True, "duration": 5})
    assert [(c.provider, c.ok) for c in checks] == [("beta", False), ("gamma", False),
                                                    ("alpha", True)]
    assert checks[2].adjustments[0].given == 8
    assert checks[2].estimated_cost_usd == pytest.approx(1.6)  # 8 s x $0.20 with audio
    assert server.submits == {} and server.polls == {}


def test_events_reach_observers() -> None:
    seen: list[str] = []

    class Observer:
        @hookimpl
        def fallback(self, attempt: Any) -> None:
            seen.append(f"{attempt.provider} {attempt.outcome}")

    server = FakeAcme(submit_script={"alpha": [httpx.Response(503, json={"message": "down"})]})
    run = make("sync", config({"retries": 0}), server)
    register(Observer(), pm=run.client.core.pm)
    run("generate", REQUEST)
    assert seen == ["alpha failed"]


def test_model_unavailable_is_not_retried(mode: str) -> None:
    gone = httpx.Response(404, json={"code": "no_model", "message": "gone"})
    server = FakeAcme(submit_script={"alpha": [gone], "beta": [gone]})
    with pytest.raises(AllCandidatesFailedError) as caught:
        make(mode, config({"retries": 3}), server)("generate", REQUEST)
    assert server.submits == {"alpha": 1, "beta": 1}
    assert all(isinstance(a, object) and a.error_kind == "model_unavailable"
               for a in caught.value.attempts)
    assert isinstance(caught.value.__cause__, ModelUnavailableError)
