"""Hostile JSON and numbers at the gateway: 400 naming what was wrong, never a 500, and the
server keeps serving other clients."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from vidbridge.gateway.bodies import MAX_DEPTH, nesting_depth, parse_json_object
from vidbridge.gateway.limits import BodyLimit

from .conftest import KEY, Running

HEADERS = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
CASES = [
    ("POST", "/videos", b"[" * 100_000, "invalid_json", None),
    ("POST", "/videos", b'{"prompt": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}",
     "invalid_json", None),
    ("POST", "/videos", b'{"prompt": "p", "seconds": "\xc2\xb2"}', "invalid_value", "seconds"),
    ("POST", "/videos", b'{"prompt": "p", "seconds": "' + b"9" * 5000 + b'"}', "invalid_value",
     "seconds"),
    ("POST", "/videos", b'{"prompt": "p", "seconds": ' + b"9" * 5000 + b"}", "invalid_value",
     "seconds"),
    ("POST", "/videos", b'{"prompt": "p", "seconds": 1e999999}', "invalid_value", "seconds"),
    ("POST", "/videos", b'{"prompt": "p", "seconds": NaN}', "invalid_json", None),
    ("POST", "/videos", b"\xff\xfe not utf-8", "invalid_json", None),
    ("GET", "/videos?limit=" + "9" * 5000, b"", "invalid_type", "limit"),
    ("GET", "/videos?limit=%C2%B2", b"", "invalid_type", "limit"),
    ("POST", "/videos/video_x/remix", b"[" * 50_000, "invalid_json", None),
    # A lone UTF-16 surrogate is valid JSON but no character: it cannot be stored or echoed.
    ("POST", "/videos", b'{"prompt": "\\ud800"}', "invalid_value", "prompt"),
    ("POST", "/videos", b'{"prompt": "p", "seconds": "\\udfff"}', "invalid_value", "seconds"),
    ("POST", "/videos", b'{"prompt": "p", "model": "sora-2\\ud800"}', "invalid_value", "model"),
    ("POST", "/videos", b'{"prompt": ["\\ud800"]}', "invalid_value", "prompt"),
    ("POST", "/videos", b'{"prompt": "p", "input_reference": {"image_url": "https://x/\\ud800"}}',
     "invalid_value", "input_reference.image_url"),
    # A nested field is named by its whole path, as OpenAI names nested parameters.
    ("POST", "/videos", b'{"prompt": {"x": 1e999999}}', "invalid_value", "prompt.x"),
    ("POST", "/videos", b'{"prompt": "p", "input_reference": [{"a": {"b": "\\udfff"}}]}',
     "invalid_value", "input_reference.a.b"),
    ("POST", "/videos/video_x/remix", b'{"prompt": "\\ud800"}', "invalid_value", "prompt"),
    ("POST", "/videos", b'{"prompt": "p", "model": ["sora-2"]}', "invalid_type", "model"),
    ("POST", "/videos", b'{"prompt": "p", "model": {"id": "sora-2"}}', "invalid_type", "model"),
    ("POST", "/videos", b'{"prompt": "p", "model": 2}', "invalid_type", "model"),
    # A retired model named directly is refused at create, not recorded to fail later.
    ("POST", "/videos", b'{"prompt": "p", "model": "sora:sora-2"}', "invalid_value", "model"),
    # Vertex-only, and omni here is on the Gemini API: refused at create, never a video that
    # fails later.
    ("POST", "/videos", b'{"prompt": "p", "model": "omni:gemini-omni-1.1-flash-preview"}',
     "invalid_value", "model"),
    # A create takes the SDK's five fields: a misspelt one is refused, not dropped (a dropped
    # "second" bought a video of the default length).
    ("POST", "/videos", b'{"prompt": "p", "second": "8"}', "unknown_parameter", "second"),
    ("POST", "/videos", b'{"prompt": "p", "characters": [{"id": "char_1"}]}',
     "unknown_parameter", "characters"),
    # The extensions endpoint takes prompt, seconds and video: anything else is not dropped.
    ("POST", "/videos/extensions", b'{"prompt": "p", "seconds": "4", "video": {"id": "v"}, '
     b'"model": "sora-2"}', "unknown_parameter", "model"),
    ("POST", "/videos/extensions", b'{"prompt": "p", "seconds": "4", "video": {"id": "v"}, '
     b'"input_reference": {"image_url": "https://example.com/a.png"}}', "unknown_parameter",
     "input_reference"),
]


@pytest.mark.parametrize(("method", "path", "body", "code", "param"), CASES,
                         ids=[f"{m} {p[:20]} {b[:40]!r}" for m, p, b, _, _ in CASES])
def test_hostile_bodies_are_400_naming_the_field(gw: Running, method: str, path: str,
                                                 body: bytes, code: str,
                                                 param: str | None) -> None:
    answer = httpx.request(method, gw.v1 + path, content=body or None, headers=HEADERS,
                           timeout=30)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["param"] == param
    # ... and the server still serves everyone else.
    assert httpx.get(gw.v1 + "/videos", headers=HEADERS, timeout=30).status_code == 200


def test_a_surrogate_pair_is_one_character_and_stays_accepted() -> None:
    assert parse_json_object(b'{"prompt": "\\ud83d\\ude00"}') == {"prompt": "\U0001f600"}


def test_depth_is_counted_outside_strings() -> None:
    assert nesting_depth('{"a": "' + "[" * 1000 + '"}') == 1
    assert nesting_depth("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) == MAX_DEPTH + 1
    assert parse_json_object(b'{"a": [[1]], "b": 1.5, "c": -2}') == {"a": [[1]], "b": 1.5,
                                                                     "c": -2}


def test_only_our_own_bug_is_a_500_logged_with_its_request_id(
        gw: Running, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from vidbridge.compat.openai import AsyncVideos

    async def broken(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(AsyncVideos, "retrieve", broken)
    with caplog.at_level("ERROR", logger="vidbridge.gateway"):
        answer = httpx.get(gw.v1 + "/videos/video_x", headers=HEADERS, timeout=30)
    assert answer.status_code == 500
    request_id = answer.headers["x-request-id"]
    assert request_id.startswith("req_") and request_id in answer.json()["error"]["message"]
    assert "a bug of ours" not in answer.text  # never echoed
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None


@pytest.mark.parametrize("declared", [b"9" * 5000, b"1" + b"0" * 19, b"1025"])
def test_a_declared_length_past_the_cap_is_413_whatever_its_digits(declared: bytes) -> None:
    """``BodyLimit`` itself (uvicorn's h11 refuses a 4,300-digit length first; another ASGI
    server may hand it over): a 413 before the app runs, never int()'s ValueError."""
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", declared)]}
    asyncio.run(BodyLimit(app, max_bytes=1024)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "request_too_large"


def test_an_extension_with_an_uploaded_reference_is_refused_not_dropped(gw: Running) -> None:
    answer = httpx.post(gw.v1 + "/videos/extensions", headers={"authorization": f"Bearer {KEY}"},
                        data={"prompt": "more", "seconds": "4", "video[id]": "video_x"},
                        files={"input_reference": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")},
                        timeout=30)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["param"]) == ("unknown_parameter", "input_reference")
    assert error["message"].startswith("Unknown parameter: 'input_reference'.")


@pytest.mark.parametrize("part", ["video", "prompt", "seconds", "image"])
def test_a_create_with_a_stray_file_part_is_400_not_dropped(gw: Running, part: str) -> None:
    before = len(httpx.get(gw.v1 + "/videos", headers=HEADERS, timeout=30).json()["data"])
    answer = httpx.post(gw.v1 + "/videos", headers={"authorization": f"Bearer {KEY}"},
                        data={} if part == "prompt" else {"prompt": "a lighthouse"},
                        files={part: ("clip.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")},
                        timeout=30)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["param"] == part
    if part in ("video", "image"):
        assert error["code"] == "unknown_parameter"
    after = httpx.get(gw.v1 + "/videos", headers=HEADERS, timeout=30).json()["data"]
    assert len(after) == before  # nothing was made
