"""`generate` and `resume` through the CLI against the in-process simulator (plain output)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidbridge.cli import app
from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread

SIMULATOR = Path(__file__).resolve().parents[2] / "examples" / "simulator.toml"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(create_app(SimulatorSettings(fast=True, seed=4))) as base:
        yield base


@pytest.fixture
def config(base_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "sim.toml"
    path.write_text(f'ledger = "{tmp_path / "ledger.sqlite3"}"\n'
                    + SIMULATOR.read_text().replace("http://127.0.0.1:8750", base_url))
    return path


def test_generate_shows_events_and_a_summary(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.mp4"
    result = CliRunner().invoke(app, [
        "generate", "a kite [[scenario:rate_limit=0:1]]", "--model", "sora-2",
        "--duration", "12", "-c", str(config), "-o", str(out), "--poll-interval", "0.01"])
    assert result.exit_code == 0, result.output
    err, text = result.stderr, result.stdout
    assert "↷ sora:sora-2 skipped: sora:sora-2 is retired" in err
    assert "→ trying veo:veo-3.1-generate-001" in err
    assert "veo:veo-3.1-generate-001 refused (rate_limited): retrying in 0.0s" in err
    assert "  accepted: veo job " in err
    assert "running" in err and "succeeded 100%" in err
    assert "attempts: sora:sora-2 skipped" in text and "veo:veo-3.1-generate-001 succeeded" in text
    assert "adjusted duration: 12 → 8" in text
    assert f"{out} (" in text and "estimated $3.20" in text
    assert out.stat().st_size > 0


def test_resume_finishes_a_submitted_job(config: Path, tmp_path: Path) -> None:
    from vidbridge import VideoClient

    with VideoClient.from_config(config) as client:
        job = client.submit({"prompt": "a heron", "duration": 5}, model="runway:gen4.5")
    listed = CliRunner().invoke(app, ["jobs", "list", "-c", str(config), "--json"])
    assert [row["id"] for row in json.loads(listed.stdout)] == [job.id]
    out = tmp_path / "resumed.mp4"
    result = CliRunner().invoke(app, ["resume", job.id, "-c", str(config), "-o", str(out),
                                      "--poll-interval", "0.01"])
    assert result.exit_code == 0, result.output
    assert f"runway:gen4.5 job {job.id}: {out}" in result.stdout
    assert out.stat().st_size > 0
    empty = CliRunner().invoke(app, ["jobs", "list", "-c", str(config)])
    assert empty.stdout.strip() == "no jobs"


@pytest.mark.parametrize("live", [False, True])
def test_progress_shows_providers_words_verbatim(live: bool) -> None:
    """A provider's message is text, never Rich markup: ``[/promptText]`` in a refusal once
    raised MarkupError inside the fallback event, which stopped the route there instead of
    trying the next candidate (and ``[model]`` vanished from the line)."""
    import io

    from rich.console import Console

    from vidbridge.cli.progress import Progress
    from vidbridge.models import Attempt, Job

    written = io.StringIO()
    progress = Progress(Console(file=written, width=80, force_terminal=live))
    reason = "invalid_parameter: body[/promptText] must be a string; [model] is required"
    with progress:
        progress.attempt_started("alpha[x]", "m[/b]")
        progress.job_accepted(Job(provider="alpha", model="m", id="job[/1]", status="queued"))
        progress.job_updated(Job(provider="alpha", model="m[/b]", id="job[/1]",
                                 status="running"))
        progress.fallback(Attempt(provider="alpha", model="m", outcome="failed",
                                  reason=reason))
    shown = written.getvalue()
    assert reason in shown and "accepted: alpha job job[/1]" in shown
    assert "→ trying alpha[x]:m[/b]" in shown
