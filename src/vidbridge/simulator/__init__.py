"""A loopback stand-in for the video providers' APIs (OpenAI Videos, Gemini and Vertex Veo,
Gemini Omni on the Interactions API, Runway, Kling), faithful enough for their official SDKs,
with real MP4 output and fault-injection scenarios.

Independent of the adapters on purpose: it is written from ``shared/reference/`` and imports
nothing else from vidbridge, so it can catch an adapter's misreading instead of echoing it.
Needs the ``server`` extra (starlette, uvicorn); PyAV (``media`` extra) for real clips.
"""
from __future__ import annotations

from .app import create_app, run, serve_in_thread
from .scenarios import HEADER as SCENARIO_HEADER
from .scenarios import SCENARIO_NAMES
from .settings import SimulatorSettings

__all__ = [
    "SCENARIO_HEADER", "SCENARIO_NAMES", "SimulatorSettings", "create_app", "run",
    "serve_in_thread",
]
