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

    def split(node: Any) -> tuple[Any, Any] | None:
        """``from openai import OpenAI, X`` as (the compat import, the rest or None)."""
        if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None or \
                cst.helpers.get_full_name_for_node(node.module) != "openai" or \
                isinstance(node.names, cst.ImportStar):
            return None
        moved = [a for a in node.names if a.evaluated_name in CLIENT_CLASSES]
        kept = [a for a in node.names if a.evaluated_name not in CLIENT_CLASSES]
        if not moved:
            return None
        return (node.with_changes(module=cst.parse_expression(TARGET),
                                  **_layout(node, moved, True, cst)),
                node.with_changes(**_layout(node, kept, False, cst)) if kept else None)

    class Swap(cst.CSTTransformer):
        def leave_SimpleStatementLine(self, original: Any, updated: Any) -> Any:
            if len(updated.body) > 1:  # import os; from openai import OpenAI
                # The import stays in its line: skipping it left the file as it was while
                # the report said --fix swaps it.
                body: list[Any] = []
                for small in updated.body:
                    parts = split(small)
                    if parts is None or parts[1] is None:
                        body.append(parts[0] if parts else small)
                    else:
                        body += [parts[0].with_changes(semicolon=cst.Semicolon(
                            whitespace_after=cst.SimpleWhitespace(" "))), parts[1]]
                return updated.with_changes(body=body)
            parts = split(updated.body[0])
            if parts is None:
                return updated
            lines = [updated.with_changes(body=[parts[0]])]
            if parts[1] is not None:
                lines.append(updated.with_changes(  # the comment stays on the first line
                    leading_lines=[], trailing_whitespace=cst.TrailingWhitespace(),
                    body=[parts[1]]))
            return cst.FlattenSentinel(lines)

    module = cst.parse_module(source).visit(Swap())
    return module.bytes if isinstance(source, bytes) else module.code


def _layout(node: Any, names: list[Any], first: bool, cst: Any) -> dict[str, Any]:
    """``names``, ``lpar`` and ``rpar`` for one of the imports ``node`` is split into.

    Unparenthesised: clean separators, the last without a comma. Parenthesised (the
    one-name-a-line style): each name keeps its own comma and the comment after it, and the
    ``(``'s comment stays on the first import; dropping commas there lost those comments.
    """
    if node.lpar is None:
        return {"names": [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in names]}
    *head, last = names
    rpar = node.rpar if last is node.names[-1] else cst.RightParen()  # its comment, if any
    comma = last.comma
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after,
                                                   cst.ParenthesizedWhitespace):
        # A comma ending its line keeps its comment; the ")" then opens the next line.
        last = last.with_changes(comma=comma.with_changes(
            whitespace_after=comma.whitespace_after.with_changes(
                last_line=cst.SimpleWhitespace(""))))
        rpar = cst.RightParen()
    elif last is not node.names[-1]:
        last = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    lpar = node.lpar
    if not first and isinstance(lpar.whitespace_after, cst.ParenthesizedWhitespace):
        lpar = lpar.with_changes(whitespace_after=lpar.whitespace_after.with_changes(
            first_line=cst.TrailingWhitespace()))  # the "(" comment went with the first
    return {"names": [*head, last], "lpar": lpar, "rpar": rpar}


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
