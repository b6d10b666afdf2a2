"""The parser fuzz suite over every registered adapter (a new plugin is covered on landing)."""

from __future__ import annotations

import pytest

import vidbridge
from vidbridge import VideoProvider
from vidbridge.testing import ParserFuzzSuite


class TestParsers(ParserFuzzSuite):
    @pytest.fixture(params=sorted(vidbridge.providers()))
    def provider(self, request: pytest.FixtureRequest) -> VideoProvider:
        return vidbridge.providers()[request.param]
