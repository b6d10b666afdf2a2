"""The test kit itself: scrubbing, request canonicalisation and the choice of model."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from vcr.request import Request as VcrRequest

import vidbridge
from vidbridge import Lifecycle, ModelCapabilities
from vidbridge.testing import (
    MULTIPART_BOUNDARY,
    SCENARIOS,
    NoModel,
    canonical_request,
    fake_credentials,
    pick_case,
    sample_png,
    scrub_response,
    vcr_config,
)


def recorded(headers: dict[str, list[str]], body: bytes) -> dict[str, Any]:
    return {"status": {"code": 200, "message": "OK"}, "headers": headers,
            "body": {"string": body}}


def test_vcr_config_leaves_the_record_mode_to_the_flag() -> None:
    config = vcr_config()
    assert "record_mode" not in config
    assert ("authorization", "REDACTED") in config["filter_headers"]
    assert ("x-goog-api-key", "REDACTED") in config["filter_headers"]
    assert ("key", "REDACTED") in config["filter_query_parameters"]
    assert config["decode_compressed_response"] is True
    assert "body" in config["match_on"]


def test_scrub_drops_noisy_headers_whatever_their_case() -> None:
    scrubbed = scrub_response(recorded({"Set-Cookie": ["a=b"], "OpenAI-Organization": ["org"],
                                        "Date": ["now"], "x-request-id": ["req_1"]}, b"{}"))
    assert set(scrubbed["headers"]) == {"x-request-id"}


def test_scrub_redacts_signed_urls_in_bodies_and_redirects() -> None:
    body = b'{"output": ["https://cdn.example/v.mp4?_jwt=eyJhbGciOi.abc.def&x=1"]}'
    scrubbed = scrub_response(recorded({
        "Content-Type": ["application/json"], "Content-Length": [str(len(body))],
        "Location": ["https://storage.example/f?X-Goog-Signature=abc123&X-Goog-Expires=60"]},
        body))
    assert scrubbed["body"]["string"] == (
        b'{"output": ["https://cdn.example/v.mp4?_jwt=REDACTED&x=1"]}')
    assert scrubbed["headers"]["Content-Length"] == [str(len(scrubbed["body"]["string"]))]
    assert scrubbed["headers"]["Location"] == [
        "https://storage.example/f?X-Goog-Signature=REDACTED&X-Goog-Expires=60"]


def test_scrub_shrinks_large_videos_only() -> None:
    big = scrub_response(recorded({"Content-Type": ["video/mp4"],
                                   "Content-Length": ["100000"]}, b"\0" * 100_000))
    assert big["body"]["string"].startswith(b"vidbridge: 100000 video bytes removed")
    assert big["headers"]["Content-Length"] == [str(len(big["body"]["string"]))]
    small = scrub_response(recorded({"Content-Type": ["video/mp4"]}, b"\0" * 100))
    assert small["body"]["string"] == b"\0" * 100


def test_multipart_bodies_get_one_fixed_boundary() -> None:
    sent = httpx.Request("POST", "https://api.example/v1/videos", data={"prompt": "p"},
                         files={"input_reference": ("a.png", sample_png(), "image/png")})
    sent.read()
    request = VcrRequest("POST", str(sent.url), sent.content, dict(sent.headers))
    fixed = canonical_request(request)
    assert fixed.headers["content-type"] == f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"
    assert fixed.body.startswith(f"--{MULTIPART_BOUNDARY}\r\n".encode())
    json_request = VcrRequest("POST", "https://api.example/", b'{"a": 1}',
                              {"Content-Type": "application/json"})
    assert canonical_request(json_request).body == b'{"a": 1}'


def test_sample_image_fits_every_limit_the_suite_promises() -> None:
    image = vidbridge.ImageInput(data=sample_png(), mime_type="image/png")
    assert image.size == (1280, 720) and len(sample_png()) < 8192


def test_fake_credentials_hold_one_long_placeholder_per_field() -> None:
    class TwoKeys:
        name = "acme"
        credential_env = {"api_key": "ACME_KEY", "secret_key": "ACME_SECRET"}

    creds = fake_credentials(TwoKeys(), options={"backend": "x"})  # type: ignore[arg-type]
    assert creds.api_key is not None and creds.secret_key is not None
    assert len(creds.secret_key.get_secret_value()) >= 32 and creds.options == {"backend": "x"}


def test_model_choice_prefers_undated_models_and_skips_with_the_tables_reason() -> None:
    sora = vidbridge.providers()["sora"]
    case = pick_case(sora, SCENARIOS["text_to_video"], fake_credentials(sora))
    assert case.model == "sora:sora-2" and case.request.duration == 4
    veo = vidbridge.providers()["veo"]
    vertex = fake_credentials(veo, options={"backend": "vertex", "project": "p",
                                            "location": "us-central1"})
    assert pick_case(veo, SCENARIOS["text_to_video"], vertex).model == "veo:veo-3.1-generate-001"
    gemini = fake_credentials(veo, options={"backend": "gemini"})
    assert pick_case(veo, SCENARIOS["text_to_video"], gemini).model == (
        "veo:veo-3.1-generate-preview")  # all retired there: the first one
    retired = pick_case(veo, SCENARIOS["model_retired"], vertex, today=date(2026, 11, 25))
    assert retired.model == "veo:veo-3.0-generate-001"


def test_no_retired_model_means_a_skip_with_a_reason() -> None:
    class Young:
        name = "young"
        credential_env = {"api_key": "YOUNG_KEY"}
        models = {"m1": ModelCapabilities(durations=(5,), sizes={"16:9": {"720p": "1280x720"}},
                                          lifecycle=Lifecycle(retired_on=date(2099, 1, 1)))}

        def check_credentials(self, creds: Any) -> None: ...

        def build_submit(self, plan: Any, creds: Any) -> None: ...

    with pytest.raises(NoModel, match="no young model is retired"):
        pick_case(Young(), SCENARIOS["model_retired"],  # type: ignore[arg-type]
                  fake_credentials(Young()))  # type: ignore[arg-type]
    with pytest.raises(NoModel, match="image input is not supported"):
        pick_case(Young(), SCENARIOS["image_to_video"],  # type: ignore[arg-type]
                  fake_credentials(Young()))  # type: ignore[arg-type]
