"""Test kit for adapter authors: the contract suite, the cassette config and its scrubber.

    from vidbridge.testing import ContractSuite

    class TestAcme(ContractSuite):
        @pytest.fixture
        def provider(self):
            return Acme()

Needs the test extras (pytest, pytest-recording, vcrpy); importing it loads pytest.
"""

from __future__ import annotations

from .cassettes import (
    MULTIPART_BOUNDARY,
    NOISY_HEADERS,
    REDACTED,
    SECRET_HEADERS,
    SECRET_QUERY,
    canonical_request,
    redact_signed_urls,
    scrub_response,
    vcr_config,
)
from .scenarios import (
    PROMPT,
    SCENARIOS,
    Case,
    NoModel,
    Scenario,
    fake_credentials,
    image_request,
    long_text_request,
    pick_case,
    sample_png,
    text_request,
)
from .suite import ContractRun, ContractSuite, no_sleep

__all__ = [
    "MULTIPART_BOUNDARY",
    "NOISY_HEADERS",
    "PROMPT",
    "REDACTED",
    "SCENARIOS",
    "SECRET_HEADERS",
    "SECRET_QUERY",
    "ContractRun",
    "ContractSuite",
    "Case",
    "NoModel",
    "Scenario",
    "canonical_request",
    "fake_credentials",
    "image_request",
    "long_text_request",
    "no_sleep",
    "pick_case",
    "redact_signed_urls",
    "sample_png",
    "scrub_response",
    "text_request",
    "vcr_config",
]
