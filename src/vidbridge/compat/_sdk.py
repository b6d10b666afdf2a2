"""The official ``openai`` SDK's exception classes, when that SDK is installed.

``except openai.NotFoundError:`` matches by real inheritance only (``except`` ignores
``__subclasscheck__``), so each compat error class takes the SDK class it mimics as a second
base when ``openai`` can be imported, and ``object`` (no effect) when it cannot. The SDK's
constructors want an HTTP response; ours never call them and set the same attributes
themselves, building ``request`` / ``response`` only when someone reads them.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any, Self

# Set to 1 to keep compat errors free of the SDK's classes even when it is installed.
DISABLE_ENV = "VIDBRIDGE_COMPAT_NO_OPENAI"
COMPAT_URL = "vidbridge://compat"  # where a synthetic request "went": no real host


def _load() -> ModuleType | None:
    if os.environ.get(DISABLE_ENV) == "1":
        return None
    try:
        return importlib.import_module("openai")
    except ImportError:
        return None


SDK = _load()


def base(name: str) -> type:
    """The SDK's class ``name``, or ``object`` when the SDK is absent."""
    found = getattr(SDK, name, None) if SDK is not None else None
    return found if isinstance(found, type) else object


def http_module() -> Any:
    """The HTTP library the SDK builds its requests and responses with."""
    for name in ("httpx2", "httpx"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("no httpx")  # pragma: no cover - httpx is a dependency of vidbridge


def synthetic_response(status: int, headers: dict[str, str], body: Any) -> Any:
    """An HTTP response as the SDK would have raised from: status, headers, JSON body."""
    http = http_module()
    request = http.Request("POST", COMPAT_URL)
    return http.Response(status, headers=headers, json=body, request=request)


class OfficialOptions:
    """``with_options`` of the SDK's clients, for code that narrows one call's options
    (``client.with_options(timeout=600).videos.create(...)``)."""

    def with_options(self, **_official_options: Any) -> Self:
        """The SDK returns a copy with other ``timeout``, ``max_retries``, headers...; those
        are accepted and ignored here, as the constructor ignores them, so it is this client
        (its videos and store are the same)."""
        return self
