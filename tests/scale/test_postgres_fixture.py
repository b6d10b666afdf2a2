"""The throwaway PostgreSQL: each test gets its own empty database on one session server."""

from __future__ import annotations

import pytest


def test_each_test_gets_an_empty_database_it_can_write(postgres_url: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(postgres_url) as db:
        db.execute("CREATE TABLE probe (n int)")
        db.execute("INSERT INTO probe VALUES (1), (2)")
        assert db.execute("SELECT sum(n) FROM probe").fetchone() == (3,)
        tables = db.execute("SELECT count(*) FROM pg_tables WHERE schemaname='public'")
        assert tables.fetchone() == (1,)
