"""Scanning a project for ``migrate``: its files, each read by ``scan.Scanner``, then read
again where one imports a client from another (``modules``)."""

from __future__ import annotations

import ast
from pathlib import Path

from .modules import Exports, Known, exports, imported, nearby
from .scan import FileScan, Scanner


def scan_paths(paths: list[Path]) -> list[FileScan]:
    """Scan files and directories (``*.py`` below them), in a stable order. A client one
    scanned file imports from another is known in both (``modules``), and so is one it
    imports from a file beside it or in its package that was not named (read, not reported).
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.py") if not p.is_dir()
                            and not any(part.startswith(".") or part in {"venv", "__pycache__"}
                                       for part in p.relative_to(path).parts))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(2, "No such file or directory", str(path))
    scanned = [_scan(path) for path in files]
    exported = {path.resolve(): names for path, (_, _, names) in zip(files, scanned,
                                                                     strict=True) if names}
    results = [result for result, _, _ in scanned]
    listed = {path.resolve() for path in files}
    for path, (_, tree, _) in zip(files, scanned, strict=True):
        for module in sorted(nearby(path.resolve(), tree) - listed) if tree else ():
            if module not in exported and (names := _scan(module)[2]):
                exported[module] = names  # read for its exports only: not reported
    if not exported:
        return results
    users: dict[str, list[str]] = {}
    for index, (path, (result, tree, _)) in enumerate(zip(files, scanned, strict=True)):
        known = imported(path.resolve(), tree, exported) if tree is not None else None
        if known:
            results[index] = _scan(path, known)[0]
            for source in sorted(known.sources):
                users.setdefault(source, []).append(result.path)
    for path, result in zip(files, results, strict=True):
        result.used_by = users.get(str(path.resolve()), [])
    return results


def _scan(path: Path, known: Known | None = None) -> tuple[FileScan, ast.Module | None,
                                                            Exports]:
    """The file's scan, its tree and its exports (None and none when it did not parse)."""
    try:
        # Bytes, not text: ast.parse then decodes as Python does, honouring a UTF-8 BOM and
        # a `# -*- coding: latin-1 -*-` line (a file Python runs is a file we scan).
        source = path.read_bytes()
    except OSError as exc:  # a dangling link, a folder, a file this user may not read
        return FileScan(str(path), error=f"not scanned: cannot read ({exc.strerror or exc})"), \
            None, {}
    try:
        tree = ast.parse(source, filename=str(path))
        scanner = Scanner(str(path), tree, known)
        return scanner.run(), tree, exports(tree, scanner.clients, scanner.factories,
                                            scanner.videos)
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes on older Pythons
        return FileScan(str(path), error=f"not scanned: {exc}"), None, {}
    except (RecursionError, MemoryError):  # an expression nested past what ast builds
        return FileScan(str(path), error="not scanned: nested too deeply to parse"), None, {}
