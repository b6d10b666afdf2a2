"""``ContractSuite``: the scenarios every adapter passes, replayed from its cassettes.

Subclass it in a test module and override the ``provider`` fixture::

    class TestAcme(ContractSuite):
        @pytest.fixture
        def provider(self) -> VideoProvider:
            return Acme()

Cassettes live in ``<rootdir>/cassettes/<provider.name>/<scenario>.yaml``. Replay is the
default (``record_mode`` ``none``: no network, no waiting); record with a real key set:
``pytest tests/contract --record-mode=once -k acme``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .. import hookimpl
from ..client import VideoClient, credentials_from_env
from ..errors import ProviderError
from ..ledger import Ledger
from ..models import VideoResult
from ..plugins import new_plugin_manager
from ..provider import Credentials, VideoProvider
from .cassettes import vcr_config
from .scenarios import SCENARIOS, Case, NoModel, Scenario, fake_credentials, pick_case


class _Offer:
    """A plugin offering exactly the provider under test (no entry points are loaded)."""

    def __init__(self, provider: VideoProvider) -> None:
        self.provider = provider

    @hookimpl
    def video_providers(self) -> list[VideoProvider]:
        return [self.provider]


def no_sleep(seconds: float) -> None:
    """Replays never wait: the cassette already holds every poll."""


CONTRACT_REQUEST_ID = "vidbridge-contract"


@dataclass
class ContractRun:
    """One scenario about to run: the client, the case, and what checks need to see."""

    client: VideoClient
    scenario: Scenario
    case: Case
    credentials: Credentials
    cassette: Any  # the vcrpy Cassette (None with --disable-recording)
    record_mode: str
    output: Path

    def generate(self) -> VideoResult:
        # A fixed request id: adapters derive idempotency keys from it (Kling's
        # external_task_id), and a cassette pins the request body.
        return self.client.generate(self.case.request, model=self.case.model,
                                    output=self.output, request_id=CONTRACT_REQUEST_ID)

    def all_played(self) -> bool:
        """In replay, every interaction of the cassette was used (no poll left over)."""
        return self.record_mode != "none" or self.cassette is None or self.cassette.all_played

    def expect_success(self) -> VideoResult:
        result = self.generate()
        assert result.job.status == "succeeded"
        assert f"{result.job.provider}:{result.job.model}" == self.case.model
        assert result.job.credential == self.credentials.name
        assert self.output.exists() and self.output.stat().st_size > 0
        assert result.bytes_written == self.output.stat().st_size
        assert self.all_played(), "the cassette has interactions the run did not use"
        return result

    def expect_error(self) -> ProviderError:
        expected = self.scenario.raises
        assert expected is not None
        with pytest.raises(expected) as caught:
            self.generate()
        error = caught.value
        assert error.provider == self.case.model.partition(":")[0]
        assert not self.output.exists()
        shown = f"{error} {error!r} {error.args!r} {vars(error)!r}"
        for secret in (self.credentials.api_key, self.credentials.secret_key):
            if secret is not None:
                assert secret.get_secret_value() not in shown, "an error carries a secret"
        assert self.all_played(), "the cassette has interactions the run did not use"
        return error


class ContractSuite:
    """Scenarios every adapter passes. Subclass it and override ``provider``.

    Override ``credentials`` to pass adapter-specific options (e.g. a backend), and
    ``vcr_cassette_dir`` to keep a variant's cassettes apart (``cassettes/veo/vertex``).
    """

    # -- fixtures a subclass overrides ---------------------------------------------------------
    @pytest.fixture
    def provider(self) -> VideoProvider:
        raise NotImplementedError("override the provider fixture with your adapter")

    @pytest.fixture
    def credentials(self, provider: VideoProvider, record_mode: str) -> Credentials:
        """Placeholders in replay; the provider's environment variables when recording."""
        if record_mode == "none":
            return fake_credentials(provider)
        return credentials_from_env(provider, name="contract")

    # -- pytest-recording plumbing -------------------------------------------------------------
    @pytest.fixture
    def vcr_config(self) -> dict[str, Any]:
        return vcr_config()

    @pytest.fixture
    def vcr_cassette_dir(self, provider: VideoProvider, request: pytest.FixtureRequest) -> str:
        return str(request.config.rootpath / "cassettes" / provider.name)

    @pytest.fixture
    def default_cassette_name(self, request: pytest.FixtureRequest) -> str:
        return str(request.node.originalname).removeprefix("test_")  # -> text_to_video.yaml

    # -- what each scenario runs on ------------------------------------------------------------
    @pytest.fixture
    def scenario(self, default_cassette_name: str) -> Scenario:
        return SCENARIOS[default_cassette_name]

    @pytest.fixture
    def case(self, provider: VideoProvider, scenario: Scenario, credentials: Credentials,
             vcr_cassette_dir: str, record_mode: str) -> Case:
        """The model and request for this scenario, or a skip giving the table's reason."""
        try:
            case = pick_case(provider, scenario, credentials)
        except NoModel as none:
            pytest.skip(str(none))
        cassette = Path(vcr_cassette_dir) / f"{scenario.name}.yaml"
        if record_mode == "none" and not cassette.exists():
            if not cassette.parent.exists():
                pytest.skip(f"{provider.name} has no cassettes yet ({cassette.parent})")
            if scenario.optional:
                pytest.skip(f"no {cassette} ({provider.name} may have no such error)")
            pytest.fail(f"missing cassette {cassette}: write it from the API reference, or "
                        f"record it with `pytest --record-mode=once -k {provider.name}`")
        return case

    @pytest.fixture
    def contract_client(self, provider: VideoProvider, credentials: Credentials,
                        record_mode: str) -> Iterator[VideoClient]:
        pm = new_plugin_manager(load_entry_points=False)
        pm.register(_Offer(provider), name=f"contract-{provider.name}")
        sleep: Callable[[float], None] = time.sleep if record_mode != "none" else no_sleep
        # allow_retired: a retired model's wire is still tested (its refusal among them).
        with VideoClient(credentials={provider.name: credentials}, pm=pm, sleep=sleep,
                         ledger=Ledger(":memory:"), allow_retired=True) as client:
            yield client

    @pytest.fixture
    def contract(self, contract_client: VideoClient, scenario: Scenario, case: Case,
                 credentials: Credentials, vcr: Any, record_mode: str,
                 tmp_path: Path) -> ContractRun:
        return ContractRun(contract_client, scenario, case, credentials, vcr, record_mode,
                           tmp_path / "out.mp4")

    # -- the scenarios (test names are cassette names) -----------------------------------------
    @pytest.mark.vcr
    def test_text_to_video(self, contract: ContractRun) -> None:
        contract.expect_success()

    @pytest.mark.vcr
    def test_image_to_video(self, contract: ContractRun) -> None:
        assert contract.case.request.image is not None
        contract.expect_success()

    @pytest.mark.vcr
    def test_job_failed(self, contract: ContractRun) -> None:
        error = contract.expect_error()
        assert type(error).__name__ == "JobFailedError"  # not a subclass in disguise

    @pytest.mark.vcr
    def test_rate_limited(self, contract: ContractRun) -> None:
        assert contract.expect_error().retryable

    @pytest.mark.vcr
    def test_auth_error(self, contract: ContractRun) -> None:
        contract.expect_error()

    @pytest.mark.vcr
    def test_invalid_parameter(self, contract: ContractRun) -> None:
        contract.expect_error()

    @pytest.mark.vcr
    def test_content_policy(self, contract: ContractRun) -> None:
        contract.expect_error()

    @pytest.mark.vcr
    def test_model_retired(self, contract: ContractRun) -> None:
        contract.expect_error()

    @pytest.mark.vcr
    def test_insufficient_credits(self, contract: ContractRun) -> None:
        contract.expect_error()
