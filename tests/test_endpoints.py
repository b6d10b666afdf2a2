"""Submit URLs are parsed once per process; headers are built per call, per credential."""

from __future__ import annotations

from pydantic import SecretStr

from vidbridge import Credentials, Job, VideoRequest, wire
from vidbridge.normalisation import normalise
from vidbridge_runway import Runway
from vidbridge_sora import Sora

REQUEST = VideoRequest(prompt="a lighthouse at dusk", duration=5, aspect_ratio="16:9",
                       resolution="720p")
RUNWAY = Runway()
PLAN = normalise(REQUEST, RUNWAY.models["gen4.5"], provider="runway", model="gen4.5")


def test_the_same_text_is_parsed_once_and_another_base_gets_its_own_url() -> None:
    first = wire.endpoint("https://api.example.test/v1/text_to_video")
    assert wire.endpoint("https://api.example.test/v1/text_to_video") is first
    other = wire.endpoint("https://eu.example.test/v1/text_to_video")
    assert other.host == "eu.example.test" and first.host == "api.example.test"


def test_two_credentials_each_get_their_own_base_and_key() -> None:
    one = Credentials(name="one", api_key=SecretStr("key-one"), base_url="https://one.test")
    two = Credentials(name="two", api_key=SecretStr("key-two"), base_url="https://two.test/")
    for _ in range(2):  # the second round reads the cache
        a, b = RUNWAY.build_submit(PLAN, one), RUNWAY.build_submit(PLAN, two)
        assert str(a.url) == "https://one.test/v1/text_to_video"
        assert str(b.url) == "https://two.test/v1/text_to_video"
        assert a.headers["authorization"] == "Bearer key-one"
        assert b.headers["authorization"] == "Bearer key-two"


def test_a_token_credential_is_asked_for_a_fresh_token_at_every_submit() -> None:
    tokens = iter(["t-1", "t-2"])
    creds = Credentials(name="vertexish", token=lambda: next(tokens),
                        base_url="https://tok.test")
    first, second = RUNWAY.build_submit(PLAN, creds), RUNWAY.build_submit(PLAN, creds)
    assert first.headers["authorization"] == "Bearer t-1"
    assert second.headers["authorization"] == "Bearer t-2"


def test_the_cache_holds_no_secret_and_no_per_job_url() -> None:
    secret = "sk-cache-must-not-hold-this"
    creds = Credentials(name="c", api_key=SecretStr(secret), base_url="https://nosecret.test")
    RUNWAY.build_submit(PLAN, creds)
    sora_plan = normalise(REQUEST.model_copy(update={"resolution": None}),
                          Sora().models["sora-2"], provider="sora", model="sora-2")
    Sora().build_submit(sora_plan, creds)
    job = Job(provider="runway", model="gen4.5", id="task-per-job-123", status="queued")
    RUNWAY.build_poll(job, creds)
    cached = repr(wire._ENDPOINTS) + "".join(str(url) for url in wire._ENDPOINTS.values())
    assert secret not in cached and "task-per-job-123" not in cached
    assert "https://nosecret.test/v1/text_to_video" in wire._ENDPOINTS


def test_a_full_cache_starts_again_instead_of_growing() -> None:
    for number in range(wire._ENDPOINTS_MAX + 5):
        wire.endpoint(f"https://fill.test/{number}")
    assert len(wire._ENDPOINTS) <= wire._ENDPOINTS_MAX
