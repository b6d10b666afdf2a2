"""The root Typer app and the one place CLI errors become one line.

Every command module registers on ``app`` (or a sub-Typer it adds to it). Commands do not
catch exceptions: ``VidbridgeGroup.invoke`` turns any exception into ``error: <one line>``
on stderr with exit code 1, and ``--debug`` (anywhere on the command line, or
``VIDBRIDGE_DEBUG=1``) prints the traceback as well.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from .failures import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, describe

DEBUG_KEY = "vidbridge.debug"


class VidbridgeGroup(TyperGroup):
    """A Typer group whose commands never show a traceback unless asked."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # ``--debug`` is accepted after the command too, where people type it on a rerun.
        cut = args.index("--") if "--" in args else len(args)
        if "--debug" in args[:cut] or os.environ.get("VIDBRIDGE_DEBUG") == "1":
            ctx.meta[DEBUG_KEY] = True
            args = [arg for arg in args[:cut] if arg != "--debug"] + args[cut:]
        try:
            return super().parse_args(ctx, args)
        except TyperException as exc:  # `vidbridge --nosuch`
            one_line_usage(exc)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TyperException as exc:  # `vidbridge nosuch`, `vidbridge generate --nosuch`
            one_line_usage(exc)
            raise
        except (typer.Exit, typer.Abort):  # exits: click's job
            raise
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if ctx.meta.get(DEBUG_KEY):
                import traceback

                traceback.print_exception(exc, file=sys.stderr)
            print(f"error: {describe(exc)}", file=sys.stderr)
            raise typer.Exit(getattr(exc, "exit_code", EXIT_ERROR)) from None


def one_line_usage(exc: TyperException) -> None:
    """A usage error (click's, vendored by Typer: exit code 2, ``format_message``) as one
    line, ``error: No such option: --x; see 'vidbridge generate --help'``, instead of
    click's four; help shown for a bare group (``NoArgsIsHelpError``) stays help."""
    message = getattr(exc, "format_message", None)
    if getattr(exc, "exit_code", None) != EXIT_USAGE or message is None or (
            type(exc).__name__ == "NoArgsIsHelpError"):
        return
    usage_ctx = getattr(exc, "ctx", None)
    hint = f"; see '{usage_ctx.command_path} --help'" if usage_ctx is not None else ""
    print(f"error: {message().rstrip('.')}{hint}", file=sys.stderr)
    raise typer.Exit(EXIT_USAGE) from None


# Plain (click-style) help and usage errors: Typer's Rich help pulls in rich.markdown and
# pygments, a third of `vidbridge --help`'s start-up, and its usage error is a 5-line panel.
PLAIN: dict[str, Any] = {"rich_markup_mode": None, "pretty_exceptions_enable": False,
                         "no_args_is_help": True}
app = typer.Typer(cls=VidbridgeGroup, add_completion=False, **PLAIN)


def group(name: str, help: str) -> typer.Typer:
    """A command group (``vidbridge <name> ...``) added to ``app`` with the same settings."""
    sub = typer.Typer(help=help, **PLAIN)
    app.add_typer(sub, name=name)
    return sub


@app.callback()
def _root(debug: bool = typer.Option(  # noqa: B008 - typer's declaration style
        False, "--debug", help="show the traceback of an error (also after the command)"),
) -> None:
    """One interface in front of AI video-generation APIs (Sora, Veo, Runway, Kling, plugins).

    Exit codes: 0 success; 1 an error (one line on stderr) or, for migrate and doctor, a
    finding that fails the check; 2 a usage error; 130 interrupted.
    """
