"""The ``vidbridge`` command: nouns for groups, verbs for commands. Loaded only when run.

One module per command group; each registers on ``app`` from ``.app`` when imported here.
Add a command: write ``cli/<name>.py`` with ``@app.command()`` (or a sub-Typer added to
``app``), add its module to ``COMMANDS`` below, and let errors propagate: ``app`` prints
them as one line (``--debug`` for the traceback). Import heavy modules inside the command.
"""

from __future__ import annotations

import importlib

from .app import app

COMMANDS = (  # one per line: helpers adding commands at once merge without conflict
    "generate",
    "catalog",
    "jobs",
    "migrate",
    "doctor",
    "batch",
    "servers",
)
for _name in COMMANDS:
    importlib.import_module(f".{_name}", __name__)


def main() -> None:
    app()


__all__ = ["app", "main"]
