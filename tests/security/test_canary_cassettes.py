"""A cassette recorded with the canary in every credential (headers, query, a signed output
URL in the body and in a redirect) holds no canary: the contract suite's recording filters."""

from __future__ import annotations

from pathlib import Path

import httpx
import vcr

from vidbridge.testing import vcr_config

from .test_canary_chains import CANARY


def upstream(request: httpx.Request) -> httpx.Response:
    signed = f"https://cdn.example/video.mp4?_jwt={CANARY}&X-Goog-Signature={CANARY}"
    if request.url.path == "/redirect":
        return httpx.Response(302, headers={"location": signed})
    return httpx.Response(200, json={"id": "t", "status": "SUCCEEDED", "output": [signed]})


def test_recorded_cassettes_hold_no_canary(tmp_path: Path) -> None:
    cassette = tmp_path / "recorded.yaml"
    headers = {"authorization": f"Bearer {CANARY}", "x-goog-api-key": CANARY,
               "x-api-key": CANARY}
    with vcr.use_cassette(str(cassette), record_mode="all", **vcr_config()), httpx.Client(
            transport=httpx.MockTransport(upstream), headers=headers) as http:
        http.get("https://api.example/v1/tasks/t", params={"key": CANARY})
        http.get("https://api.example/redirect", params={"token": CANARY})
    text = cassette.read_text()
    assert "api.example" in text  # it was recorded
    assert CANARY not in text
