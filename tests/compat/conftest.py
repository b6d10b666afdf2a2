from __future__ import annotations

from collections.abc import Iterator

import pytest

from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread


@pytest.fixture(scope="session")
def sim_app() -> object:
    return create_app(SimulatorSettings(fast=True, seed=7))


@pytest.fixture(scope="session")
def sim(sim_app: object) -> Iterator[str]:
    with serve_in_thread(sim_app) as base:  # type: ignore[arg-type]
        yield base
