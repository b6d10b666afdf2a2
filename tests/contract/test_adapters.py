"""The contract suite over every registered adapter, replayed from cassettes/ (no network).

Record one adapter with its real key: ``VIDBRIDGE_KEEP_KEYS=1 pytest tests/contract
--record-mode=once -k veo``. A provider with no cassette folder yet skips.
"""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

import vidbridge
from vidbridge import Credentials, VideoProvider
from vidbridge.testing import ContractSuite, fake_credentials

# Veo has no default backend (it left the Gemini API): its two backends run below, each with
# its options and cassettes.
NEEDS_OPTIONS = frozenset({"veo"})


class TestAdapters(ContractSuite):
    @pytest.fixture(params=sorted(set(vidbridge.providers()) - NEEDS_OPTIONS))
    def provider(self, request: pytest.FixtureRequest) -> VideoProvider:
        return vidbridge.providers()[request.param]


class _Veo(ContractSuite):
    """Veo needs its backend named, so each backend is a class of its own (not collected)."""

    @pytest.fixture
    def provider(self) -> VideoProvider:
        providers = vidbridge.providers()
        if "veo" not in providers:
            pytest.skip("the veo adapter is not registered")
        return providers["veo"]


class TestVeoGemini(_Veo):
    """Veo on the Gemini API, named explicitly (its models are retired; cassettes/veo/)."""

    @pytest.fixture
    def credentials(self, provider: VideoProvider, record_mode: str) -> Credentials:
        if record_mode == "none":
            return fake_credentials(provider, options={"backend": "gemini"})
        return Credentials(name="contract", api_key=SecretStr(os.environ["GEMINI_API_KEY"]),
                           options={"backend": "gemini"})


class TestVeoVertex(_Veo):
    """Veo on Vertex AI: same scenarios, its own cassettes (cassettes/veo/vertex/)."""

    @pytest.fixture
    def credentials(self, provider: VideoProvider, record_mode: str) -> Credentials:
        if record_mode == "none":
            return fake_credentials(provider, options={
                "backend": "vertex", "project": "acme-video", "location": "us-central1"})
        # Recording: a token from `gcloud auth print-access-token` in VERTEX_ACCESS_TOKEN.
        return Credentials(name="contract",
                           api_key=SecretStr(os.environ["VERTEX_ACCESS_TOKEN"]),
                           options={"backend": "vertex",
                                    "project": os.environ["GOOGLE_CLOUD_PROJECT"],
                                    "location": os.environ.get("GOOGLE_CLOUD_LOCATION",
                                                               "us-central1")})

    @pytest.fixture
    def vcr_cassette_dir(self, provider: VideoProvider, request: pytest.FixtureRequest) -> str:
        return str(request.config.rootpath / "cassettes" / provider.name / "vertex")


class TestOmniVertex(ContractSuite):
    """Gemini Omni on Vertex AI: same scenarios, its own cassettes (cassettes/omni/vertex/)."""

    @pytest.fixture
    def provider(self) -> VideoProvider:
        providers = vidbridge.providers()
        if "omni" not in providers:
            pytest.skip("the omni adapter is not registered")
        return providers["omni"]

    @pytest.fixture
    def credentials(self, provider: VideoProvider, record_mode: str) -> Credentials:
        if record_mode == "none":
            return fake_credentials(provider, options={"backend": "vertex",
                                                       "project": "acme-video"})
        return Credentials(name="contract",
                           api_key=SecretStr(os.environ["VERTEX_ACCESS_TOKEN"]),
                           options={"backend": "vertex",
                                    "project": os.environ["GOOGLE_CLOUD_PROJECT"]})

    @pytest.fixture
    def vcr_cassette_dir(self, provider: VideoProvider, request: pytest.FixtureRequest) -> str:
        return str(request.config.rootpath / "cassettes" / provider.name / "vertex")

    def test_model_retired(self) -> None:  # type: ignore[override]
        pytest.skip("no Omni model is shut down on Vertex: gemini-omni-flash-preview is "
                    "deprecated there (2026-11-06), discontinued only on 2027-06-30")
