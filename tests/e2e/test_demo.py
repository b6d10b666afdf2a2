"""The README's main job, and the command line, as a user runs them."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from vidbridge.cli import app
from vidbridge.demo import probe_mp4, run_demo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_demo_falls_back_from_retired_sora_and_writes_the_planned_mp4(tmp_path: Path) -> None:
    shown = io.StringIO()
    result = run_demo(tmp_path, Console(file=shown, width=200), render_seconds=0.3)
    assert [(a.provider, a.outcome) for a in result.attempts] == [("sora", "skipped"),
                                                                  ("veo", "succeeded")]
    assert "retired since 2026-09-24" in result.attempts[0].reason
    [change] = result.adjustments
    assert (change.field, change.asked, change.given) == ("duration", 12, 8)
    probe = probe_mp4(tmp_path / "demo.mp4")
    assert probe is not None and result.plan is not None
    assert abs(probe["duration"] - result.plan.duration) < 0.1
    assert f"{probe['width']}x{probe['height']}" == result.plan.size == "1280x720"
    text = shown.getvalue()
    for expected in ("pre-flight check", "adjusted duration: 12 → 8", "estimated cost: $3.20",
                     "MP4 check: 8.00 s, 1280x720"):
        assert expected in text


def test_demo_never_breaks_a_job_id_or_path_across_lines(tmp_path: Path) -> None:
    """A CI log is 80 columns wide (or less): what a user copies from it must be whole."""
    shown = io.StringIO()
    result = run_demo(tmp_path, Console(file=shown, width=40), render_seconds=0.3)
    lines = shown.getvalue().splitlines()
    assert any(f"accepted: veo job {result.job.id}" in line for line in lines)
    assert any(f"job {result.job.id} succeeded" in line for line in lines)
    assert any(f"wrote {result.path} (" in line for line in lines)
    assert any("sora:sora-2 is retired since 2026-09-24 (OpenAI shut the Sora API down"
               in line for line in lines)


def test_demo_events_show_providers_words_verbatim() -> None:
    from vidbridge.demo import ProgressPrinter
    from vidbridge.models import Attempt, Job

    shown = io.StringIO()
    printer = ProgressPrinter(Console(file=shown, width=80))
    reason = "invalid_parameter: body[/promptText] must be a string; [model] is required"
    printer.job_accepted(Job(provider="alpha", model="m", id="job[/1]", status="queued"))
    printer.fallback(Attempt(provider="alpha", model="m", outcome="failed", reason=reason))
    assert "accepted: alpha job job[/1]" in shown.getvalue()
    assert f"alpha:m failed: {reason}" in shown.getvalue()


def test_cli_lists_models_and_providers() -> None:
    runner = CliRunner()
    models = runner.invoke(app, ["models", "veo"], env={"COLUMNS": "250"})
    assert models.exit_code == 0 and "veo:veo-3.1-generate-001" in models.output
    listed = runner.invoke(app, ["providers", "list"])
    assert listed.exit_code == 0
    for name in ("sora", "veo", "runway", "kling"):
        assert f"{name}:" in listed.output
    assert "$KLING_ACCESS_KEY" in listed.output


def test_cli_check_answers_without_http() -> None:
    result = CliRunner().invoke(app, ["check", "a kite", "--duration", "12", "--route", "sora-2",
                                      "-c", str(EXAMPLES / "simulator.toml")],
                                env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "retired" in result.output and "duration 12→8" in result.output


def test_cli_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "", "--model", "veo:veo-3.1-generate-001",
                                      "-o", str(tmp_path / "v.mp4")])
    assert result.exit_code == 1 and "prompt must not be empty" in result.output
    assert not (tmp_path / "v.mp4").exists()


def test_example_configs_load() -> None:
    from vidbridge.config import load_config

    env = {"VERTEX_ACCESS_TOKEN": "t", "RUNWAYML_API_SECRET": "r", "KLING_ACCESS_KEY": "a",
           "KLING_SECRET_KEY": "s"}
    full = load_config(EXAMPLES / "vidbridge.toml", environ=env)
    assert full.aliases["sora-2"] == "default" and full.providers["omni"].required is False
    assert load_config(EXAMPLES / "simulator.toml", environ={}).routes["default"].candidates[0] \
        == "sora:sora-2"
