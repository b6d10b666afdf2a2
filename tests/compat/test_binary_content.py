"""``download_content``'s answer against the SDK's ``HttpxBinaryResponseContent``: the same
members, and the same values for the same bytes, sync and async."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from openai._legacy_response import HttpxBinaryResponseContent

from vidbridge.compat._pages import BinaryContent

SAMPLES = {
    "mp4": ("video/mp4", b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 300),
    "json": ("application/json; charset=utf-8",
             json.dumps({"caf\u00e9": [1, 2], "ok": True}).encode()),
    "latin1-lines": ("text/plain; charset=latin-1", b"caf\xe9\r\nsecond\nthird\rlast"),
}


def pair(tmp_path: Path, sample: str) -> tuple[BinaryContent, HttpxBinaryResponseContent]:
    content_type, data = SAMPLES[sample]
    path = tmp_path / "stored.bin"
    path.write_bytes(data)
    sdk = HttpxBinaryResponseContent(httpx2.Response(
        200, headers={"content-type": content_type}, content=data))
    return BinaryContent(path, content_type), sdk


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[start:start + size] for start in range(0, len(data), size)]


def outcome(call: Any) -> Any:
    """A value, or the type of what it raised (a video has no JSON: both must refuse)."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the kind is what is compared
        return type(exc)


def test_every_member_of_the_sdks_content_is_here() -> None:
    members = {name for name in dir(HttpxBinaryResponseContent) if not name.startswith("_")}
    assert members | {"response"} <= set(dir(BinaryContent))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_each_sync_member_answers_what_the_sdk_answers(tmp_path: Path, sample: str) -> None:
    ours, sdk = pair(tmp_path, sample)
    for name in ("content", "text", "encoding", "charset_encoding"):
        assert getattr(ours, name) == getattr(sdk, name), name
    assert outcome(ours.json) == outcome(sdk.json)
    assert ours.read() == sdk.read()
    assert b"".join(ours.iter_bytes(1000)) == b"".join(sdk.iter_bytes(1000))
    assert list(ours.iter_text(7)) == list(sdk.iter_text(7))
    assert "".join(ours.iter_text()) == "".join(sdk.iter_text())  # chunks: unspecified
    # The SDK's raw stream is spent (its download was read whole: iter_raw raises
    # StreamConsumed); here it is the stored bytes, in the chunks asked for, every time.
    assert list(ours.iter_raw(5)) == chunked(SAMPLES[sample][1], 5)
    assert list(ours.iter_lines()) == list(sdk.iter_lines())
    assert list(ours.iter_lines()) == list(ours.iter_lines())  # a file reads again and again
    assert ours.response.headers["content-type"] == sdk.response.headers["content-type"]
    assert ours.response.content == sdk.response.content


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_each_async_member_answers_what_the_sdk_answers(tmp_path: Path, sample: str) -> None:
    ours, sdk = pair(tmp_path, sample)

    async def both() -> None:
        assert await ours.aread() == await sdk.aread()
        for name, args in (("aiter_bytes", (4096,)), ("aiter_text", (7,)), ("aiter_lines", ())):
            # The SDK's are coroutines returning the iterator: code awaits them first.
            theirs = [chunk async for chunk in await getattr(sdk, name)(*args)]
            mine = [chunk async for chunk in await getattr(ours, name)(*args)]
            assert (name, b"".join(mine) if name == "aiter_bytes" else mine) == (
                name, b"".join(theirs) if name == "aiter_bytes" else theirs)
        assert [chunk async for chunk in await ours.aiter_raw(5)] == chunked(
            SAMPLES[sample][1], 5)
        # Iterating without awaiting (vidbridge's earlier form) still works.
        assert b"".join([c async for c in ours.aiter_bytes()]) == SAMPLES[sample][1]
        await ours.astream_to_file(tmp_path / "copy.bin")
        await ours.aclose()

    asyncio.run(both())
    assert (tmp_path / "copy.bin").read_bytes() == SAMPLES[sample][1]
