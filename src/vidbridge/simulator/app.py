"""The ASGI app: every provider under its own prefix on one port, and ways to serve it."""
from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from .common import Simulator
from .gemini_api import GeminiVeo
from .kling_api import KlingVideos
from .omni_api import OmniInteractions
from .openai_api import OpenAIVideos
from .runway_api import RunwayTasks
from .scenarios import SCENARIO_NAMES
from .settings import SimulatorSettings
from .vertex_api import VertexVeo

PREFIXES = ("/openai", "/gemini", "/vertex", "/runway", "/kling")


def create_app(settings: SimulatorSettings | None = None) -> Starlette:
    """A Starlette app serving every simulated provider; state lives in the app."""
    sim = Simulator(settings or SimulatorSettings())

    async def index(request: Request) -> Response:
        return JSONResponse({"simulator": "vidbridge", "providers": list(PREFIXES),
                             "scenarios": list(SCENARIO_NAMES)})

    app = Starlette(routes=[
        Route("/", index),
        Mount("/openai", routes=OpenAIVideos(sim).routes()),
        # Veo and Gemini Omni (Interactions API) share each Google backend's prefix.
        Mount("/gemini", routes=[*GeminiVeo(sim).routes(),
                                 *OmniInteractions(sim, "gemini").routes()]),
        Mount("/vertex", routes=[*VertexVeo(sim).routes(),
                                 *OmniInteractions(sim, "vertex").routes()]),
        Mount("/runway", routes=RunwayTasks(sim).routes()),
        Mount("/kling", routes=KlingVideos(sim).routes()),
    ])
    app.state.simulator = sim
    return app


def serve_in_thread(app: Starlette, host: str = "127.0.0.1",
                    port: int = 0) -> contextlib.AbstractContextManager[str]:
    """Serve `app` with uvicorn in a daemon thread; yields its base URL ("http://host:port")."""
    from .._serving import serve_in_thread as serve_app

    return serve_app(app, host, port, lifespan="off", name="vidbridge-simulator")


def run(host: str = "127.0.0.1", port: int = 8750, scenario: str | None = None,
        seed: int | None = None, require_key: str | None = None,
        kling_secret: str | None = None) -> None:
    """Serve the simulator in the foreground until interrupted (``vidbridge simulate``)."""
    import uvicorn

    from .scenarios import parse

    parse(scenario)  # an unknown scenario fails before the server starts
    settings = SimulatorSettings(seed=seed, scenario=scenario, require_key=require_key,
                                 kling_secret=kling_secret)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
