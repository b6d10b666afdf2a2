"""Shared test setup: no test writes to the user's cache or reads real keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Set before any client exists, so the job ledger of every test lives in memory.
os.environ["VIDBRIDGE_LEDGER"] = ":memory:"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", default=False,
                     help="run the long property-based suites (10x the examples) and "
                          "tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_real_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "RUNWAYML_API_SECRET",
                "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "VIDBRIDGE_CONFIG"):
        if os.environ.get("VIDBRIDGE_KEEP_KEYS") != "1":  # recording sessions keep them
            monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster for this test session (skips without binaries)."""
    from . import postgres

    try:
        server = postgres.start()
    except postgres.Unavailable as exc:
        pytest.skip(f"PostgreSQL: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: Any, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's server, for one test."""
    import re
    import secrets

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40] + "_" + secrets.token_hex(3)
    return str(postgres_server.create_database(name))
