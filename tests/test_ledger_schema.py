"""The ledger's indexes: one rule per job id, each lookup indexed, old ledger files still work."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vidbridge.ledger import JobOwnedError, Ledger
from vidbridge.models import Job, Plan

PLAN = Plan(provider="acme", model="m1", prompt="a lighthouse", duration=5,
            aspect_ratio="16:9", resolution="720p", size="1280x720", audio=False)
# The schema ledgers were made with before the job id led the UNIQUE rule.
OLD_SCHEMA = """
CREATE TABLE ledger (
    key TEXT PRIMARY KEY, request_key TEXT NOT NULL, provider TEXT NOT NULL,
    model TEXT NOT NULL, credential TEXT NOT NULL, state TEXT NOT NULL, job_id TEXT, job TEXT,
    plan TEXT, lookup_id TEXT, error_kind TEXT, error TEXT, path TEXT, bytes INTEGER,
    sha256 TEXT, source TEXT, pid INTEGER, host TEXT, created REAL NOT NULL,
    updated REAL NOT NULL, UNIQUE (provider, job_id));
CREATE INDEX ledger_by_request ON ledger (request_key);
CREATE INDEX ledger_by_job ON ledger (job_id);
CREATE INDEX ledger_by_state ON ledger (state);
"""


def job(job_id: str, provider: str = "acme") -> Job:
    return Job(provider=provider, model="m1", id=job_id, status="queued", credential="acme")


def accepted_row(ledger: Ledger, job_id: str, provider: str = "acme") -> str:
    key = ledger.intent("req", PLAN.model_copy(update={"provider": provider}),
                        credential="acme")
    ledger.accepted(key, job(job_id, provider))
    return key


@pytest.mark.parametrize("made", ["new", "old"])
def test_a_job_id_is_owned_once_per_provider_in_new_and_old_ledger_files(
        made: str, tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    if made == "old":
        with sqlite3.connect(path) as db:
            db.executescript(OLD_SCHEMA)
    ledger = Ledger(path)
    first = accepted_row(ledger, "j-1")
    other = accepted_row(ledger, "j-1", provider="beta")  # same id, another provider: fine
    with pytest.raises(JobOwnedError):
        accepted_row(ledger, "j-1")
    assert ledger.find("j-1", "acme").key == first
    assert ledger.find("j-1", "beta").key == other
    assert ledger.find("j-1").key in (first, other)
    assert ledger.owner("acme", "j-1") == first


def test_every_per_job_lookup_of_a_new_ledger_uses_an_index(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "jobs.sqlite3")
    accepted_row(ledger, "j-1")
    db = sqlite3.connect(tmp_path / "jobs.sqlite3")
    queries = ["SELECT * FROM ledger WHERE key=?", "SELECT * FROM ledger WHERE job_id=?",
               "SELECT * FROM ledger WHERE job_id=? AND provider=?",
               "SELECT * FROM ledger WHERE provider=? AND job_id=?",
               "SELECT * FROM ledger WHERE request_key=?"]
    for query in queries:
        plan = " ".join(row[-1] for row in db.execute(
            f"EXPLAIN QUERY PLAN {query}", ("x",) * query.count("?")))
        assert "USING" in plan and "SCAN" not in plan, (query, plan)
    indexes = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='ledger'")}
    assert "ledger_by_job" not in indexes  # the job rule's index serves job id lookups
    assert "ledger_by_state" not in indexes  # each transition would rewrite it


@pytest.mark.parametrize("made", ["new", "old", "previous"])
def test_the_one_owner_rule_is_held_once_and_an_intent_writes_no_entry_of_it(
        made: str, tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    if made != "new":  # "previous": the table-level rule with job_id first
        with sqlite3.connect(path) as db:
            db.executescript(OLD_SCHEMA if made == "old" else OLD_SCHEMA.replace(
                "UNIQUE (provider, job_id)", "UNIQUE (job_id, provider)"))
    ledger = Ledger(path)
    Ledger(path)  # opened again: nothing added twice
    db = sqlite3.connect(path)
    rules = [row[1] for row in db.execute("PRAGMA index_list(ledger)") if row[2]
             and {info[2] for info in db.execute(f'PRAGMA index_info("{row[1]}")')}
             == {"job_id", "provider"}]
    assert len(rules) == 1, rules
    ledger.intent("req", PLAN, credential="acme")
    ledger.intent("req", PLAN, credential="acme")  # two intents: no job id, no clash
    if made == "new":
        assert rules == ["ledger_job_rule"]
        entries = db.execute("SELECT count(*) FROM ledger INDEXED BY ledger_job_rule "
                             "WHERE job_id IS NOT NULL").fetchone()[0]
        assert entries == 0


def test_rows_are_found_by_state_without_an_index(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "jobs.sqlite3")
    owned = accepted_row(ledger, "j-1")
    waiting = ledger.intent("req-2", PLAN, credential="acme")
    done = accepted_row(ledger, "j-2")
    ledger.finished(done)
    assert [entry.key for entry in ledger.open()] == [owned, waiting]
    assert [job.id for job in ledger.pending()] == ["j-1"]


def test_a_transition_finds_its_row_even_when_rowids_were_renumbered(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    ledger = Ledger(path)
    first, second = (ledger.intent(f"req-{n}", PLAN, credential="acme") for n in (1, 2))
    with sqlite3.connect(path) as other:  # what a VACUUM may do: the two rows swap rowids
        rowid_1, rowid_2 = (other.execute("SELECT rowid FROM ledger WHERE key=?", (key,))
                            .fetchone()[0] for key in (first, second))
        other.execute("UPDATE ledger SET rowid=? WHERE key=?", (10_000, first))
        other.execute("UPDATE ledger SET rowid=? WHERE key=?", (rowid_1, second))
        other.execute("UPDATE ledger SET rowid=? WHERE key=?", (rowid_2, first))
    ledger.accepted(first, job("j-1"))
    assert ledger.get(first).state == "accepted" and ledger.get(first).job_id == "j-1"
    assert ledger.get(second).state == "intent" and ledger.get(second).job_id is None
    ledger.finished(first)
    ledger.rejected(second, "unavailable")
    assert (ledger.get(first).state, ledger.get(second).state) == ("finished", "rejected")
