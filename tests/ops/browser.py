"""Headless Chromium for the dashboard tests: Debian's ``chromium`` driven by Playwright.

No browser is downloaded: Playwright launches the system binary (``$VIDBRIDGE_CHROMIUM``,
else ``chromium`` on PATH). Tests skip with one reason when either piece is missing.
"""

from __future__ import annotations

import os
import shutil

import pytest

TIMEOUT_MS = 10_000


def chromium_path() -> str:
    path = os.environ.get("VIDBRIDGE_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not path:
        pytest.skip("no Chromium on this machine (apt-get install -y chromium; .ci/run does)")
    return path


def launch(playwright: object) -> object:
    """A headless Chromium; root in a container needs --no-sandbox."""
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"],
        timeout=TIMEOUT_MS)
