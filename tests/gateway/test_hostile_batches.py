"""Hostile batch bodies and input files: a 400 naming what was wrong (never a 500), and a
line the create path cannot take fails alone instead of stopping its batch for good."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from vidbridge.compat import _errors as e
from vidbridge.gateway.batches import Batches, parse_input

from .conftest import KEY, Running

HEADERS = {"authorization": f"Bearer {KEY}"}
GOOD_LINE = b'{"custom_id": "ok", "url": "/v1/videos", "body": {"prompt": "a kite"}}'


def upload(gw: Running, content: bytes) -> str:
    answer = httpx.post(gw.v1 + "/files", headers=HEADERS, timeout=30,
                        data={"purpose": "batch"}, files={"file": ("in.jsonl", content)})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def create(gw: Running, body: bytes) -> httpx.Response:
    return httpx.post(gw.v1 + "/batches", content=body, timeout=30,
                      headers={**HEADERS, "content-type": "application/json"})


BODIES = [
    (b"[" * 100_000, "invalid_json", None),
    (b'{"endpoint": "/v1/videos", "metadata": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
     "invalid_json", None),
    (b'{"endpoint": "/v1/videos", "input_file_id": "\\ud800"}', "invalid_value",
     "input_file_id"),
    (b'{"endpoint": "/v1/videos", "metadata": {"team": NaN}}', "invalid_json", None),
    (b'{"endpoint": "/v1/videos", "metadata": {"team": "\\udfff"}}', "invalid_value",
     "metadata.team"),
]


@pytest.mark.parametrize(("body", "code", "param"), BODIES,
                         ids=[repr(body[:40]) for body, _, _ in BODIES])
def test_hostile_batch_bodies_are_400(gw: Running, body: bytes, code: str,
                                      param: str | None) -> None:
    answer = create(gw, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["param"] == param


LINES = [
    b'{"custom_id": "deep", "url": "/v1/videos", "body": ' + b"[" * 100_000,
    b'{"custom_id": "\\ud800", "url": "/v1/videos", "body": {"prompt": "p"}}',
    b'{"custom_id": "s", "url": "/v1/videos", "body": {"prompt": "\\ud800"}}',
    b'{"custom_id": "n", "url": "/v1/videos", "body": {"prompt": "p", "seconds": NaN}}',
]


@pytest.mark.parametrize("line", LINES, ids=[repr(line[:48]) for line in LINES])
def test_a_hostile_input_line_is_a_400_naming_its_line(gw: Running, line: bytes) -> None:
    file_id = upload(gw, GOOD_LINE + b"\n" + line + b"\n")
    answer = create(gw, json.dumps({"input_file_id": file_id,
                                    "endpoint": "/v1/videos"}).encode())
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["param"] == "input_file_id" and error["message"].startswith("Line 2 ")


def test_line_separators_inside_strings_do_not_cut_a_line() -> None:
    line = json.dumps({"custom_id": "a", "url": "/v1/videos",
                       "body": {"prompt": "one\u2028two\x1cthree\x85"}}, ensure_ascii=False)
    assert parse_input(line.encode() + b"\r\n") == [
        ("a", {"prompt": "one\u2028two\x1cthree\x85", "model": None, "seconds": None,
               "size": None})]


class _Video:
    def __init__(self, video_id: str) -> None:
        self.id = video_id


class _View:
    """Creates a video per line, but the first line hits a bug of ours."""

    def __init__(self) -> None:
        self.calls = 0

    async def create(self, **fields: Any) -> _Video:
        self.calls += 1
        if self.calls == 1:
            raise TypeError("a bug of ours")
        if self.calls == 2:
            raise e.BadRequestError("Invalid 'size'.", param="size", code="invalid_value")
        return _Video(f"video_{self.calls}")


def test_a_line_whose_create_breaks_fails_alone(tmp_path: Path) -> None:
    batches = Batches(str(tmp_path / "gateway.sqlite3"))
    content = b"\n".join(json.dumps({"custom_id": f"req-{n}", "url": "/v1/videos",
                                     "body": {"prompt": f"take {n}"}}).encode()
                         for n in range(3))
    file_id = batches.add_file("owner", "in.jsonl", content, "batch")["id"]
    batch_id = batches.create("owner", {"endpoint": "/v1/videos", "input_file_id": file_id})
    view = _View()
    asyncio.run(batches.feed(batch_id, view))
    rows = batches.db.execute("SELECT custom_id, video_id, error FROM batch_lines WHERE "
                              "batch_id=? ORDER BY line", (batch_id,)).fetchall()
    assert view.calls == 3
    assert rows[0][1] is None and json.loads(rows[0][2])["code"] == "internal_error"
    assert "a bug of ours" not in rows[0][2]  # never echoed, as a 500's body is not
    assert rows[1][1] is None and json.loads(rows[1][2])["param"] == "size"
    assert rows[2][1] == "video_3" and rows[2][2] is None
    assert batches.resume(lambda owner: view) == 0  # nothing left to feed: the batch can end
    batches.close()


def test_a_purpose_sent_as_a_file_is_400_without_echoing_the_part(gw: Running) -> None:
    answer = httpx.post(gw.v1 + "/files", headers=HEADERS, timeout=30,
                        files={"purpose": ("secret-name.txt", b"batch")})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["param"], error["code"]) == ("purpose", "invalid_value")
    assert "a file part" in error["message"]
    assert "secret-name" not in answer.text and "UploadFile" not in answer.text
