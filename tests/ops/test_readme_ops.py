"""The README's "Operating the gateway" blocks run as written."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from vidbridge.config import parse_config
from vidbridge.gateway import create_app
from vidbridge.plugins import plugin_manager

from ..compat.simenv import raw_config

README = Path(__file__).resolve().parents[2] / "README.md"


def blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Operating the gateway", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def test_the_budget_config_block_loads_and_serves(tmp_path: Path) -> None:
    (block,) = blocks("toml")
    raw = raw_config("http://127.0.0.1:9", tmp_path, **tomllib.loads(block))
    cfg = parse_config(raw)
    assert cfg.gateway.keys["team-a"].budget_usd == 20.0
    env = {"TEAM_A_KEY": "readme-team-a", "VIDBRIDGE_ADMIN_KEYS": "readme-admin"}
    app = create_app(cfg, keys=["readme-plain"], environ=env,
                     database=tmp_path / "gateway.sqlite3", output_dir=tmp_path / "videos")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        usage = client.get("/v1/vidbridge/usage",
                           headers={"authorization": "Bearer readme-team-a"}).json()
        assert (usage["key"], usage["budget_usd"], usage["period"]) == ("team-a", 20.0, "day")
        assert client.get("/dashboard", headers={
            "authorization": "Bearer readme-admin"}).status_code == 200


def test_the_tracing_block_runs() -> None:
    pytest.importorskip("opentelemetry.sdk")
    (block,) = blocks("python")
    pm = plugin_manager()
    before = set(pm.get_plugins())
    try:
        exec(compile(block, str(README), "exec"), {})
        added = [p for p in pm.get_plugins() - before
                 if type(p).__name__ == "TracingObserver"]
        assert len(added) == 1
    finally:
        for plugin in pm.get_plugins() - before:
            pm.unregister(plugin)
