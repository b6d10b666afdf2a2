"""The DBOS submit step and the router carry a previous row forward through the one
lifecycle rule (``Lifecycle.carry``), never with a copy of their own.

The DBOS reading of an unanswered intent: one written by another process reached the step
only because DBOS handed the workflow over from a dead executor, so it is looked up, else
uncertain at once (not after ``FOREIGN_INTENT_LIVE_S``); one this process wrote is still in
flight: nothing is written or sent. A re-run goes on from the candidate its request got
furthest with: the refused candidates before it are not sent again."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vidbridge import Job, VideoClient, VideoRequest
from vidbridge.compat._service import VideoService
from vidbridge.compat._store import VideoStore
from vidbridge.gateway import workflows
from vidbridge.ledger import Ledger

from ..compat.simenv import config


class Setup:
    """A gateway's service and a DBOS step runtime; every HTTP request is recorded and
    refused (nothing here may be sent)."""

    def __init__(self, tmp: Path) -> None:
        self.sent: list[str] = []
        self.ledger_path = tmp / "jobs.sqlite3"
        self.client = VideoClient(config=config("http://127.0.0.1:9", tmp),
                                  ledger=Ledger(self.ledger_path))
        self.core = self.client.core
        self.service = VideoService(self.core, VideoStore(tmp / "videos.sqlite3"),
                                    tmp / "out")
        http = httpx.Client(transport=httpx.MockTransport(self._refuse))
        self.runtime = workflows.Runtime(self.service, self.core, http, lambda _s: None, {})
        video, _ = self.service.create("k", prompt="a heron at dawn", model="sora-2",
                                       seconds="8", size="1280x720")
        self.video_id = video.id
        self.request = self.service.request_of(self.service.store.get(video.id))  # type: ignore[arg-type]

    def _refuse(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        return httpx.Response(503, json={"error": "nothing may be sent in this test"})

    def intent(self, candidate: str, **row: Any) -> str:
        """An intent for one candidate of the video (``row``: as another process wrote it)."""
        plan = self.core.plan(self.request, candidate, request_key=self.video_id)
        key = self.core.ledger.intent(self.video_id, plan, credential=plan.provider)
        if row:
            assigns = ", ".join(f"{name}=?" for name in row)
            with sqlite3.connect(self.ledger_path) as db:
                db.execute(f"UPDATE ledger SET {assigns} WHERE key=?", (*row.values(), key))
        return key

    def state(self, key: str) -> str:
        return Ledger(self.ledger_path).get(key).state


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    made = Setup(tmp_path)
    monkeypatch.setattr(workflows, "_runtime", made.runtime)
    yield made
    made.client.close()


def test_an_intent_of_a_handed_over_workflow_is_uncertain_at_once(setup: Setup) -> None:
    """Another host's fresh intent is live to a re-run (``Entry.orphaned`` is False), but a
    workflow only reaches its submit step again after DBOS declared that writer dead."""
    key = setup.intent("runway:gen4.5", host="worker-b", pid=4242, updated=time.time() - 5)
    assert not Ledger(setup.ledger_path).get(key).orphaned
    outcome = workflows._submit(setup.video_id)
    assert outcome["failure"]["kind"] == "submit_uncertain"
    assert "reconcile" in outcome["failure"]["message"]
    assert setup.state(key) == "uncertain"
    assert setup.sent == []  # no lookup on Runway, and never a second submit


def test_an_intent_this_process_is_still_waiting_on_is_left_alone(setup: Setup) -> None:
    key = setup.intent("runway:gen4.5")
    outcome = workflows._submit(setup.video_id)
    assert outcome["failure"]["kind"] == "submit_uncertain"
    assert "still waiting" in outcome["failure"]["message"]
    assert setup.state(key) == "intent"  # its writer records the answer; nothing written over
    assert setup.sent == []


def test_a_rerun_goes_on_from_the_candidate_that_owns_a_job(setup: Setup) -> None:
    """Runway refused, then Kling accepted: a re-run must not send Runway again (a second
    paid job while Kling's may be running)."""
    refused = setup.intent("runway:gen4.5")
    setup.core.ledger.rejected(refused, "rate_limited", "429")
    owning = setup.intent("kling:kling-v2-6:std")
    job = Job(provider="kling", model="kling-v2-6:std", id="task-7", status="running")  # type: ignore[arg-type]
    setup.core.ledger.accepted(owning, job)
    outcome = workflows._submit(setup.video_id)
    assert outcome["key"] == owning and Job.model_validate_json(outcome["job"]).id == "task-7"
    assert setup.sent == []


def test_the_router_goes_on_from_the_candidate_that_got_furthest(setup: Setup) -> None:
    """The same rule on the library path: Runway refused, Kling's job then failed upstream;
    the re-run reports Kling's failure and sends nothing."""
    refused = setup.intent("runway:gen4.5")
    setup.core.ledger.rejected(refused, "rate_limited", "429")
    ended = setup.intent("kling:kling-v2-6:std")
    job = Job(provider="kling", model="kling-v2-6:std", id="task-8", status="failed",  # type: ignore[arg-type]
              error_message="the render failed")
    setup.core.ledger.accepted(ended, job)
    setup.core.ledger.ended(ended, job)
    sent: list[str] = []
    client = VideoClient(config=setup.core.config, ledger=Ledger(setup.ledger_path),
                         http=httpx.Client(transport=httpx.MockTransport(
                             lambda r: sent.append(r.url.path) or httpx.Response(503))))
    with client, pytest.raises(Exception, match="render failed"):
        client.generate(VideoRequest(prompt="a heron at dawn", duration=8), model="default",
                        request_id=setup.video_id)
    assert sent == []
    assert setup.state(refused) == "rejected"
