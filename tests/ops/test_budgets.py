"""Named gateway keys: budgets refused before any provider call, routes per key, usage."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from vidbridge import ConfigError
from vidbridge.config import parse_config
from vidbridge.gateway import create_app

from ..compat.simenv import raw_config
from ..gateway.conftest import KEY
from .conftest import ADMIN_KEY, ENV, TEAM_A_KEY, TEAM_B_KEY, ops_gateway

RUNWAY_4S_USD = 0.48  # gen4.5: 12 credits/s x 4 s x US$0.01


def test_small_budget_refuses_the_create_that_would_exceed_it(sim: str, tmp_path: Path) -> None:
    with ops_gateway(sim, tmp_path) as gw:
        team = openai.OpenAI(base_url=gw.v1, api_key=TEAM_A_KEY, max_retries=0)
        first = team.videos.create_and_poll(model="sora-2", prompt="a paper boat", seconds="4",
                                            size="1280x720")
        assert first.status == "completed"
        submits = gw.counter.count("POST", "/runway/v1/")
        assert submits == 1
        with pytest.raises(openai.RateLimitError) as refused:
            team.videos.create(model="sora-2", prompt="a second boat", seconds="4",
                               size="1280x720")
        error = refused.value.body
        assert isinstance(error, dict)
        assert error["code"] == "budget_exceeded" and error["type"] == "insufficient_quota"
        assert "team-a" in error["message"] and "0.50 USD per day" in error["message"]
        assert refused.value.response.headers["x-should-retry"] == "false"
        # refused before any provider call: the simulator saw nothing new
        assert gw.counter.count("POST", "/runway/v1/") == submits
        assert gw.counter.count("POST", "/kling/") == 0
        # and the refusal left no video behind
        assert [v.id for v in team.videos.list()] == [first.id]

        usage = httpx.get(f"{gw.v1}/vidbridge/usage",
                          headers={"authorization": f"Bearer {TEAM_A_KEY}"}).json()
        assert usage["key"] == "team-a" and usage["period"] == "day"
        assert usage["spent_usd"] == pytest.approx(RUNWAY_4S_USD)
        assert usage["remaining_usd"] == pytest.approx(0.5 - RUNWAY_4S_USD)
        assert usage["by_provider"] == [{"provider": "runway", "videos": 1,
                                         "spent_usd": pytest.approx(RUNWAY_4S_USD)}]

        # a plain key has no budget and its own, empty usage
        plain = openai.OpenAI(base_url=gw.v1, api_key=KEY, max_retries=0)
        assert plain.videos.create(model="sora-2", prompt="unbudgeted", seconds="4").id
        mine = httpx.get(f"{gw.v1}/vidbridge/usage",
                         headers={"authorization": f"Bearer {KEY}"}).json()
        assert mine["key"] is None and mine["budget_usd"] is None and mine["videos"] == 1


def test_key_limited_to_its_routes(sim: str, tmp_path: Path) -> None:
    with ops_gateway(sim, tmp_path) as gw:
        team = openai.OpenAI(base_url=gw.v1, api_key=TEAM_B_KEY, max_retries=0)
        with pytest.raises(openai.PermissionDeniedError) as refused:
            team.videos.create(model="sora-2", prompt="not on my route", seconds="4")
        assert refused.value.code == "route_not_allowed"
        assert "kling-only" in str(refused.value)
        assert gw.counter.calls == []
        video = team.videos.create_and_poll(model="kling-only", prompt="allowed", seconds="5")
        assert video.status == "completed"


def test_usage_needs_a_key_and_admin_keys_are_not_api_keys(sim: str, tmp_path: Path) -> None:
    with ops_gateway(sim, tmp_path) as gw:
        assert httpx.get(f"{gw.v1}/vidbridge/usage").status_code == 401
        admin = openai.OpenAI(base_url=gw.v1, api_key=ADMIN_KEY, max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            admin.videos.list()


def test_config_errors_name_the_key(sim: str, tmp_path: Path) -> None:
    raw = raw_config(sim, tmp_path, gateway={"keys": {"team-x": {
        "secret_env": "TEAM_X_KEY", "routes": ["nowhere"]}}})
    with pytest.raises(ConfigError, match=r"gateway.keys.team-x.routes: 'nowhere'"):
        parse_config(raw)
    raw["gateway"]["keys"]["team-x"]["routes"] = ["default"]
    raw["gateway"]["keys"]["team-x"]["budget_period"] = "week"
    with pytest.raises(ConfigError, match="budget_period"):
        parse_config(raw)
    raw["gateway"]["keys"]["team-x"]["budget_period"] = "month"
    cfg = parse_config(raw)
    with pytest.raises(ConfigError, match="TEAM_X_KEY is not set"):
        create_app(cfg, keys=[KEY], environ={}, database=tmp_path / "g.sqlite3")
    overlap = {**ENV, "TEAM_X_KEY": "k1", "VIDBRIDGE_ADMIN_KEYS": KEY}
    with pytest.raises(ConfigError, match="admin keys must be separate"):
        create_app(cfg, keys=[KEY], environ=overlap, database=tmp_path / "g.sqlite3")


def test_dashboard_lists_webhook_deliveries(sim: str, tmp_path: Path) -> None:
    from vidbridge.webhooks import new_secret

    from ..receiver import receiver

    with receiver(down_for=0) as hook, ops_gateway(
            sim, tmp_path, environ={"HOOK_SECRET": new_secret()},
            webhooks=[{"url": hook.url, "secret_env": "HOOK_SECRET"}]) as gw:
        team = openai.OpenAI(base_url=gw.v1, api_key=TEAM_B_KEY, max_retries=0)
        video = team.videos.create_and_poll(model="kling-only", prompt="a kite", seconds="5")
        hook.wait_for(1)
        page = httpx.get(f"{gw.url}/dashboard/webhooks",
                         headers={"authorization": f"Bearer {ADMIN_KEY}"}).text
        assert f'href="/dashboard/jobs/{video.id}"' in page
        assert "video.completed" in page and "delivered" in page and hook.url in page
