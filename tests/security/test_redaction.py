"""One redaction function for every log line vidbridge (and its HTTP client) writes."""

from __future__ import annotations

import logging

import httpx
import pytest

import vidbridge.observers  # noqa: F401 - loading it installs the filter, as the client does
from vidbridge.redaction import LOGGERS, RedactingFilter, redact
from vidbridge.testing import redact_signed_urls

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ"


@pytest.mark.parametrize("line", [
    f"HTTP Request: GET https://dnznrvs05pmza.cloudfront.net/v.mp4?_jwt={TOKEN} \"200 OK\"",
    "GET https://storage.googleapis.com/b/o?X-Goog-Signature=abc123canary&alt=media",
    "headers={'authorization': 'Bearer sk-canary-123', 'x-goog-api-key': 'AIzacanary'}",
    "Authorization: Bearer sk-canary-123",
    f"job output {TOKEN}",
])
def test_redact_removes_tokens_keys_and_queries(line: str) -> None:
    cleaned = redact(line)
    for secret in ("canary", TOKEN, "sk-canary"):
        assert secret not in cleaned
    assert "REDACTED" in cleaned


def test_cassettes_keep_the_query_readable_but_not_the_signature() -> None:
    assert (redact_signed_urls("https://x/v.mp4?alt=media&_jwt=abc")
            == "https://x/v.mp4?alt=media&_jwt=REDACTED")


@pytest.mark.parametrize("name", ["httpx", "vidbridge", "vidbridge.compat",
                                  "vidbridge.gateway"])
def test_every_library_logger_is_filtered(name: str, caplog: pytest.LogCaptureFixture) -> None:
    assert name in LOGGERS
    assert any(isinstance(f, RedactingFilter) for f in logging.getLogger(name).filters)
    with caplog.at_level(logging.DEBUG, logger=name):
        logging.getLogger(name).info("downloading %s", f"https://cdn/v.mp4?_jwt={TOKEN}")
    assert TOKEN not in caplog.text and "https://cdn/v.mp4?REDACTED" in caplog.text


def test_the_http_client_log_of_a_signed_download_is_redacted(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG), httpx.Client(
            transport=httpx.MockTransport(lambda r: httpx.Response(200))) as http:
        http.get(f"https://cdn.example/v.mp4?_jwt={TOKEN}")
    assert "cdn.example" in caplog.text and TOKEN not in caplog.text
