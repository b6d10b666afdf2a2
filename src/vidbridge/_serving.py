"""Run an ASGI app with uvicorn in a background thread (simulator, gateway, tests)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal


@contextlib.contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0, *,
                    lifespan: Literal["on", "off"] = "off",
                    name: str = "vidbridge-server", http: Any = "auto") -> Iterator[str]:
    """Serve ``app`` in a daemon thread; yields its base URL (port 0 picks a free port).

    ``http`` is uvicorn's protocol choice or class (the gateway's cuts off slow heads).

    Leaving the block stops the server as a shutdown would (lifespan handlers run if on).
    """
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           lifespan=lifespan, http=http))
    # uvicorn installs no signal handlers outside the main thread, so this is safe.
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
