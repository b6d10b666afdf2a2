"""The OpenAI look-alikes against the simulator: Sora call shapes in, routed videos out."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import openai
import pytest

from vidbridge import VidbridgeError, VideoClient
from vidbridge.compat import openai as compat
from vidbridge.compat.openai import AsyncOpenAI, OpenAI

from .simenv import POLL, Counter, async_client, config, png, sync_client

MP4_MAGIC = b"ftyp"


@pytest.fixture
def client(sim: str, tmp_path: Path) -> Iterator[OpenAI]:
    with OpenAI(client=sync_client(config(sim, tmp_path)), output_dir=tmp_path / "out") as c:
        yield c


def test_create_and_poll_adjusts_seconds_and_downloads(
        client: OpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="vidbridge.compat")
    video = client.videos.create_and_poll(model="sora-2", prompt="a lighthouse in a storm",
                                          seconds="12", size="1280x720")
    assert (video.object, video.status, video.progress, video.model) == (
        "video", "completed", 100, "sora-2")
    assert video.seconds == "10" and video.size == "1280x720"  # runway gen4.5 tops out at 10 s
    assert isinstance(video.created_at, int) and video.completed_at is not None
    assert video.expires_at == video.completed_at + 3600 and video.error is None
    info = video.vidbridge
    assert info is not None and (info.provider, info.model) == ("runway", "gen4.5")
    assert info.adjustments == [{"field": "duration", "asked": 12, "given": 10,
                                 "reason": "runway:gen4.5 makes clips of 2, 3, 4, 5, 6, 7, 8, "
                                           "9, 10 s"}]
    assert info.estimated_cost_usd == pytest.approx(1.2)
    assert [a["outcome"] for a in info.attempts] == ["succeeded"]
    content = client.videos.download_content(video.id)
    data = content.read()
    assert data[4:8] == MP4_MAGIC
    content.write_to_file(tmp_path / "copy.mp4")
    assert (tmp_path / "copy.mp4").read_bytes() == data
    assert b"".join(content.iter_bytes(1000)) == data  # streamed in chunks from the file
    assert "vidbridge" not in video.to_dict()  # the official fields only, in their types
    assert f"{video.id}: duration 12 -> 10 on runway:gen4.5" in caplog.text


def test_status_comes_from_the_ledger_while_the_job_runs(sim: str, tmp_path: Path) -> None:
    release = threading.Event()

    def held(seconds: float) -> None:
        release.wait(5)

    cfg = config(sim, tmp_path)
    runner = VideoClient(config=cfg, sleep=held, poll=POLL)
    with OpenAI(client=runner, output_dir=tmp_path / "out") as client:
        video = client.videos.create(prompt="a heron lands", seconds="4")
        assert video.status == "queued" and video.progress == 0
        deadline = time.monotonic() + 5
        while not client.client.core.ledger.by_request(video.id):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        seen = client.videos.retrieve(video.id)
        assert seen.status in ("queued", "in_progress") and seen.vidbridge is not None
        assert seen.vidbridge.provider == "runway"
        with pytest.raises(compat.NotFoundError, match="is queued|is in_progress"):
            client.videos.download_content(video.id)
        with pytest.raises(compat.BadRequestError, match="still being generated"):
            client.videos.delete(video.id)
        release.set()
        assert client.videos.poll(video.id, poll_interval_ms=10).status == "completed"


def test_list_paginates_like_the_api(client: OpenAI) -> None:
    made = [client.videos.create_and_poll(prompt=f"clip {n}", seconds="4").id for n in range(3)]
    page = client.videos.list(limit=2)
    assert len(page.data) == 2 and page.has_more and page.last_id == page.data[-1].id
    assert page.first_id == made[-1]  # newest first by default
    assert [v.id for v in page] == made[::-1]  # iterating walks every page
    assert [v.id for v in client.videos.list(order="asc", limit=1)] == made
    after = client.videos.list(after=made[1], order="asc")
    assert [v.id for v in after.data] == [made[2]] and not after.has_next_page()
    with pytest.raises(RuntimeError, match="No next page expected"):
        after.get_next_page()
    with pytest.raises(compat.BadRequestError) as caught:
        client.videos.list(order="sideways")
    assert caught.value.param == "order"


def test_delete_then_gone(client: OpenAI) -> None:
    video = client.videos.create_and_poll(prompt="a paper boat", seconds="4")
    path = client.videos.download_content(video.id).path
    deleted = client.videos.delete(video.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (video.id, "video.deleted", True)
    assert not path.exists()
    with pytest.raises(compat.NotFoundError) as caught:
        client.videos.retrieve(video.id)
    assert caught.value.status_code == 404
    assert caught.value.message == f"Error code: 404 - Video with id '{video.id}' not found."
    assert caught.value.body["message"] == f"Video with id '{video.id}' not found."


def test_remix_reuses_the_source_parameters(client: OpenAI) -> None:
    source = client.videos.create_and_poll(prompt="a red kite", seconds="8", size="720x1280")
    remix = client.videos.remix(source.id, prompt="the same kite, at dusk")
    assert remix.remixed_from_video_id == source.id and remix.prompt == "the same kite, at dusk"
    done = client.videos.poll(remix.id)
    assert (done.status, done.seconds, done.size) == ("completed", "8", "720x1280")
    assert done.vidbridge is not None
    assert "generated anew" in done.vidbridge.adjustments[0]["given"]


def test_image_input_reference_forms(client: OpenAI, tmp_path: Path) -> None:
    image = png()
    (tmp_path / "frame.png").write_bytes(image)
    for reference in (image, tmp_path / "frame.png", ("frame.png", image, "image/png"),
                      (tmp_path / "frame.png").open("rb")):
        video = client.videos.create_and_poll(prompt="the frame comes alive", size="1280x720",
                                              input_reference=reference)
        assert video.status == "completed", video.error


@pytest.mark.parametrize(("kwargs", "error", "param", "code"), [
    ({"model": "veo-9"}, compat.NotFoundError, "model", "model_not_found"),
    ({"size": "huge"}, compat.BadRequestError, "size", "invalid_value"),
    ({"seconds": "ten"}, compat.BadRequestError, "seconds", "invalid_value"),
    ({"seconds": 4.5}, compat.BadRequestError, "seconds", "invalid_type"),
    ({"prompt": ""}, compat.BadRequestError, "prompt", "missing_required_parameter"),
    ({"input_reference": b"GIF89a not really"}, compat.BadRequestError, "input_reference",
     "invalid_image_format"),
    ({"input_reference": {"file_id": "file_1"}}, compat.BadRequestError, "input_reference",
     "unsupported_value"),
    ({"input_reference": {"image_url": "data:image/png;base64,@@@"}}, compat.BadRequestError,
     "input_reference", "invalid_value"),
    ({"input_reference": "frame.png"}, compat.BadRequestError, "input_reference",
     "invalid_type"),
])
def test_bad_requests_fail_before_any_http(sim: str, tmp_path: Path, kwargs: dict[str, Any],
                                           error: type[compat.APIStatusError], param: str,
                                           code: str) -> None:
    counter = Counter()
    with OpenAI(client=sync_client(config(sim, tmp_path), counter),
                output_dir=tmp_path) as client, pytest.raises(error) as caught:
        client.videos.create(**{"prompt": "a fox", **kwargs})
    assert (caught.value.param, caught.value.code) == (param, code)
    assert isinstance(caught.value, compat.APIStatusError | VidbridgeError)
    assert isinstance(caught.value, VidbridgeError)
    assert caught.value.body == {"message": caught.value.detail, "type": caught.value.type,
                                 "param": param, "code": code}
    assert counter.calls == []


def test_no_candidate_can_serve_names_every_reason(client: OpenAI) -> None:
    with pytest.raises(compat.BadRequestError) as caught:
        client.videos.create(model="kling-only", prompt="x" * 3000)
    assert "kling:kling-v2-6:std" in caught.value.detail and caught.value.param == "prompt"


def test_failed_job_is_a_failed_video_not_an_exception(client: OpenAI) -> None:
    video = client.videos.create_and_poll(model="kling-only", seconds="5",
                                          prompt="a storm [[scenario:job_failed]]")
    assert video.status == "failed" and video.progress == 0 and video.error is not None
    assert video.error.code and video.error.message
    with pytest.raises(compat.NotFoundError):
        client.videos.download_content(video.id)


def test_content_policy_failure_says_moderation_blocked(client: OpenAI) -> None:
    video = client.videos.create_and_poll(model="kling-only", seconds="5",
                                          prompt="a storm [[scenario:content_policy]]")
    assert video.status == "failed" and video.error is not None
    assert video.error.code == "moderation_blocked"


def test_official_not_given_sentinel_is_accepted(client: OpenAI) -> None:
    video = client.videos.create(prompt="a gull", seconds=openai.NOT_GIVEN,
                                 size=openai.NOT_GIVEN, model=openai.NOT_GIVEN)
    assert (video.seconds, video.size, video.model) == ("4", "720x1280", "sora-2")


def test_thumbnail_and_spritesheet_variants(client: OpenAI) -> None:
    video = client.videos.create_and_poll(prompt="a windmill", seconds="4", size="1280x720")
    thumbnail = client.videos.download_content(video.id, variant="thumbnail")
    assert thumbnail.content_type == "image/webp" and thumbnail.read()[8:12] == b"WEBP"
    sheet = client.videos.download_content(video.id, variant="spritesheet")
    assert sheet.content_type == "image/jpeg" and sheet.read()[:3] == b"\xff\xd8\xff"
    with pytest.raises(compat.BadRequestError):
        client.videos.download_content(video.id, variant="poster")


def test_expired_content_is_gone(sim: str, tmp_path: Path) -> None:
    with OpenAI(client=sync_client(config(sim, tmp_path)), output_dir=tmp_path,
                retention_s=0) as client:
        video = client.videos.create_and_poll(prompt="a comet", seconds="4")
        with pytest.raises(compat.NotFoundError, match="expired"):
            client.videos.download_content(video.id)
        assert client._service.sweep() == 1 and not list(tmp_path.glob("video_*.mp4"))
        assert client.videos.retrieve(video.id).status == "completed"


def test_async_client_end_to_end(sim: str, tmp_path: Path) -> None:
    async def main() -> None:
        cfg = config(sim, tmp_path)
        async with AsyncOpenAI(client=async_client(cfg), output_dir=tmp_path) as client:
            video = await client.videos.create_and_poll(model="sora-2", prompt="koi in a pond",
                                                        seconds="8", size="1280x720")
            assert video.status == "completed" and video.seconds == "8"
            content = await client.videos.download_content(video.id)
            assert (await content.aread())[4:8] == MP4_MAGIC
            other = await client.videos.create_and_poll(prompt="a second koi", seconds="4")
            page = await client.videos.list(limit=1)
            assert [v.id for v in page.data] == [other.id] and page.has_more
            assert [v.id async for v in client.videos.list(limit=1)] == [other.id, video.id]
            last = await page.get_next_page()
            assert [v.id for v in last.data] == [video.id] and not last.has_next_page()
            with pytest.raises(RuntimeError, match="No next page expected"):
                await last.get_next_page()
            with pytest.raises(compat.NotFoundError):
                await client.videos.retrieve("video_missing")

    anyio.run(main)
