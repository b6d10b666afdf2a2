"""JSON request bodies read with limits: a hostile body is a 400, never a 500.

``json.loads`` recurses once per nesting level (100,000 ``[`` is a ``RecursionError``) and
``int()`` refuses numbers past 4,300 digits with a ``ValueError`` deep inside a handler. The
gateway's bodies are a handful of flat fields, so it refuses, before parsing, nesting deeper
than ``MAX_DEPTH``, and, while parsing, any number longer than ``MAX_NUMBER_CHARS`` and any
string holding a lone UTF-16 surrogate (``"\\ud800"`` is valid JSON but no character: SQLite,
pydantic and the response encoder all refuse it), naming the field that held it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..compat import _errors as e

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 32  # a float with every digit written is 24; no field needs more
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class _Oversized(str):
    """A number too long (or too large) to read: kept as text until its field is known."""


def _number(text: str) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        return _Oversized(text)
    if not any(char in text for char in ".eE"):
        return int(text)
    value = float(text)
    return value if math.isfinite(value) else _Oversized(text)  # 1e999999 is inf


def _refuse_constant(name: str) -> Any:
    raise e.BadRequestError(f"We could not parse the JSON body of your request: {name} is not "
                            "JSON.", code="invalid_json")


def whole_number(text: str, *, digits: int = 18, signed: bool = False) -> int | None:
    """``text`` as an int when it is ASCII digits (after a ``-`` if ``signed``), at most
    ``digits`` of them (18 fit SQLite's INTEGER); else None. ``"²".isdigit()`` is true and
    int() refuses it, and int() of 5,000 digits raises: a client's number is read here."""
    body = text[1:] if signed and text.startswith("-") else text
    if not (0 < len(body) <= digits and body.isascii() and body.isdigit()):
        return None
    return int(text)


def _unencodable(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (it has no UTF-8 form)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _items(value: Any) -> list[Any]:
    """``value``, or every item of it and of the arrays nested in it (objects check their own
    fields when they are parsed)."""
    if not isinstance(value, list):
        return [value]
    return [item for inner in value for item in _items(inner)]


class _Refused(dict):  # type: ignore[type-arg]
    """An object holding a refused value, handed up unraised so that each enclosing object
    adds its key: the error names the whole path (``input_reference.image_url``), as OpenAI
    names nested parameters, not the innermost key alone."""

    def __init__(self, path: str | None, problem: str) -> None:
        super().__init__()
        self.path, self.problem = path, problem


PROBLEMS = {
    "number": "Invalid value for '{path}': a number longer than " + str(MAX_NUMBER_CHARS)
              + " characters, or too large to represent.",
    "surrogate": "Invalid value for '{path}': it holds a lone UTF-16 surrogate, which is not "
                 "a character.",
    "key": "Invalid field name: it holds a lone UTF-16 surrogate, which is not a character.",
}


def _checked(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    for key, value in pairs:
        values = _items(value)
        inner = next((item for item in values if isinstance(item, _Refused)), None)
        if inner is not None:
            return inner if inner.path is None else _Refused(f"{key}.{inner.path}",
                                                             inner.problem)
        if _unencodable(key):
            return _Refused(None, "key")
        if any(isinstance(item, _Oversized) for item in values):
            return _Refused(key, "number")
        if any(isinstance(item, str) and _unencodable(item) for item in values):
            return _Refused(key, "surrogate")
    return dict(pairs)


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot be too deep: skip the scan
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if bracket[0] in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ``BadRequestError`` (``invalid_json`` / ``invalid_value``)."""
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and nesting_depth(text) > MAX_DEPTH:
        raise e.BadRequestError(f"We could not parse the JSON body of your request: it nests "
                                f"deeper than {MAX_DEPTH} levels.", code="invalid_json")
    body: Any = None
    if text is not None:
        try:
            body = json.loads(text, parse_int=_number, parse_float=_number,
                              parse_constant=_refuse_constant, object_pairs_hook=_checked)
        except (json.JSONDecodeError, RecursionError):
            body = None
    if isinstance(body, _Refused):
        raise e.BadRequestError(PROBLEMS[body.problem].format(path=body.path), param=body.path,
                                code="invalid_value")
    if isinstance(body, _Oversized):
        body = None
    if not isinstance(body, dict):
        raise e.BadRequestError("We could not parse the JSON body of your request.",
                                code="invalid_json")
    return body
