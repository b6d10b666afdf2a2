"""Test kit for adapter authors: the contract suite, the cassette config and its scrubber.

    from vidbridge.testing import ContractSuite

    class TestAcme(ContractSuite):
        @pytest.fixture
        def provider(self):
            return Acme()

``ParserFuzzSuite`` (same fixture) throws hostile answers at every parser with hypothesis.

Needs the test extras (pytest, pytest-recording, vcrpy, hypothesis); importing it loads pytest.
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
from .fuzz import FUZZ_EXAMPLES, SLOW_EXAMPLES, ParserFuzzSuite, fuzz_examples, fuzz_plan
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
    "FUZZ_EXAMPLES",
    "MULTIPART_BOUNDARY",
    "NOISY_HEADERS",
    "PROMPT",
    "REDACTED",
    "SCENARIOS",
    "SECRET_HEADERS",
    "SECRET_QUERY",
    "SLOW_EXAMPLES",
    "ContractRun",
    "ContractSuite",
    "Case",
    "NoModel",
    "ParserFuzzSuite",
    "Scenario",
    "canonical_request",
    "fake_credentials",
    "fuzz_examples",
    "fuzz_plan",
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
