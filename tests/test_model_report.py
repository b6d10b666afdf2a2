"""``vidbridge models`` data: rows, routes' first live candidates, the stale report, and
lifecycle warnings said exactly once (CLI check/generate, compat)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidbridge import VideoClient, VideoRequest
from vidbridge.cli import app
from vidbridge.compat._service import VideoService
from vidbridge.compat._store import VideoStore
from vidbridge.config import load_config, parse_config
from vidbridge.ledger import Ledger
from vidbridge.model_report import model_rows, route_rows, stale_report
from vidbridge.plugins import providers

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEPRECATED = {"kling:kling-v3:pro": {"lifecycle": {"deprecated_on": date(2026, 1, 1),
                                                   "successor": "kling-v3-turbo"}}}


def simulator_config(**top: object):  # type: ignore[no-untyped-def]
    return load_config(EXAMPLES / "simulator.toml", environ={})


def test_examples_route_first_to_live_models_and_say_so_otherwise() -> None:
    for name in ("simulator.toml", "vidbridge.toml"):
        config = load_config(EXAMPLES / name, check_env=False)
        for route in route_rows(config, providers()):
            assert route["warning"] is None, (name, route)
            first = next(c for c in route["candidates"] if c["candidate"] == route["first_live"])
            assert first["status"] == "available"


def test_a_retired_candidate_shows_its_date_and_successor_in_the_stale_report() -> None:
    report = stale_report(providers(), simulator_config(), today=date(2026, 12, 2))
    sora = next(row for row in report["route_candidates"] if row["candidate"] == "sora:sora-2")
    assert sora["status"] == "retired" and sora["date"] == date(2026, 9, 24)
    assert sora["route"] == "default"


def test_rows_go_stale_90_days_after_they_were_verified() -> None:
    fresh = stale_report(providers(), today=date(2026, 12, 2))["stale_rows"]
    assert not any(row["model"].startswith(("kling:", "runway:")) for row in fresh)
    later = stale_report(providers(), today=date(2027, 3, 3))["stale_rows"]  # 91 days on
    assert {"kling:kling-v3:pro", "runway:seedance2"} <= {row["model"] for row in later}


def test_config_rows_are_listed_and_marked() -> None:
    raw = {"providers": {"kling": {"api_key_env": "K", "secret_key_env": "S",
                                   "required": False}},
           "models": {"kling:kling-v3-turbo": {"like": "kling:kling-v3:pro",
                                               "durations": [5]}}}
    config = parse_config(raw, environ={})
    rows = {row["model"]: row for row in model_rows(providers(), config, provider="kling")}
    assert rows["kling:kling-v3-turbo"]["from_config"] is True
    assert rows["kling:kling-v3-turbo"]["durations"] == [5]


def test_cli_json_gives_the_same_data_as_the_table(tmp_path: Path) -> None:
    runner = CliRunner()
    stale = runner.invoke(app, ["models", "--stale", "--json", "-c",
                                str(EXAMPLES / "simulator.toml")])
    assert stale.exit_code == 0, stale.output
    data = json.loads(stale.stdout)
    assert {"stale_rows", "route_candidates"} == set(data)
    assert any(row["candidate"] == "sora:sora-2" for row in data["route_candidates"])
    table = runner.invoke(app, ["models", "--stale", "-c", str(EXAMPLES / "simulator.toml")])
    assert "sora:sora-2" in table.stdout and "route candidates deprecated or retired" in (
        table.stdout)
    listed = runner.invoke(app, ["models", "kling", "--json", "-c",
                                 str(EXAMPLES / "simulator.toml")])
    both = json.loads(listed.stdout)
    assert {route["route"] for route in both["routes"]} == {"default", "premium"}


def test_check_says_a_deprecation_once(tmp_path: Path) -> None:
    text = (EXAMPLES / "simulator.toml").read_text() + (
        '\n[models."kling:kling-v3:pro"]\nlifecycle = { deprecated_on = 2026-01-01, '
        'successor = "kling-v3-turbo" }\n')
    path = tmp_path / "sim.toml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["check", "a kite", "--route", "premium", "-c",
                                      str(path)])
    assert result.stdout.count("deprecated") == 1 and "2026-01-01" in result.stdout, (
        result.stdout)


def test_compat_lists_a_deprecation_once(tmp_path: Path) -> None:
    config = load_config(EXAMPLES / "simulator.toml", environ={})
    raw = {"providers": {"kling": {"base_url": "http://127.0.0.1:9/kling", "api_key": "a",
                                   "secret_key": "b" * 32}},
           "routes": {"default": {"candidates": ["kling:kling-v3:pro"]}}, "models": DEPRECATED}
    config = parse_config(raw, environ={})
    client = VideoClient(config=config, ledger=Ledger(":memory:"))
    service = VideoService(client.core, VideoStore(tmp_path / "v.sqlite3"), tmp_path)
    _, info = service.screen(VideoRequest(prompt="x"), "default")
    assert len([w for w in info.warnings if "deprecated" in w]) == 1


@pytest.mark.parametrize("today", [date(2026, 12, 2)])
def test_deprecated_first_candidate_is_flagged_on_its_route(today: date) -> None:
    raw = {"providers": {"kling": {"api_key_env": "K", "secret_key_env": "S",
                                   "required": False}},
           "routes": {"default": {"candidates": ["kling:kling-v3:pro"]}}, "models": DEPRECATED}
    route = route_rows(parse_config(raw, environ={}), providers(), today=today)[0]
    assert route["warning"] and "deprecated since 2026-01-01" in route["warning"]


def test_generate_prints_the_plans_lifecycle_warning_once(capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    from vidbridge import Job, Plan, VideoResult
    from vidbridge.cli.generate import show_result

    plan = Plan(provider="kling", model="kling-v3:pro", prompt="x", duration=5,
                aspect_ratio="16:9", resolution="1080p", size="1920x1080", audio=False,
                warnings=("kling:kling-v3:pro is deprecated since 2026-01-01",))
    result = VideoResult(job=Job(provider="kling", model="kling-v3:pro", id="t",
                                 status="succeeded"), plan=plan, path=Path("v.mp4"))
    show_result(result)
    assert capsys.readouterr().out.count("deprecated since 2026-01-01") == 1


def test_each_row_says_which_backends_serve_it() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "veo", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["model"]: row["backends"] for row in json.loads(listed.stdout)}
    assert rows["veo:veo-3.1-generate-001"] == ["vertex"]
    assert rows["veo:veo-3.0-generate-001"] == ["gemini", "vertex"]
    runway = json.loads(runner.invoke(app, ["models", "runway", "--json"]).stdout)
    assert all(row["backends"] == [] for row in runway)  # one backend: nothing to say
    wide = runner.invoke(app, ["models", "omni", "--wide"], env={"COLUMNS": "300"})
    line = next(text for text in wide.stdout.splitlines() if "gemini-omni-1.1-flash " in text)
    assert "served on" in wide.stdout and "gemini" in line and "vertex" not in line


def test_a_route_candidate_its_backend_does_not_serve_is_not_its_first_live_one() -> None:
    config = parse_config({
        "providers": {"omni": {"api_key_env": "OMNI_TOKEN", "required": False,
                               "options": {"backend": "vertex", "project": "acme"}},
                      "veo": {"api_key_env": "VEO_TOKEN", "required": False, "options": {
                          "backend": "vertex", "project": "acme", "location": "us-central1"}}},
        "routes": {"default": {"candidates": ["omni:gemini-omni-1.1-flash",
                                              "omni:gemini-omni-1.2-flash"]},
                   "gemini-only": {"candidates": ["omni:gemini-omni-1.1-flash"]},
                   "gone": {"candidates": ["veo:veo-3.1-generate-preview"]}}},
        environ={})
    routes = {row["route"]: row for row in route_rows(config, providers(),
                                                      today=date(2026, 12, 4))}
    first = routes["default"]["candidates"][0]
    assert first["status"] == "not served" and "configured vertex backend" in first["lifecycle"]
    assert routes["default"]["first_live"] == "omni:gemini-omni-1.2-flash"
    assert routes["gemini-only"]["first_live"] is None
    assert routes["gemini-only"]["warning"] == ("no live candidate: every candidate is retired "
                                                "or not served")
    # Gemini API only and retired: retired says more (and keeps it in the stale report).
    assert routes["gone"]["candidates"][0]["status"] == "retired"
    rows = {row["model"]: row for row in model_rows(providers(), config, provider="omni",
                                                    today=date(2026, 12, 4))}
    assert rows["omni:gemini-omni-1.1-flash"]["status"] == "not served"  # Gemini API only
    assert rows["omni:gemini-omni-1.1-flash-preview"]["status"] == "available"  # Vertex
    assert rows["omni:gemini-omni-flash-preview"]["status"] == "retired"  # retired wins
