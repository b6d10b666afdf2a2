"""Window 9 (issue 10's ledger note): whose intent is still live. An intent is live while its
process is (pid on this host); another host's intent cannot be checked, so it counts as live
for FOREIGN_INTENT_LIVE_S after it was written, then as unanswered - never as "never sent".
A re-run that meets a live intent writes nothing and sends nothing."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from vidbridge import SubmitUncertainError
from vidbridge.ledger import FOREIGN_INTENT_LIVE_S, Ledger
from vidbridge.models import Plan

from .fakes import FakeAcme
from .test_routing import ENV, REQUEST, config, make

PLAN = Plan(provider="alpha", model="motion-2", prompt="p", duration=4, aspect_ratio="16:9",
            resolution="720p", size="1280x720", audio=False)


@pytest.fixture(autouse=True)
def _keys_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def intent_by(path: Path, request_id: str, **row: object) -> str:
    """An intent as if another process wrote it (``row``: pid, host, updated)."""
    key = Ledger(path).intent(request_id, PLAN, credential="alpha")
    assigns = ", ".join(f"{name}=?" for name in row)
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE ledger SET {assigns} WHERE key=?", (*row.values(), key))
    return key


def rerun(path: Path, request_id: str) -> tuple[str, FakeAcme]:
    server = FakeAcme()
    run = make("sync", config(), server, ledger=Ledger(path))
    with pytest.raises(SubmitUncertainError) as caught:
        run("generate", REQUEST, request_id=request_id)
    assert server.submits == {}  # never sent again, whichever way it is read
    return str(caught.value), server


def test_another_hosts_fresh_intent_is_live(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    key = intent_by(path, "req-a", host="render-02", pid=4242, updated=time.time() - 60)
    assert Ledger(path).unanswered() == []  # jobs list: its process may be waiting right now
    message, _ = rerun(path, "req-a")
    assert "still waiting" in message and "pid 4242 on host render-02" in message
    assert Ledger(path).get(key).state == "intent"  # nothing written over a live intent


def test_another_hosts_old_intent_is_unanswered_never_unsent(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    key = intent_by(path, "req-b", host="render-02", pid=4242,
                    updated=time.time() - FOREIGN_INTENT_LIVE_S - 1)
    [row] = Ledger(path).unanswered()
    assert row.key == key
    message, _ = rerun(path, "req-b")
    assert f"jobs reconcile {key}" in message
    assert Ledger(path).get(key).state == "uncertain"


def test_our_pid_from_before_this_process_started_is_a_dead_namesake(tmp_path: Path) -> None:
    """A container's restarted process often gets its predecessor's pid (1, 7...)."""
    path = tmp_path / "jobs.sqlite3"
    key = intent_by(path, "req-c", pid=os.getpid(), updated=time.time() - 3600)
    assert [row.key for row in Ledger(path).unanswered()] == [key]
    rerun(path, "req-c")
    assert Ledger(path).get(key).state == "uncertain"


def test_a_live_local_intent_is_left_to_its_process(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    key = intent_by(path, "req-d", pid=os.getppid())  # alive, not us
    assert Ledger(path).unanswered() == []
    message, _ = rerun(path, "req-d")
    assert f"pid {os.getppid()}" in message
    assert Ledger(path).get(key).state == "intent"
