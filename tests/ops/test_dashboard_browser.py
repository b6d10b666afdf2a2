"""The dashboard in a real browser: refused without the admin key, then a finished job with
its thumbnail, the failed-jobs filter, and a job's attempts. Asserts on the DOM; screenshots
go to the test's temp dir (and to docs/ with VIDBRIDGE_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from ..gateway.conftest import KEY
from .browser import TIMEOUT_MS, chromium_path, launch
from .conftest import ADMIN_KEY, TEAM_A_KEY, TEAM_B_KEY, ops_gateway

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
# The official SDK marks every videos.* call deprecated (the Sora API's shutdown); here it only
# talks to our gateway, as the gateway tests' _quiet_sdk fixture says too.
pytestmark = pytest.mark.filterwarnings("ignore:The Sora API is scheduled:DeprecationWarning")
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def seeded(sim: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A gateway with finished, adjusted and failed videos from three keys."""
    tmp = tmp_path_factory.mktemp("dashboard")
    with ops_gateway(sim, tmp, keys={"team-a": {"secret_env": "TEAM_A_KEY",
                                                "budget_usd": 20.0, "budget_period": "day"},
                                     "team-b": {"secret_env": "TEAM_B_KEY",
                                                "budget_usd": 50.0}}) as gw:
        made: dict[str, Any] = {"gw": gw, "tmp": tmp}
        team_a = openai.OpenAI(base_url=gw.v1, api_key=TEAM_A_KEY, max_retries=0)
        team_b = openai.OpenAI(base_url=gw.v1, api_key=TEAM_B_KEY, max_retries=0)
        plain = openai.OpenAI(base_url=gw.v1, api_key=KEY, max_retries=0)
        made["failed"] = team_b.videos.create_and_poll(
            model="sora-2", prompt="a storm that never renders [[scenario:job_failed]]",
            seconds="5").id
        made["kling"] = team_b.videos.create_and_poll(
            model="kling-only", prompt="lanterns drifting over a lake", seconds="5").id
        made["plain"] = plain.videos.create_and_poll(
            model="sora-2", prompt="a fox in fresh snow", seconds="8", size="720x1280").id
        made["adjusted"] = team_a.videos.create_and_poll(
            model="sora-2", prompt="a lighthouse in a storm", seconds="12",
            size="1280x720").id
        yield made


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium_path()
    with sync_api.sync_playwright() as playwright:
        chromium: Any = launch(playwright)
        yield chromium
        chromium.close()


def shot(page: Any, tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("VIDBRIDGE_DOCS_SCREENSHOTS") == "1" and name == "dashboard":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(path, DOCS / "dashboard.png")
    return path


def test_dashboard_in_chromium(browser: Any, seeded: dict[str, Any], tmp_path: Path) -> None:
    gw = seeded["gw"]
    context = browser.new_context(viewport={"width": 1360, "height": 600})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    # without the key: refused, and nothing about jobs on the page
    response = page.goto(f"{gw.url}/dashboard")
    assert response is not None and response.status == 401
    assert page.locator("#login form").count() == 1
    assert page.locator("#jobs").count() == 0
    assert seeded["kling"] not in page.content()
    shot(page, tmp_path, "refused")

    # a wrong key keeps it shut; the admin key opens it (an HttpOnly session cookie)
    page.fill("input[name=key]", TEAM_A_KEY)  # an API key is not an admin key
    page.click("button[type=submit]")
    assert page.locator("#login .error").inner_text() == "That is not an admin key."
    page.fill("input[name=key]", ADMIN_KEY)
    page.click("button[type=submit]")
    page.wait_for_selector("#jobs")
    assert page.url == f"{gw.url}/dashboard"
    (cookie,) = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert ADMIN_KEY not in cookie["value"]

    # a finished job with its thumbnail (decoded from the MP4 by PyAV)
    row = page.locator(f"tr.job[data-id='{seeded['adjusted']}']")
    assert row.get_attribute("data-status") == "completed"
    assert "team-a" in row.inner_text() and "runway:gen4.5" in row.inner_text()
    thumb = row.locator("td.thumb img")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=thumb.element_handle())
    assert page.locator("tr.job").count() == 4
    page.wait_for_function("() => [...document.images].every(i => i.complete && "
                           "i.naturalWidth > 0)")
    assert page.locator("td.thumb img").count() == 3  # every finished video has one
    shot(page, tmp_path, "dashboard")

    # filter to failed jobs
    page.select_option("select[name=status]", "failed")
    page.click("#filters button")
    page.wait_for_url("**status=failed**")
    statuses = page.locator("tr.job").evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert statuses == ["failed"]
    failed_row = page.locator(f"tr.job[data-id='{seeded['failed']}']")
    assert "generation_failed" in failed_row.locator(".error").inner_text()
    shot(page, tmp_path, "failed")

    # follow it to its attempts: both candidates tried, both failed
    failed_row.locator("a.job-link").click()
    page.wait_for_selector("#attempts")
    attempts = page.locator("#attempts tr.attempt")
    assert attempts.count() == 2
    assert attempts.nth(0).inner_text().startswith("1\trunway:gen4.5\tfailed")
    assert "kling:kling-v2-6:std" in attempts.nth(1).inner_text()
    assert page.locator("#error").count() == 1
    shot(page, tmp_path, "attempts")

    # the adjusted job shows what normalisation changed
    page.goto(f"{gw.url}/dashboard/jobs/{seeded['adjusted']}")
    assert "duration" in page.locator("#adjustments").inner_text()
    assert page.locator("img.poster").evaluate("img => img.naturalWidth") > 0

    for target, selector in (("spend", "#spend-key"), ("routes", "#matrix"),
                             ("reconcile", "#uncertain"), ("webhooks", "h1")):
        page.goto(f"{gw.url}/dashboard/{target}")
        assert page.locator(selector).count() == 1
    page.goto(f"{gw.url}/dashboard/spend")
    assert "team-b" in page.locator("#spend-key").inner_text()
    page.goto(f"{gw.url}/dashboard/routes")
    candidates = page.locator("#matrix tbody tr").evaluate_all(
        "rows => rows.map(r => r.cells[2].innerText.split('\\n')[0])")
    assert candidates == ["runway:gen4.5", "kling:kling-v2-6:std", "kling:kling-v2-6:std"]
    assert page.locator("#matrix .badge").first.inner_text() in ("available", "deprecated",
                                                                 "retired")
    shot(page, tmp_path, "routes")
    context.close()

    # the bearer header works too, with no cookie at all
    bearer = browser.new_context(extra_http_headers={"authorization": f"Bearer {ADMIN_KEY}"})
    page = bearer.new_page()
    assert page.goto(f"{gw.url}/dashboard/jobs/{seeded['kling']}").status == 200
    assert page.locator("#facts").inner_text().count("kling") >= 1
    bearer.close()
