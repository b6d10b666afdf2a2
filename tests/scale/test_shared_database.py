"""The ledger and the video store on PostgreSQL: what one worker writes, another reads."""

from __future__ import annotations

import pytest

from vidbridge._sql import display, postgres_dialect
from vidbridge.compat._store import VideoRecord, VideoStore
from vidbridge.ledger import JobOwnedError, Ledger
from vidbridge.models import Job

pytest.importorskip("psycopg")


def test_sqlite_sql_is_translated_outside_string_literals() -> None:
    assert postgres_dialect("SELECT '?' , x FROM t WHERE a=? AND b LIKE '%s'") == \
        "SELECT '?' , x FROM t WHERE a=%s AND b LIKE '%s'"
    assert postgres_dialect("seq INTEGER PRIMARY KEY AUTOINCREMENT, b BLOB, t REAL") == \
        "seq BIGSERIAL PRIMARY KEY, b BYTEA, t DOUBLE PRECISION"
    assert display("postgresql://vb:hunter2@db:5432/x") == "postgresql://vb:***@db:5432/x"


def test_two_workers_share_the_ledger_and_the_store(postgres_url: str) -> None:
    first, second = Ledger(postgres_url), Ledger(postgres_url)  # two processes' views
    job = Job(provider="kling", model="kling-v2-6:std", id="task-1", status="queued")
    key = first.record(job, None, request_key="video_1")
    [(state, seen)] = second.by_request("video_1")
    assert state == "accepted" and seen.id == "task-1"
    with pytest.raises(JobOwnedError):  # UNIQUE (provider, job_id) holds across workers
        second.record(job, None, request_key="video_2")
    first.ended(key, job.model_copy(update={"status": "succeeded"}))
    first.finished(key)
    assert second.get(key).state == "finished"

    store_a, store_b = VideoStore(postgres_url), VideoStore(postgres_url)
    for n in range(3):
        store_a.insert(VideoRecord(id=f"video_{n}", owner="o", created_at=1_790_000_000 + n,
                                   model="sora-2", target="default", prompt="p", seconds="4",
                                   size="1280x720", request="{}", image=b"\x89PNG\x00"))
    store_b.update("video_1", status="completed", progress=100)
    page, more = store_a.page("o", after=None, limit=2, order="desc")
    assert [r.id for r in page] == ["video_2", "video_1"] and more
    assert store_a.get("video_1").status == "completed"  # type: ignore[union-attr]
    assert store_b.get("video_0").image == b"\x89PNG\x00"  # type: ignore[union-attr]
    assert [r.id for r in store_b.unfinished()] == ["video_0", "video_2"]
