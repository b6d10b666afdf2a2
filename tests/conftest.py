"""Shared test setup: no test writes to the user's cache or reads real keys."""

from __future__ import annotations

import os

import pytest

# Set before any client exists, so the job ledger of every test lives in memory.
os.environ["VIDBRIDGE_LEDGER"] = ":memory:"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_real_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "RUNWAYML_API_SECRET",
                "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "VIDBRIDGE_CONFIG"):
        if os.environ.get("VIDBRIDGE_KEEP_KEYS") != "1":  # recording sessions keep them
            monkeypatch.delenv(var, raising=False)
