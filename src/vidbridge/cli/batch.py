"""``batch``: render every line of a JSONL file, resumable (see ``vidbridge.batch``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .output import ConfigOption, console, say


@app.command()
def batch(
    file: Annotated[Path, typer.Argument(help="JSONL: one request per line")],
    config: ConfigOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="folder for videos and results.jsonl (default: FILE without "
        ".jsonl)")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="lines in flight at once")] = 4,
) -> None:
    """Render every line of a JSONL file; run it again to resume (no line is sent twice)."""
    from ..batch import run_with_progress

    run = run_with_progress(file, out, config, concurrency, console())
    say(f"{run.tally.done} completed, {run.tally.failed} failed"
        + (f", {run.skipped} already done" if run.skipped else "")
        + f"; spent ${run.tally.spend_usd:.2f}; results: {run.results}")
    if run.tally.failed:
        raise typer.Exit(1)
