"""One line for any exception a command raises: what went wrong and what is allowed."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure the command has already phrased for the user (printed as is)."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'sora-2'?)`` when a choice is close to ``word``, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(exc: BaseException) -> str:
    """The one line printed for ``exc``."""
    if type(exc).__name__ == "ValidationError" and hasattr(exc, "errors"):
        return validation_line(exc)
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"no such file: {exc.filename}"
    if isinstance(exc, (PermissionError, IsADirectoryError)) and exc.filename:
        return f"{exc.strerror.lower() if exc.strerror else 'cannot open'}: {exc.filename}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    text = " ".join(str(exc).split()) or type(exc).__name__
    from .. import errors

    if isinstance(exc, (errors.VidbridgeError, CliError, ValueError)):
        return text
    return f"{type(exc).__name__}: {text} (--debug for the traceback)"


def validation_line(exc: Any) -> str:
    """A pydantic ValidationError as ``--field: problem; allowed: ...`` (no URL, no dump)."""
    parts = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
        parts.append(f"{'--' + field.replace('_', '-') if field else 'request'}: "
                     f"{_problem(error, _bounds(getattr(exc, 'title', ''), field))}")
    return "; ".join(parts)


BOUND_WORDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def _bounds(model: str, field: str) -> str:
    """Every numeric bound of ``model.field`` (``> 0 and <= 600``), read from the pydantic
    model, so an error names the whole allowed range and not just the bound that was hit."""
    import typing

    from .. import models

    cls = getattr(models, model, None)
    info = getattr(cls, "model_fields", {}).get(field)
    if info is None:
        return ""
    found = list(info.metadata)
    for arg in typing.get_args(info.annotation):  # Annotated[float, Field(...)] | None
        for meta in getattr(arg, "__metadata__", ()):
            found += getattr(meta, "metadata", [meta])
    words = [f"{BOUND_WORDS[name]} {_number(getattr(meta, name))}" for meta in found
             for name in BOUND_WORDS if isinstance(getattr(meta, name, None), (int, float))]
    return " and ".join(words)


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _problem(error: dict[str, Any], bounds: str = "") -> str:
    ctx = error.get("ctx") or {}
    got = error.get("input")
    shown = f" (got {got!r})" if got is not None and not isinstance(got, dict) else ""
    if isinstance(got, float) and got.is_integer():
        shown = f" (got {got:g})"
    limits = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt",
              "less_than_equal": "le"}
    kind = error.get("type", "")
    if kind in limits:
        name = limits[kind]
        return (f"allowed: {bounds or BOUND_WORDS[name] + ' ' + _number(ctx.get(name, '?'))}"
                f"{shown}")
    if kind == "literal_error" and "expected" in ctx:
        return f"allowed: {ctx['expected']}{shown}"
    if kind == "string_pattern_mismatch" and "pattern" in ctx:
        return f"must match {ctx['pattern']}{shown}"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{message}{shown if shown and repr(got) not in message else ''}"
