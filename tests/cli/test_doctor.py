"""`vidbridge doctor`: config, credential names, route candidates, ledger, --online probes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidbridge.cli import app

SIMULATOR = Path(__file__).resolve().parents[2] / "examples" / "simulator.toml"


@pytest.fixture(autouse=True)
def private_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDBRIDGE_LEDGER", str(tmp_path / "ledger.sqlite3"))
    monkeypatch.delenv("VIDBRIDGE_CONFIG", raising=False)


def doctor(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(app, ["doctor", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_a_valid_config_reports_each_candidate_state() -> None:
    code, report = doctor("-c", str(SIMULATOR))
    assert code == 0
    assert report["config"] == {"path": str(SIMULATOR), "valid": True}
    [default] = [r for r in report["routes"] if r["route"] == "default"]  # type: ignore[union-attr,index]
    states = {c["model"]: c["state"] for c in default["candidates"]}
    assert states["sora:sora-2"] == "retired" and states["runway:gen4.5"] == "live"
    assert default["usable"] and default["aliases"] == ["sora-2"]
    assert report["ledger"]["pending"] == [] and report["ledger"]["uncertain"] == []  # type: ignore[index]


def test_credentials_are_named_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "secret-value-never-printed")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["doctor"])
    assert "secret-value-never-printed" not in result.output
    assert "$GEMINI_API_KEY set" in result.output and "$OPENAI_API_KEY not set" in result.output


def test_an_invalid_config_exits_1_naming_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[routes.default]\ncandidates = []\n')
    code, report = doctor("-c", str(bad))
    assert code == 1
    assert report["config"]["valid"] is False  # type: ignore[index]
    assert "at least one candidate" in report["config"]["error"]  # type: ignore[index]


def test_a_ledger_that_cannot_be_opened_is_a_row_and_exit_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "notes.txt"
    broken.write_text("not a ledger\n")
    monkeypatch.setenv("VIDBRIDGE_LEDGER", str(broken))
    code, report = doctor("-c", str(SIMULATOR))
    assert code == 1
    assert report["routes"] and report["config"]["valid"] is True  # type: ignore[index]
    assert report["ledger"]["error"].startswith(  # type: ignore[index]
        f"ledger {broken}: not a vidbridge ledger")
    shown = CliRunner().invoke(app, ["doctor", "-c", str(SIMULATOR)])
    assert shown.exit_code == 1 and "✗ ledger " in shown.output and "route default" in shown.output


def test_the_text_report_shows_paths_and_ids_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``[`` in a value is text, not markup (``[/b]`` once ended doctor in a MarkupError),
    and a long job id is never broken across lines of an 80-column pipe."""
    from vidbridge.ledger import Ledger
    from vidbridge.models import Job

    path = tmp_path / "a[" / "b]" / "ledger.sqlite3"
    monkeypatch.setenv("VIDBRIDGE_LEDGER", str(path))
    operation = ("projects/demo-project/locations/us-central1/publishers/google/models/"
                 "veo-3.1-generate-001/operations/9f80d9dc-c6b7-4c82-9069-97f150767218")
    Ledger(path).record(Job(provider="veo", model="veo-3.1-generate-001", id=operation,
                            status="running"))
    shown = CliRunner().invoke(app, ["doctor", "-c", str(SIMULATOR)], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert f"  ledger: {path}: 1 pending, 0 uncertain" in lines
    assert f"    pending veo:veo-3.1-generate-001 {operation}" in lines


def test_a_route_of_retired_models_only_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "retired.toml"
    text = SIMULATOR.read_text()
    start = text.index("[routes.default]")
    line = text.index("candidates = [", start)
    config.write_text(text[:line] + 'candidates = ["sora:sora-2"]'
                      + text[text.index("\n", line):])
    code, report = doctor("-c", str(config))
    assert code == 1
    [default] = [r for r in report["routes"] if r["route"] == "default"]  # type: ignore[union-attr,index]
    assert not default["usable"]


def test_online_probes_say_which_keys_the_provider_refuses(tmp_path: Path) -> None:
    from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread

    settings = SimulatorSettings(fast=True, seed=1, require_key={
        "openai": "sim-openai-key", "vertex": "sim-vertex-token", "runway": "another-key",
        "kling": "sim-kling-access-key"})
    with serve_in_thread(create_app(settings)) as base:
        config = tmp_path / "sim.toml"
        config.write_text(SIMULATOR.read_text().replace("http://127.0.0.1:8750", base))
        code, report = doctor("-c", str(config), "--online")
    results = {row["provider"]: row["result"] for row in report["online"]}  # type: ignore[union-attr]
    assert results["runway"] == "refused"
    assert results["veo"] == "ok" and results["sora"] == "ok"
    assert code == 0


def test_a_candidate_the_configured_backend_does_not_serve_is_not_live(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNI_TOKEN", "ya29-doctor-token")
    config = tmp_path / "vertex.toml"
    config.write_text('[providers.omni]\napi_key_env = "OMNI_TOKEN"\n'
                      'options = { backend = "vertex", project = "acme" }\n'
                      '[routes.default]\ncandidates = ["omni:gemini-omni-1.1-flash"]\n')
    code, report = doctor("-c", str(config))
    [default] = report["routes"]  # type: ignore[misc]
    [candidate] = default["candidates"]
    assert candidate["state"] == "not served" and "not by the configured vertex backend" in (
        candidate["reason"])
    assert code == 1 and not default["usable"]  # the route has nothing it can send
