"""The dashboard over HTTP: the admin key and its session cookie, no open redirect, safe
headers and escaping, and page times with 10,000 jobs (indexed keyset pages)."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from vidbridge.gateway import create_app
from vidbridge.gateway.dashboard.admin import COOKIE, AdminKeys, safe_next
from vidbridge.gateway.dashboard.queries import PAGE_SIZE

from ..compat.simenv import config
from ..gateway.conftest import KEY
from .conftest import ADMIN_KEY, ENV, NAMED_KEYS, TEAM_A_KEY
from .seed import seed

JOBS = 10_000
ADMIN = {"authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("big")
    seed(tmp / "gateway.sqlite3", JOBS)
    cfg = config("http://127.0.0.1:9", tmp, gateway={"keys": NAMED_KEYS})
    app = create_app(cfg, keys=[KEY], environ=ENV, database=tmp / "gateway.sqlite3",
                     output_dir=tmp / "videos")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def timed(client: TestClient, url: str, **options: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    response = client.get(url, **options)
    return response, time.perf_counter() - start


def test_refused_without_an_admin_key(big: TestClient) -> None:
    for headers in ({}, {"authorization": f"Bearer {KEY}"},
                    {"authorization": f"Bearer {TEAM_A_KEY}"},
                    {"authorization": "Bearer nope"}):
        response = big.get("/dashboard", headers=headers)
        assert response.status_code == 401
        assert "video_seed" not in response.text and 'name="key"' in response.text
    assert big.get("/dashboard/spend").status_code == 401
    assert big.get("/dashboard/jobs/video_seed000001").status_code == 401
    assert big.get("/metrics", headers={"authorization": f"Bearer {KEY}"}).status_code == 401
    big.cookies.set(COOKIE, "9999999999.0000000000000000.00.deadbeef")  # forged
    assert big.get("/dashboard").status_code == 401
    big.cookies.clear()


def test_login_sets_a_safe_session_cookie_and_never_redirects_away(big: TestClient) -> None:
    wrong = big.post("/dashboard/login", data={"key": KEY, "next": "/dashboard"},
                     follow_redirects=False)
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    for target, expected in (("https://evil.example/", "/dashboard"),
                             ("//evil.example/dashboard", "/dashboard"),
                             ("/\\evil.example", "/dashboard"), ("/v1/videos", "/dashboard"),
                             ("/dashboard/spend", "/dashboard/spend")):
        login = big.post("/dashboard/login", data={"key": ADMIN_KEY, "next": target},
                         follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == expected
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
    assert ADMIN_KEY not in cookie
    big.cookies.set(COOKIE, login.cookies[COOKIE])
    assert big.get("/dashboard").status_code == 200
    tampered = login.cookies[COOKIE][:-1] + ("0" if login.cookies[COOKIE][-1] != "0" else "1")
    big.cookies.set(COOKIE, tampered)
    assert big.get("/dashboard").status_code == 401
    big.cookies.clear()


def test_sessions_expire_and_end_with_their_key() -> None:
    now = [1000.0]
    admin = AdminKeys(["k-one", "k-two"], clock=lambda: now[0], session_ttl_s=60)
    key_id = admin.match("k-one")
    assert key_id is not None and admin.match("k-three") is None
    token = admin.issue(key_id)
    assert admin.session_ok(token) and "k-one" not in token
    now[0] += 61
    assert not admin.session_ok(token)
    assert not AdminKeys(["k-one"]).session_ok(token)  # another process: another secret
    assert safe_next("/dashboard?status=failed") == "/dashboard?status=failed"
    assert safe_next("/dashboardx") == "/dashboard"


def test_pages_have_strict_headers_and_escape_what_callers_wrote(big: TestClient) -> None:
    db = sqlite3.connect(big.app.state.service.store.path)  # type: ignore[attr-defined]
    db.execute("UPDATE videos SET prompt='<script>alert(1)</script>' WHERE id=?",
               ("video_seed009999",))
    db.commit()
    db.close()
    response = big.get("/dashboard", headers=ADMIN)
    assert "<script>alert" not in response.text and "&lt;script&gt;" in response.text
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("before", ["\u00b2", "\u0661", "9" * 20, "9" * 5000, "-1", "abc"])
def test_a_cursor_that_is_no_row_number_is_ignored_not_a_500(big: TestClient,
                                                             before: str) -> None:
    response = big.get("/dashboard", params={"before": before}, headers=ADMIN)
    assert response.status_code == 200
    assert response.text.count('class="job ') == PAGE_SIZE  # the first page, as without one


def test_query_plans_use_the_indexes(big: TestClient) -> None:
    usage = big.app.state.ops.usage  # type: ignore[attr-defined]
    for where in ("", "WHERE status = 'failed'", "WHERE key = 'team-a'",
                  "WHERE provider = 'kling'", "WHERE key = 'team-a' AND seq < 5000"):
        plan = " ".join(str(row[-1]) for row in usage.query(
            f"EXPLAIN QUERY PLAN SELECT * FROM usage {where} ORDER BY seq DESC LIMIT 51"))
        assert "USE TEMP B-TREE" not in plan, plan  # no sort of the whole table
        assert re.search(r"USING (INDEX|INTEGER PRIMARY KEY)|SCAN usage$", plan), plan


# Page times are measured by benchmarks/dashboard_pages.py, not asserted here: a timer in a test
# only measures how busy the machine is.
def test_pages_paginate_and_filter_ten_thousand_jobs(big: TestClient) -> None:
    figures: dict[str, float] = {}
    first, figures["jobs, first page"] = timed(big, "/dashboard", headers=ADMIN)
    assert first.status_code == 200 and first.text.count('class="job ') == PAGE_SIZE
    older = re.search(r'id="older" href="([^"]+)"', first.text)
    assert older is not None
    page2, figures["jobs, next page"] = timed(big, older.group(1).replace("&amp;", "&"),
                                              headers=ADMIN)
    assert page2.text.count('class="job ') == PAGE_SIZE
    failed, figures["jobs, failed only"] = timed(big, "/dashboard?status=failed",
                                                 headers=ADMIN)
    assert failed.text.count('data-status="failed"') == PAGE_SIZE
    assert 'data-status="completed"' not in failed.text
    deep, figures["jobs, team-a, deep cursor"] = timed(
        big, "/dashboard?key=team-a&before=300", headers=ADMIN)
    assert 0 < deep.text.count('class="job ') <= PAGE_SIZE
    _, figures["job detail"] = timed(big, "/dashboard/jobs/video_seed004242", headers=ADMIN)
    spend, figures["spend"] = timed(big, "/dashboard/spend", headers=ADMIN)
    assert "team-b" in spend.text
    metrics, figures["metrics"] = timed(big, "/metrics", headers=ADMIN)
    assert metrics.status_code == 200


def test_the_routes_page_marks_a_candidate_its_backend_does_not_serve(tmp_path: Any) -> None:
    cfg = config("http://127.0.0.1:9", tmp_path, providers={
        "omni": {"base_url": "http://127.0.0.1:9/vertex", "api_key": "sim-vertex-token",
                 "options": {"backend": "vertex", "project": "demo"}}},
        routes={"default": {"candidates": ["omni:gemini-omni-1.1-flash",
                                           "omni:gemini-omni-1.2-flash"]}}, aliases={})
    app = create_app(cfg, keys=[KEY], environ=ENV, database=tmp_path / "gateway.sqlite3",
                     output_dir=tmp_path / "videos")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        page = client.get("/dashboard/routes", headers=ADMIN).text
    rows = re.findall(r'<tr class="lifecycle-(\w+)">.*?<td>\d+</td><td>([^<]+)<', page)
    assert rows == [("unserved", "omni:gemini-omni-1.1-flash"),
                    ("available", "omni:gemini-omni-1.2-flash")]
    assert "not by the configured vertex backend" in page
