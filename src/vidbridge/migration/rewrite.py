"""``migrate --diff`` / ``--fix``: point ``from openai import OpenAI`` at ``vidbridge.compat``.

libcst keeps every comment and blank line, so the diff is the one changed import. Only the
client classes move: ``from openai import OpenAI, NotFoundError`` becomes two imports, the
client from ``vidbridge.compat.openai`` and the rest still from ``openai``.
"""

from __future__ import annotations

import difflib
import io
import tokenize
from pathlib import Path
from typing import Any

CLIENT_CLASSES = ("OpenAI", "AsyncOpenAI")
TARGET = "vidbridge.compat.openai"


def rewritten(source: str | bytes) -> Any:
    """``source`` with its ``openai`` client imports moved to ``vidbridge.compat.openai``
    (text in, text out; bytes in, bytes out in the file's own encoding)."""
    try:
        import libcst as cst
    except ImportError as exc:  # the extra is optional: say how to get it
        raise ImportError("migrate --diff/--fix needs libcst: pip install 'vidbridge[migrate]'"
                          ) from exc

    class Swap(cst.CSTTransformer):
        def leave_SimpleStatementLine(self, original: Any, updated: Any) -> Any:
            if len(updated.body) != 1 or not isinstance(updated.body[0], cst.ImportFrom):
                return updated
            node = updated.body[0]
            if node.relative or node.module is None or \
                    cst.helpers.get_full_name_for_node(node.module) != "openai" or \
                    isinstance(node.names, cst.ImportStar):
                return updated
            moved = [a for a in node.names if a.evaluated_name in CLIENT_CLASSES]
            kept = [a for a in node.names if a.evaluated_name not in CLIENT_CLASSES]
            if not moved:
                return updated
            target = cst.parse_expression(TARGET)
            lines = [updated.with_changes(body=[node.with_changes(
                module=target, names=_bare(moved, cst), lpar=None, rpar=None)])]
            if kept:
                rest = node.with_changes(names=_bare(kept, cst), lpar=None, rpar=None)
                lines.append(updated.with_changes(  # the comment stays on the first line
                    leading_lines=[], trailing_whitespace=cst.TrailingWhitespace(),
                    body=[rest]))
            return cst.FlattenSentinel(lines)

    module = cst.parse_module(source).visit(Swap())
    return module.bytes if isinstance(source, bytes) else module.code


def _bare(names: list[Any], cst: Any) -> list[Any]:
    """The aliases with clean separators (the last without a trailing comma)."""
    return [alias.with_changes(comma=cst.MaybeSentinel.DEFAULT) for alias in names]


def diff(path: Path) -> str:
    """A unified diff of the rewrite of ``path`` ('' when nothing changes)."""
    before = path.read_bytes()
    after = rewritten(before)
    encoding = tokenize.detect_encoding(io.BytesIO(before).readline)[0]
    return "".join(difflib.unified_diff(before.decode(encoding).splitlines(keepends=True),
                                        after.decode(encoding).splitlines(keepends=True),
                                        f"a/{path}", f"b/{path}"))


def fix(path: Path) -> bool:
    """Rewrite ``path`` in place; whether it changed. Bytes in and out, so the file keeps its
    encoding (a BOM, a ``coding:`` line) and its line endings (text mode turned CRLF into LF
    on every line, not only the import)."""
    before = path.read_bytes()
    after = rewritten(before)
    if after != before:
        path.write_bytes(after)
    return bool(after != before)
