"""``vidbridge serve``: an HTTP gateway speaking the OpenAI Videos API, routed by the config.

Code using the official ``openai`` SDK changes only ``base_url``. Starlette and uvicorn are
imported when an app is built, never by ``import vidbridge`` (they are the ``server`` extra).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ..client import AsyncVideoClient
    from ..config import Config

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8760


def create_app(config: str | Path | Config | None, *, client: AsyncVideoClient | None = None,
               insecure_no_auth: bool = False, **options: Any) -> Starlette:
    """The gateway as an ASGI app; see ``vidbridge.gateway.app.create_app`` for options."""
    from .app import create_app as build

    return build(config, client=client, insecure_no_auth=insecure_no_auth, **options)


def serve(config: str | Path | Config | None, host: str = DEFAULT_HOST,
          port: int = DEFAULT_PORT, insecure_no_auth: bool = False,
          poll_interval_s: float | None = None) -> None:
    """Serve the gateway in the foreground until interrupted (``vidbridge serve``);
    ``poll_interval_s`` overrides ``[gateway] poll_interval_s``."""
    import uvicorn

    from .auth import refuse_open_bind
    from .timeouts import guarded_h11

    refuse_open_bind(host, insecure_no_auth)
    app = create_app(config, insecure_no_auth=insecure_no_auth, poll_interval_s=poll_interval_s)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False,
                http=guarded_h11(app.state.header_timeout_s))


def serve_in_thread(app: Starlette, host: str = DEFAULT_HOST, port: int = 0
                    ) -> contextlib.AbstractContextManager[str]:
    """Serve ``app`` (lifespan on: recovery runs at start) in a thread; yields its base URL.
    Leaving the block stops it as a shutdown would: jobs in flight stay for the next start."""
    from .._serving import serve_in_thread as serve_app
    from .timeouts import HEADER_TIMEOUT_S, guarded_h11

    header_timeout_s = getattr(app.state, "header_timeout_s", HEADER_TIMEOUT_S)
    return serve_app(app, host, port, lifespan="on", name="vidbridge-gateway",
                     http=guarded_h11(header_timeout_s))


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app", "serve", "serve_in_thread"]
