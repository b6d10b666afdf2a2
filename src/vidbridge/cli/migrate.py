"""``vidbridge migrate``: what leaving Sora changes, per call site, before any code moves."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .app import app
from .failures import CliError
from .output import ConfigOption, client_for, console, emit, say

if TYPE_CHECKING:
    from ..migration.scan import FileScan


@app.command()
def migrate(
    paths: Annotated[list[Path], typer.Argument(help="files or folders of Python source")],
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per site")] = False,
    as_markdown: Annotated[bool, typer.Option("--markdown", help="a report for a PR")] = False,
    show_diff: Annotated[bool, typer.Option("--diff", help="print the import rewrite")] = False,
    apply_fix: Annotated[bool, typer.Option("--fix", help="apply the import rewrite")] = False,
) -> None:
    """Find OpenAI-SDK, raw-HTTP and LiteLLM video calls and say, per site, which configured
    candidates serve it, with what adjustments and cost. Exit 1 if a site has no candidate."""
    from ..migration import assess, project, report

    if as_json and as_markdown:
        raise CliError("choose one of --json and --markdown", exit_code=2)
    if show_diff and apply_fix:
        raise CliError("choose one of --diff and --fix", exit_code=2)
    files = project.scan_paths(paths)
    core = client_for(config).core
    reports = [assess.assess(site, core) for file in files for site in file.sites]
    if show_diff or apply_fix:
        _rewrite(files, apply_fix)
    elif as_markdown:
        sys.stdout.write(report.markdown(reports, files))
    else:
        emit(reports, as_json, lambda: report.table(reports) if reports else
             "no video-generation call sites found")
        if as_json:  # stdout stays the sites' JSON; what was not read still gets said
            for unread in (file for file in files if file.error):
                print(f"{unread.path}: {unread.error}", file=sys.stderr)
        else:
            counts = report.summary(reports)
            if counts:
                console().print(", ".join(f"{n} {verdict}" for verdict, n in counts.items()))
            for line in report.imports_note(files):
                say(line)
    if any(r["verdict"] == assess.NONE for r in reports):
        raise typer.Exit(1)


def _rewrite(files: list[FileScan], apply_fix: bool) -> None:
    from ..migration import report, rewrite

    for scan_result in files:
        path = Path(scan_result.path)
        if scan_result.error:  # not parsed, so not rewritten either: say so here too
            print(f"# {path}: {scan_result.error}", file=sys.stderr)
        for line in report.module_built(scan_result):  # left alone: say so here too
            print(f"# {line}", file=sys.stderr)
        if not scan_result.videos_only:
            if (why := report.not_rewritten(scan_result)) is not None:
                print(f"# {path}: {why}", file=sys.stderr)
            continue
        if apply_fix:
            if rewrite.fix(path):
                print(f"rewrote {path}")
        else:
            sys.stdout.write(rewrite.diff(path))
