"""Budgets with several workers on one database: admission is atomic across processes (three
processes race for one key's budget, on SQLite and on PostgreSQL), and the dashboard's
spend-by-day query runs on both engines."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vidbridge.gateway.budgets import UsageStore
from vidbridge.gateway.dashboard.queries import DashboardData

from .admit import ESTIMATE_USD

pytest.importorskip("psycopg")
ROOT = Path(__file__).parents[2]
BUDGET_USD = 2.0  # as in admit.py: 8 videos at 0.25


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_concurrent_admissions_in_three_processes_never_exceed_the_budget(
        engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    location = (str(tmp_path / "usage.sqlite3") if engine == "sqlite"
                else request.getfixturevalue("postgres_url"))
    UsageStore(location).close()  # the table exists before the race starts
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.scale.admit", location, "team-key",
                               "12", str(go)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(3)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < len(procs):  # all connected: start together
        assert all(proc.poll() is None for proc in procs), "an admitting process died"
        assert time.monotonic() < deadline, "the admitting processes never got ready"
        time.sleep(0.01)
    go.touch()
    admitted = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        admitted.append(int(out.split()[-1]))
    store = UsageStore(location)
    [(rows, spent)] = store.query("SELECT COUNT(*), SUM(spent_usd) FROM usage")
    assert sum(admitted) == rows == int(BUDGET_USD / ESTIMATE_USD)  # the budget, no more
    assert spent == pytest.approx(BUDGET_USD)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_spend_by_day_runs_on_both_engines(engine: str, tmp_path: Path,
                                           request: pytest.FixtureRequest) -> None:
    location = (str(tmp_path / "usage.sqlite3") if engine == "sqlite"
                else request.getfixturevalue("postgres_url"))
    store = UsageStore(location)
    day = 1_790_000_000.0  # 2026-09-21 13:33:20 UTC
    for n, (at, usd) in enumerate([(day, 0.5), (day + 60, 0.25), (day + 86_400, 1.125)]):
        store.insert(video_id=f"video_{n}", key="team", route="default", provider="kling",
                     model="m", status="completed", estimated_usd=usd, spent_usd=usd,
                     created_at=at)
    spend = DashboardData(store, None, None).spend(now=day + 2 * 86_400)  # type: ignore[arg-type]
    assert [tuple(row) for row in spend["day"]] == [
        ("2026-09-22", 1, 1.125, 1.125, None), ("2026-09-21", 2, 0.75, 0.75, None)]
    assert [tuple(row) for row in spend["key"]] == [("team", 3, 1.875, 1.875, None)]
