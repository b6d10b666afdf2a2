from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vidbridge.gateway import create_app, serve_in_thread
from vidbridge.simulator import SimulatorSettings
from vidbridge.simulator import create_app as create_simulator
from vidbridge.simulator import serve_in_thread as serve_simulator

from ..compat.simenv import Counter, async_client, config

KEY = "gw-test-key-alice"
OTHER_KEY = "gw-test-key-bob"


@pytest.fixture(autouse=True)
def _quiet_sdk() -> Iterator[None]:
    with warnings.catch_warnings():  # every videos.* method of openai>=3.51 is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


@pytest.fixture(scope="session")
def sim_app() -> Any:
    return create_simulator(SimulatorSettings(fast=True, seed=11))


@pytest.fixture(scope="session")
def sim(sim_app: Any) -> Iterator[str]:
    with serve_simulator(sim_app) as base:
        yield base


@dataclass
class Running:
    url: str
    app: Any
    client: Any
    counter: Counter
    tmp: Path

    @property
    def v1(self) -> str:
        return f"{self.url}/v1"


@contextlib.contextmanager
def gateway(sim: str, tmp: Path, *, sleep: Any = None, gateway_table: dict[str, Any] | None
            = None, counter: Counter | None = None, **options: Any) -> Iterator[Running]:
    """A gateway on loopback in front of the simulator; state lives under ``tmp``."""
    cfg = config(sim, tmp, **({"gateway": gateway_table} if gateway_table else {}))
    counter = counter or Counter()
    client = async_client(cfg, counter, **({"sleep": sleep} if sleep else {}))
    options.setdefault("keys", [KEY, OTHER_KEY])
    options.setdefault("output_dir", tmp / "videos")
    app = create_app(cfg, client=client, database=tmp / "gateway.sqlite3", poll_after_ms=10,
                     **options)
    with serve_in_thread(app) as url:
        yield Running(url, app, client, counter, tmp)


@pytest.fixture
def gw(sim: str, tmp_path: Path) -> Iterator[Running]:
    with gateway(sim, tmp_path) as running:
        yield running
