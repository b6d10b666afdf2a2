"""Find video-generation call sites in Python source with the stdlib ``ast`` (no import, no run).

Three families are recognised: the official ``openai`` SDK (``client.videos.<method>``,
sync or async, through any expression ``clients`` takes for a client), raw HTTP
to ``/v1/videos...`` with ``httpx``, ``requests`` or ``aiohttp``, and LiteLLM's
``video_generation`` / ``avideo_generation`` / ``video_status`` / ``video_content``.
Arguments are read when they are literals or module-level constants; anything else is
left out of ``arguments`` (the site still counts).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from .clients import SDK_METHODS, WRAPPERS, ClientNames
from .modules import Known

# Parameters the SDK takes positionally (the rest are keyword-only).
POSITIONAL = {"retrieve": ("video_id",), "poll": ("video_id",), "delete": ("video_id",),
              "remix": ("video_id",), "download_content": ("video_id",),
              "get_character": ("character_id",)}
LITELLM = {"video_generation": "create", "avideo_generation": "create",
           "video_status": "retrieve", "avideo_status": "retrieve",
           "video_content": "download_content", "avideo_content": "download_content"}
# LiteLLM's own examples pass everything by keyword; positional order assumed from them.
LITELLM_POSITIONAL = {"create": ("prompt", "model"), "retrieve": ("video_id",),
                      "download_content": ("video_id",)}
COMPAT = "vidbridge.compat.openai"
READ = ("model", "prompt", "seconds", "size", "variant", "video_id", "input_reference")
HTTP_VERBS = ("get", "post", "delete", "put", "patch", "request")
HTTP_CLIENTS = {("httpx", "Client"): "httpx", ("httpx", "AsyncClient"): "httpx",
                ("requests", "Session"): "requests", ("aiohttp", "ClientSession"): "aiohttp"}
OPENAI_URL = re.compile(r"https?://api\.openai\.com(/v1)?")
VIDEOS_PATH = re.compile(r"/videos(?:/(?P<id>[^/?]+))?(?:/(?P<action>content|remix|extend))?"
                         r"/?(?:\?(?P<query>.*))?$")


@dataclass
class Site:
    """One call that touches video generation."""

    file: str
    line: int
    call: str  # the callee as written, e.g. "client.videos.create"
    api: str  # "openai", "http" or "litellm"
    operation: str  # an SDK method name: create, retrieve, download_content...
    is_async: bool
    arguments: dict[str, Any] = field(default_factory=dict)
    has_image: bool = False
    changes: list[str] = field(default_factory=list)  # code changes the scan already knows


@dataclass
class FileScan:
    """One file: its sites, its ``openai`` client imports, and other uses of the client."""

    path: str
    sites: list[Site] = field(default_factory=list)
    client_imports: list[int] = field(default_factory=list)  # lines importing OpenAI classes
    other_uses: list[tuple[int, str]] = field(default_factory=list)  # client.chat... lines
    module_clients: list[tuple[int, str]] = field(default_factory=list)  # openai.OpenAI()
    unserved: list[tuple[int, str]] = field(default_factory=list)  # calls compat lacks
    handed_on: list[tuple[int, str]] = field(default_factory=list)  # caption(client)
    used_by: list[str] = field(default_factory=list)  # files importing this one's client
    error: str | None = None

    @property
    def videos_only(self) -> bool:
        """Whether --fix may swap the import: video calls here, all served by compat, and
        nothing else; not when the client goes to code elsewhere (``caption(client)``), or
        may (no video call here), as that code may chat with it."""
        return bool(self.client_imports) and not self.other_uses and not self.unserved and \
            not self.handed_on and any(site.api == "openai" for site in self.sites)


def compat_serves(method: str) -> bool:
    """Whether ``vidbridge.compat.openai``'s ``client.videos`` has ``method``."""
    from ..compat.openai import Videos

    return callable(getattr(Videos, method, None))


class _Unread:
    """A value the scan cannot read statically."""


UNREAD = _Unread()


class Scanner(ClientNames):
    def __init__(self, path: str, tree: ast.Module, known: Known | None = None) -> None:
        self.result = FileScan(path)
        self.tree = tree
        self.constants: dict[str, tuple[Any, int]] = {}
        self.modules: dict[str, str] = {}  # local name -> "openai" / "httpx" / "litellm"...
        self.classes: dict[str, bool] = {}  # local name of OpenAI/AsyncOpenAI -> is async
        self.litellm_names: dict[str, str] = {}  # local name -> litellm function
        self.clients: dict[str, bool] = {}  # variable text -> is async
        self.factories: dict[str, bool] = {}  # function returning a client -> is async
        self.videos: dict[str, bool] = {}  # variable text holding client.videos -> is async
        self.http: dict[str, tuple[str, str | None, int]] = {}  # var -> (lib, base, line)
        self.parents: dict[ast.AST, ast.AST] = {}
        if known is not None:  # taken from other scanned files (``modules``)
            self.clients.update(known.clients)
            self.factories.update(known.factories)
            self.videos.update(known.videos)

    def run(self) -> FileScan:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self._constants()
        for node in ast.walk(self.tree):
            self._imports(node)
        # Twice: `videos = client.videos` may be read before `client = OpenAI()` in walk order.
        for _ in range(2):
            for node in ast.walk(self.tree):
                self._typed(node)
                self._bindings(node)
        for node in ast.walk(self.tree):
            self._owner(node)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                self._call(node)
                self.result.handed_on += self._handed_on(node)
            elif isinstance(node, ast.Attribute):
                self._other_use(node)
        self.result.sites.sort(key=lambda site: site.line)
        return self.result

    # -- what names mean -----------------------------------------------------------------------
    def _constants(self) -> None:
        for node in self.tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
            value = getattr(node, "value", None)
            for target in targets:
                if isinstance(target, ast.Name) and value is not None:
                    read = self.value(value)
                    if read is not UNREAD:
                        self.constants[target.id] = (read, node.lineno)

    def _imports(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in {"openai", "httpx", "requests", "aiohttp", "litellm"}:
                    self.modules[alias.asname or root] = root
        elif isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            for alias in node.names:
                local = alias.asname or alias.name
                if root == "openai" and alias.name in {"OpenAI", "AsyncOpenAI"}:
                    self.classes[local] = alias.name == "AsyncOpenAI"
                    self.result.client_imports.append(node.lineno)
                elif node.module == COMPAT and alias.name in {"OpenAI", "AsyncOpenAI"}:
                    # Already swapped (by --fix or by hand): its calls are still routed by
                    # the config, so they are still sites; a CI run of migrate after the
                    # fix found none, and passed a model nothing serves.
                    self.classes[local] = alias.name == "AsyncOpenAI"
                elif root == "litellm" and alias.name in LITELLM:
                    self.litellm_names[local] = alias.name
                elif root in {"httpx", "requests", "aiohttp"}:
                    self.modules[local] = f"{root}.{alias.name}"

    def _bindings(self, node: ast.AST) -> None:
        pairs: list[tuple[ast.AST, ast.AST]] = []
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.With | ast.AsyncWith):
            pairs = [(item.optional_vars, item.context_expr) for item in node.items
                     if item.optional_vars is not None]
        for target, value in pairs:
            name = ast.unparse(target)
            if isinstance(value, ast.Await):
                value = value.value
            if (is_async := self._client_class(value)) is not None:
                self.clients[name] = is_async
                if self._module_built(value):
                    assert isinstance(value, ast.Call)
                    made = (getattr(node, "lineno", 0), ast.unparse(value.func))
                    if made not in self.result.module_clients:
                        self.result.module_clients.append(made)
            elif isinstance(value, ast.Attribute) and value.attr == "videos" and \
                    (owner := self._client_of(value.value)) is not None:
                self.videos[name] = owner
            elif (lib := self._http_client(value)) is not None:
                assert isinstance(value, ast.Call)
                base = next((self.value(kw.value) for kw in value.keywords
                             if kw.arg == "base_url"), None)
                self.http[name] = (lib, base if isinstance(base, str) else None,
                                   getattr(node, "lineno", 0))

    def _http_client(self, value: ast.AST) -> str | None:
        if not isinstance(value, ast.Call):
            return None
        func = value.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return HTTP_CLIENTS.get((self.modules.get(func.value.id, ""), func.attr))
        if isinstance(func, ast.Name):
            root, _, attr = self.modules.get(func.id, "").partition(".")
            return HTTP_CLIENTS.get((root, attr))
        return None

    # -- values --------------------------------------------------------------------------------
    def value(self, node: ast.AST) -> Any:
        """The literal ``node`` stands for (module constants resolved), else ``UNREAD``."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id][0]
        if isinstance(node, ast.JoinedStr):
            parts = [self.value(part.value) if isinstance(part, ast.FormattedValue)
                     else self.value(part) for part in node.values]
            return "".join("{…}" if part is UNREAD else str(part) for part in parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left), self.value(node.right)
            if isinstance(left, str) or isinstance(right, str):
                return ("{…}" if left is UNREAD else str(left)) + \
                    ("{…}" if right is UNREAD else str(right))
        if isinstance(node, ast.Dict):
            return {self.value(k): self.value(v) for k, v in zip(node.keys, node.values,
                                                                 strict=True) if k is not None}
        return UNREAD

    def _line_of_url(self, node: ast.AST) -> int:
        """Where a hard-coded URL is written: the constant's line when it is one."""
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in self.constants and \
                    OPENAI_URL.search(str(self.constants[sub.id][0])):
                return self.constants[sub.id][1]
        return getattr(node, "lineno", 0)

    # -- calls ---------------------------------------------------------------------------------
    def _awaited(self, node: ast.AST) -> bool:
        return isinstance(self.parents.get(node), ast.Await)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = func.value
            if func.attr in SDK_METHODS:
                wrapper = None
                if isinstance(receiver, ast.Attribute) and receiver.attr in WRAPPERS:
                    wrapper, receiver = receiver.attr, receiver.value
                owner = self.videos.get(ast.unparse(receiver))
                if owner is None and isinstance(receiver, ast.Attribute) and \
                        receiver.attr == "videos":
                    owner = self._client_of(receiver.value)
                if owner is not None:
                    self._sdk_site(node, func.attr, owner or self._awaited(node), wrapper)
                    if isinstance(receiver, ast.Attribute) and isinstance(
                            receiver.value, ast.Name) and receiver.value.id in self.modules \
                            and self.modules[receiver.value.id] == "openai":
                        # openai.videos.create(...): the module's own client, which no
                        # import swap reaches; --fix says so as for openai.OpenAI().
                        self.result.module_clients.append((node.lineno, ast.unparse(receiver)))
                    return
            if isinstance(receiver, ast.Name) and self.modules.get(receiver.id) == "litellm" \
                    and func.attr in LITELLM:
                self._litellm_site(node, func.attr)
                return
            if func.attr in HTTP_VERBS:
                self._http_site(node, func.attr, receiver)
        elif isinstance(func, ast.Name) and func.id in self.litellm_names:
            self._litellm_site(node, self.litellm_names[func.id])

    def _read_args(self, node: ast.Call, positional: tuple[str, ...]) -> tuple[dict[str, Any],
                                                                                bool]:
        read: dict[str, Any] = {}
        given = dict(zip(positional, node.args, strict=False))
        given.update({kw.arg: kw.value for kw in node.keywords if kw.arg})
        for name, expr in given.items():
            value = self.value(expr)
            if name in READ and name != "input_reference" and value is not UNREAD:
                read[name] = value
        return read, "input_reference" in given

    def _sdk_site(self, node: ast.Call, method: str, is_async: bool,
                  wrapper: str | None) -> None:
        arguments, image = self._read_args(node, POSITIONAL.get(method, ()))
        site = Site(self.result.path, node.lineno, ast.unparse(node.func), "openai", method,
                    is_async, arguments, image)
        self.result.sites.append(site)
        if wrapper is not None:
            site.changes.append(f"videos.{wrapper} is not served by vidbridge.compat: call "
                                f"videos.{method}(...) and use what it returns")
        if wrapper is not None or not compat_serves(method):
            # After the import swap this line would be an AttributeError: --fix leaves the
            # file, and says why, rather than "fixing" it into a crash.
            self.result.unserved.append((node.lineno, site.call))

    def _litellm_site(self, node: ast.Call, function: str) -> None:
        operation = LITELLM[function]
        arguments, image = self._read_args(node, LITELLM_POSITIONAL.get(operation, ()))
        site = Site(self.result.path, node.lineno, ast.unparse(node.func), "litellm",
                    operation, function.startswith("a"), arguments, image)
        if operation == "create" and not any(kw.arg == "api_base" for kw in node.keywords):
            site.changes.append("LiteLLM reaches the gateway only when told: pass "
                                "api_base='<gateway>/v1' (or set it in LiteLLM's config)")
        self.result.sites.append(site)

    def _http_site(self, node: ast.Call, verb: str, receiver: ast.AST) -> None:
        name = ast.unparse(receiver)
        lib, base, base_line = self.http.get(name, (None, None, 0))
        if lib is None and isinstance(receiver, ast.Name):
            lib = {"httpx": "httpx", "requests": "requests"}.get(self.modules.get(name, ""))
        if lib is None:
            return
        args = list(node.args)
        method = verb.upper()
        if verb == "request" and args:
            first = self.value(args.pop(0))
            method = first.upper() if isinstance(first, str) else "?"
        url_node = args[0] if args else next(
            (kw.value for kw in node.keywords if kw.arg in {"url", "str_or_url"}), None)
        url = self.value(url_node) if url_node is not None else UNREAD
        if not isinstance(url, str):
            return
        full = url if "://" in url or base is None else base.rstrip("/") + "/" + url.lstrip("/")
        path = "/" + full.split("://", 1)[1].partition("/")[2] if "://" in full else full
        match = VIDEOS_PATH.search(path)
        if match is None:
            return
        operation = _http_operation(method, match)
        if operation is None:
            return
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        body = next((self.value(keywords[k]) for k in ("json", "data", "files")
                     if k in keywords), None)
        arguments = {k: v for k, v in body.items() if k in READ and k != "input_reference"
                     and v is not UNREAD} if isinstance(body, dict) else {}
        params = self.value(keywords["params"]) if "params" in keywords else None
        if isinstance(params, dict) and isinstance(params.get("variant"), str):
            arguments["variant"] = params["variant"]
        if match.group("query") and "variant=" in match.group("query"):
            arguments["variant"] = match.group("query").split("variant=")[1].split("&")[0]
        if match.group("id") and "{" not in match.group("id"):
            arguments["video_id"] = match.group("id")
        site = Site(self.result.path, node.lineno, f"{name}.{verb}", "http", operation,
                    lib == "aiohttp" or self._awaited(node), arguments,
                    isinstance(body, dict) and "input_reference" in body)
        if OPENAI_URL.search(full):
            line = self._line_of_url(url_node) if url_node is not None and \
                OPENAI_URL.search(url) else base_line
            site.changes.append(f"line {line}: hard-coded https://api.openai.com/v1 ignores "
                                "OPENAI_BASE_URL; change this URL to the gateway's "
                                "(e.g. read OPENAI_BASE_URL) to reach it")
        self.result.sites.append(site)

    def _other_use(self, node: ast.Attribute) -> None:
        """``client.chat``, ``client.images``...: the client serves more than videos."""
        if node.attr in {"videos", "close", "aclose", "with_options"}:
            return
        owner = ast.unparse(node.value)
        if owner in self.clients or (self._client_class(node.value) is not None and
                                     not self._module_built(node.value)):  # get_client().chat
            line = (node.lineno, f"{owner}.{node.attr}")
            if line not in self.result.other_uses:
                self.result.other_uses.append(line)


def _http_operation(method: str, match: re.Match[str]) -> str | None:
    video_id, action = match.group("id"), match.group("action")
    if action == "content":
        return "download_content" if method == "GET" else None
    if action in {"remix", "extend"}:
        return action if method == "POST" else None
    if video_id is None:
        return {"POST": "create", "GET": "list"}.get(method)
    return {"GET": "retrieve", "DELETE": "delete"}.get(method)
