"""Shared output: the consoles, ``--json`` / ``--config`` options and the client a command uses.

A table command takes ``as_json: JsonOption`` and ends with
``emit(rows, as_json, lambda: render_table(rows))``: the same rows are printed as JSON (plain
``print``, never wrapped or coloured) or as a Rich table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from ..client import VideoClient

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", help="vidbridge TOML config (default: $VIDBRIDGE_CONFIG)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
# = config.POLL_INTERVAL_MAX_S (a test holds them equal; importing config would slow --help)
POLL_INTERVAL_MAX_S = 600.0


def poll_interval(value: float | None) -> float | None:
    """``--poll-interval`` (generate, resume, serve): more than 0, at most 600 seconds."""
    if value is not None and not 0 < value <= POLL_INTERVAL_MAX_S:
        raise typer.BadParameter(f"{value!r} is out of range: allowed more than 0 and at most "
                                 f"{POLL_INTERVAL_MAX_S:g} seconds")
    return value

_consoles: dict[bool, Console] = {}


def console(stderr: bool = False) -> Console:
    """The Rich console for stdout (or stderr), built on first use so Rich loads lazily."""
    if stderr not in _consoles:
        from rich.console import Console

        # Rich reads sys.stdout/sys.stderr at each print, so test runners' capture still works.
        # No markup: what the CLI prints holds names from the config (a route "night[/b]"),
        # paths and providers' words, which Rich would read as tags - text eaten, or a
        # MarkupError for the whole command. Styles come from Text and style= instead.
        _consoles[stderr] = Console(stderr=stderr, highlight=False, markup=False)
    return _consoles[stderr]


def say(line: str, stderr: bool = False) -> None:
    """One line of plain text (the console reads no markup), never wrapped at its width: it
    holds ids, paths and providers' words, and a wrapped id cannot be copied into the next
    command (``vidbridge resume``) from a log or an 80-column pipe."""
    console(stderr).print(line, soft_wrap=True)


def emit(data: Any, as_json: bool, render: Callable[[], Any]) -> None:
    """Print ``data`` as JSON when ``--json`` was given, else what ``render()`` returns."""
    if as_json:
        print(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        shown = render()
        if shown is not None:
            console().print(shown)


def config_path(config: Path | None) -> Path | None:
    """The config a command uses: ``-c``, else ``$VIDBRIDGE_CONFIG``, else none."""
    if config is not None:
        return config
    env = os.environ.get("VIDBRIDGE_CONFIG")
    return Path(env) if env else None


def client_for(config: Path | None, **kwargs: Any) -> VideoClient:
    """A ``VideoClient`` from ``-c``/``$VIDBRIDGE_CONFIG``, else one reading env credentials."""
    from ..client import VideoClient

    path = config_path(config)
    return VideoClient.from_config(path, **kwargs) if path else VideoClient(**kwargs)


def money(usd: float | None) -> str:
    return f"${usd:.2f}" if usd is not None else "-"
