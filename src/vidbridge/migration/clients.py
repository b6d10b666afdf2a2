"""Which expressions in a file are ``openai`` clients, for ``scan``.

Real Sora code rarely keeps its client in one module-level variable: it takes one as a
parameter (``client: OpenAI``), builds it in a factory (``def get_client() -> OpenAI``,
``return OpenAI()``), keeps it on a class (``client = OpenAI()`` in the class body, then
``self.client``), falls back (``client or OpenAI()``) or narrows it
(``client.with_options(timeout=30)``). Each of those is a client here, so its video calls are
sites and its other uses (``.chat``...) keep ``--fix`` away from the file. Last, in a file that
uses ``openai`` at all, whatever ``X`` is in ``X.videos.create(...)`` counts as a client: the
call is a Sora call wherever ``X`` came from.
"""

from __future__ import annotations

import ast
import builtins

CLIENT_CLASSES = ("OpenAI", "AsyncOpenAI")
# The official SDK's ``client.videos`` methods (openai/resources/videos.py), and the
# wrappers that return the HTTP response instead: ``videos.with_raw_response.retrieve(...)``.
SDK_METHODS = ("create", "create_and_poll", "retrieve", "poll", "list", "delete", "remix",
               "extend", "edit", "download_content", "create_character", "get_character")
WRAPPERS = ("with_raw_response", "with_streaming_response")
VIDEO_CALLS = SDK_METHODS + WRAPPERS


class ClientNames:
    """Mixed into the scanner; reads and fills its name tables."""

    modules: dict[str, str]  # local name -> "openai" / "httpx"...
    classes: dict[str, bool]  # local name of a client class -> is async
    clients: dict[str, bool]  # expression text -> is async
    factories: dict[str, bool]  # function name returning a client -> is async
    videos: dict[str, bool]  # expression text holding client.videos -> is async
    parents: dict[ast.AST, ast.AST]
    tree: ast.Module

    @property
    def uses_openai(self) -> bool:
        return bool(self.classes) or "openai" in self.modules.values()

    def _typed(self, node: ast.AST) -> None:
        """``client: OpenAI`` (a parameter or an annotated attribute) and factories."""
        if isinstance(node, ast.arg) and node.annotation is not None:
            if (is_async := self._annotated(node.annotation)) is not None:
                self.clients[node.arg] = is_async
        elif isinstance(node, ast.AnnAssign):
            if (is_async := self._annotated(node.annotation)) is not None:
                self.clients[ast.unparse(node.target)] = is_async
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            if (is_async := self._annotated(node.returns)) is not None:
                self.factories[node.name] = is_async
        elif isinstance(node, ast.Return) and node.value is not None and \
                (is_async := self._client_class(node.value)) is not None:
            parent = self.parents.get(node)
            while parent is not None and not isinstance(
                    parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                parent = self.parents.get(parent)
            if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
                self.factories[parent.name] = is_async

    def _annotated(self, annotation: ast.AST) -> bool | None:
        """Whether a type names a client class (``OpenAI | None``, ``"AsyncOpenAI"``,
        ``openai.OpenAI``): True async, False sync, None not."""
        for sub in ast.walk(annotation):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                try:
                    found = self._annotated(ast.parse(sub.value, mode="eval"))
                except SyntaxError:
                    continue
                if found is not None:
                    return found
            elif isinstance(sub, ast.Name) and sub.id in self.classes:
                return self.classes[sub.id]
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and \
                    self.modules.get(sub.value.id) == "openai" and sub.attr in CLIENT_CLASSES:
                return sub.attr == "AsyncOpenAI"
        return None

    def _owner(self, node: ast.AST) -> None:
        """``X.videos.create(...)`` in a file using openai: ``X`` is a client."""
        if not (isinstance(node, ast.Attribute) and node.attr == "videos" and self.uses_openai):
            return
        parent = self.parents.get(node)
        owner = node.value
        if isinstance(parent, ast.Attribute) and parent.attr in VIDEO_CALLS and \
                ast.unparse(node) not in self.videos and not (  # self.videos = client.videos
                    isinstance(owner, ast.Name) and self.modules.get(owner.id) == "openai"):
            self.clients.setdefault(ast.unparse(owner), False)  # async when awaited

    def _module_built(self, value: ast.AST) -> bool:
        """``openai.OpenAI()``: a client the import rewrite does not reach."""
        return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
            isinstance(value.func.value, ast.Name) and \
            self.modules.get(value.func.value.id) == "openai" and \
            value.func.attr in CLIENT_CLASSES

    def _client_class(self, value: ast.AST) -> bool | None:
        """Whether ``value`` builds an OpenAI client: True async, False sync, None not."""
        if isinstance(value, ast.BoolOp | ast.IfExp):  # client or OpenAI()
            parts = value.values if isinstance(value, ast.BoolOp) else [value.body,
                                                                         value.orelse]
            return next((found for part in parts
                         if (found := self._client_class(part)) is not None), None)
        if not isinstance(value, ast.Call):
            return None
        func = value.func
        if self._module_built(value):
            assert isinstance(func, ast.Attribute)
            return func.attr == "AsyncOpenAI"
        # get_client(), self.get_client(); not client.videos.create() when a factory is
        # called create: the result of a method on a longer chain is never a client.
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(
            func, ast.Attribute) and isinstance(func.value, ast.Name) else None
        if isinstance(func, ast.Name) and name in self.classes:
            return self.classes[func.id]
        if name in self.factories:
            return self.factories[name]
        if isinstance(func, ast.Attribute) and func.attr == "with_options":
            return self._client_of(func.value)  # the SDK's copy with other options
        return None

    def _client_of(self, node: ast.AST) -> bool | None:
        name = ast.unparse(node)
        if name in self.clients:
            return self.clients[name]
        if isinstance(node, ast.Name) and self.modules.get(node.id) == "openai":
            return False  # the module-level client: openai.videos.create(...)
        return self._client_class(node)

    def _handed_on(self, node: ast.Call) -> list[tuple[int, str]]:
        """``caption(client, text)`` with ``caption`` defined elsewhere: the client goes to code
        this file does not show, which may chat with it; after the swap that would break
        (``isinstance``, ``print``... and this file's own functions are seen, so they do not
        count)."""
        func = node.func
        name = func.id if isinstance(func, ast.Name) else \
            func.attr if isinstance(func, ast.Attribute) else None
        if name is None or hasattr(builtins, name) or name in self._defined():
            return []
        return [(node.lineno, f"{ast.unparse(func)}({ast.unparse(arg)})")
                for arg in [*node.args, *(kw.value for kw in node.keywords)]
                if ast.unparse(arg) in self.clients or (
                    self._client_class(arg) is not None and not self._module_built(arg))]

    def _defined(self) -> set[str]:
        if not hasattr(self, "_defined_names"):
            self._defined_names = {node.name for node in ast.walk(self.tree) if isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
        return self._defined_names
