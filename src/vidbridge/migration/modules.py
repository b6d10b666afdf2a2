"""Clients that one scanned module hands to another, for ``scan_paths``.

Apps keep their client in a module of its own (``clients.py``: ``client = OpenAI()``) and
import it where the videos are made (``from clients import client``, ``import clients``,
``from .clients import client``). Scanned alone, the importing file shows no ``openai`` at
all and its Sora calls were passed over: ``migrate`` said "No video-generation call sites
found" and exited 0 for a project calling the retired ``sora-2``. Here each scanned module's
top-level clients, client factories and ``client.videos`` names are its *exports*; a file that
imports one from another scanned file is scanned again with them known.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Known:
    """Names a file takes from other scanned files (what the scanner starts from)."""

    clients: dict[str, bool] = field(default_factory=dict)  # expression -> is async
    factories: dict[str, bool] = field(default_factory=dict)
    videos: dict[str, bool] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)  # the files they came from

    def __bool__(self) -> bool:
        return bool(self.clients or self.factories or self.videos)


# One module's exports: top-level name -> (kind, is async); kind: client, factory, videos.
Exports = dict[str, tuple[str, bool]]


def top_level_names(tree: ast.Module) -> set[str]:
    """Names bound at module level, through ``if``/``try``/``with`` but not in functions."""
    names: set[str] = set()

    def visit(body: Iterable[ast.AST]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
                continue  # its body binds locals
            if isinstance(node, ast.ClassDef):
                continue
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.With | ast.AsyncWith):
                names.update(item.optional_vars.id for item in node.items
                             if isinstance(item.optional_vars, ast.Name))
            for child in ("body", "orelse", "finalbody", "handlers"):
                visit(getattr(node, child, []))

    visit(tree.body)
    return names


def exports(tree: ast.Module, clients: dict[str, bool], factories: dict[str, bool],
            videos: dict[str, bool]) -> Exports:
    found: Exports = {}
    for name in top_level_names(tree):
        for kind, table in (("client", clients), ("factory", factories), ("videos", videos)):
            if name in table:
                found[name] = (kind, table[name])
    return found


def imported(path: Path, tree: ast.Module, modules: dict[Path, Exports]) -> Known:
    """What ``path`` imports from the scanned ``modules`` (file -> its exports)."""
    known = Known()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # ``import app.clients`` binds ``app``: its calls read app.clients.client.
                local = alias.asname or alias.name
                for source in _resolve(path, alias.name, 0, modules):
                    _module_alias(known, local, source, modules)
        elif isinstance(node, ast.ImportFrom):
            for source in _resolve(path, node.module or "", node.level, modules):
                for alias in node.names:
                    if alias.name in modules[source]:
                        kind, is_async = modules[source][alias.name]
                        _add(known, kind, alias.asname or alias.name, is_async)
                        known.sources.add(str(source))
            for alias in node.names:  # from app import clients: a module, by attribute
                dotted = ".".join(filter(None, (node.module, alias.name)))
                for source in _resolve(path, dotted, node.level, modules):
                    _module_alias(known, alias.asname or alias.name, source, modules)
    return known


def nearby(path: Path, tree: ast.Module) -> set[Path]:
    """Files on disk that ``path``'s imports name beside it or relative to its package:
    read for their exports even when not scanned (``migrate jobs.py`` beside clients.py)."""
    found: set[Path] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            wanted = [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            wanted = [(node.module or "", node.level)] + [
                (".".join(filter(None, (node.module, alias.name))), node.level)
                for alias in node.names]
        else:
            continue
        for dotted, level in wanted:
            for candidate in _near(path, dotted, level):
                try:
                    if candidate.is_file():
                        found.add(candidate.resolve())
                except OSError:  # a name too long for the file system: no such module
                    continue
    return found


def _near(path: Path, dotted: str, level: int) -> list[Path]:
    """Where ``dotted`` lives if it is beside ``path`` (level 0, how a script imports) or in
    its package (``from .x``: level 1 is the file's own folder): ``x.py``, ``x/__init__.py``."""
    parts = [part for part in dotted.split(".") if part]
    if not parts and level == 0:
        return []
    base = path.parent
    for _ in range(max(level - 1, 0)):
        base = base.parent
    tails = [Path(*parts).with_suffix(".py")] if parts else []
    return [base / tail for tail in [*tails, Path(*parts, "__init__.py")]]


def _module_alias(known: Known, local: str, source: Path,
                  modules: dict[Path, Exports]) -> None:
    for name, (kind, is_async) in modules[source].items():
        _add(known, kind, f"{local}.{name}", is_async)
        known.sources.add(str(source))


def _add(known: Known, kind: str, expression: str, is_async: bool) -> None:
    if kind == "client":
        known.clients[expression] = is_async
    elif kind == "videos":
        known.videos[expression] = is_async
    else:  # a factory is recognised by its own name, called bare or on a module
        known.factories[expression.rpartition(".")[2]] = is_async


def _resolve(path: Path, dotted: str, level: int, modules: dict[Path, Exports]) -> list[Path]:
    """The scanned files ``dotted`` may name from ``path``: relative to the file's package
    for ``from .x``; else beside the file, else any scanned file whose path ends with it (a
    package on ``sys.path``)."""
    near = [candidate for candidate in _near(path, dotted, level) if candidate in modules]
    if near or level:
        return near
    tails = [candidate.relative_to(path.parent) for candidate in _near(path, dotted, 0)]
    return [module for module in modules for tail in tails
            if module.parts[-len(tail.parts):] == tail.parts and module != path]
