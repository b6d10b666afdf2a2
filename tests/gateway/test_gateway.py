"""The gateway driven by the official ``openai`` SDK, backed by the simulator."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import openai
import pytest

from vidbridge import ConfigError
from vidbridge.gateway import create_app
from vidbridge.gateway.auth import refuse_open_bind

from ..compat.simenv import config, png
from .conftest import KEY, OTHER_KEY, Running, gateway

MP4_MAGIC = b"ftyp"
SECRETS = ("sim-runway-key", "sim-kling-access", "sim-kling-secret-key-32-bytes-long", "_jwt")


def sdk(gw: Running, key: str = KEY, **options: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.v1, api_key=key, **options)


def test_official_sdk_create_and_poll_then_download(gw: Running, tmp_path: Path) -> None:
    client = sdk(gw)
    video = client.videos.create_and_poll(model="sora-2", prompt="a lighthouse in a storm",
                                          seconds="12", size="1280x720")
    assert isinstance(video, openai.types.Video)
    assert (video.status, video.progress, video.seconds, video.size, video.model) == (
        "completed", 100, "10", "1280x720", "sora-2")
    extra = video.model_extra or {}
    assert extra["vidbridge"]["provider"] == "runway"
    assert extra["vidbridge"]["adjustments"][0] == {
        "field": "duration", "asked": 12, "given": 10,
        "reason": "runway:gen4.5 makes clips of 2, 3, 4, 5, 6, 7, 8, 9, 10 s"}
    content = client.videos.download_content(video.id)
    content.write_to_file(tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes()[4:8] == MP4_MAGIC
    assert gw.counter.count("POST", "/runway/v1/") == 1


def test_async_sdk_create_and_poll_then_download(gw: Running) -> None:
    async def main() -> bytes:
        client = openai.AsyncOpenAI(base_url=gw.v1, api_key=KEY)
        video = await client.videos.create_and_poll(model="sora-2", prompt="koi in a pond",
                                                    seconds="8", size="720x1280")
        assert video.status == "completed" and video.seconds == "8"
        content = await client.videos.download_content(video.id)
        await client.close()
        return content.read()

    assert anyio.run(main)[4:8] == MP4_MAGIC


def test_multipart_image_upload_and_json_data_url(gw: Running, tmp_path: Path) -> None:
    (tmp_path / "frame.png").write_bytes(png())
    client = sdk(gw)
    with (tmp_path / "frame.png").open("rb") as frame:
        video = client.videos.create_and_poll(model="sora-2", prompt="the frame comes alive",
                                              size="1280x720", input_reference=frame)
    assert video.status == "completed", video.error
    data_url = "data:image/png;base64," + base64.b64encode(png()).decode()
    created = httpx.post(f"{gw.v1}/videos", headers={"Authorization": f"Bearer {KEY}"},
                         json={"model": "sora-2", "prompt": "move", "size": "1280x720",
                               "input_reference": {"image_url": data_url}})
    assert created.status_code == 200 and created.json()["status"] == "queued"
    assert client.videos.poll(created.json()["id"]).status == "completed"


@pytest.mark.parametrize(("key", "message"), [
    ("wrong-key", "Incorrect API key provided"),
    ("", "You didn't provide an API key"),
])
def test_bad_key_is_the_sdk_authentication_error(gw: Running, key: str, message: str) -> None:
    with pytest.raises(openai.AuthenticationError, match=message) as caught:
        openai.OpenAI(base_url=gw.v1, api_key=key or "x", max_retries=0,
                      default_headers={"Authorization": "" if not key else f"Bearer {key}"}
                      ).videos.list()
    assert caught.value.status_code == 401
    assert set(caught.value.body) == {"message", "type", "param", "code"}  # type: ignore[arg-type]
    assert gw.counter.calls == []


@pytest.mark.parametrize(("kwargs", "error", "param", "code"), [
    ({"size": "huge"}, openai.BadRequestError, "size", "invalid_value"),
    ({"model": "veo-9"}, openai.NotFoundError, "model", "model_not_found"),
    ({"seconds": "ten"}, openai.BadRequestError, "seconds", "invalid_value"),
    ({"input_reference": b"not an image at all"}, openai.BadRequestError, "input_reference",
     "invalid_image_format"),
])
def test_bad_requests_are_the_sdk_errors_with_our_messages(
        gw: Running, kwargs: dict[str, Any], error: type[openai.APIStatusError], param: str,
        code: str) -> None:
    with pytest.raises(error) as caught:
        sdk(gw).videos.create(**{"model": "sora-2", "prompt": "a fox", **kwargs})
    assert (caught.value.param, caught.value.code) == (param, code)
    if code == "model_not_found":
        assert caught.value.message == ("Error code: 404 - The model `veo-9` does not exist "
                                        "or you do not have access to it.")
    assert gw.counter.calls == []  # refused before any provider call


def test_error_bodies_have_the_official_shape(gw: Running) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    for response in (httpx.get(f"{gw.v1}/videos/video_missing", headers=auth),
                     httpx.get(f"{gw.url}/v2/nothing", headers=auth),
                     httpx.post(f"{gw.v1}/videos", headers=auth, content=b"{not json"),
                     httpx.get(f"{gw.v1}/videos?limit=lots", headers=auth)):
        assert response.status_code in (400, 404)
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_list_delete_and_remix_through_the_sdk(gw: Running) -> None:
    client = sdk(gw)
    made = [client.videos.create_and_poll(prompt=f"clip {n}", seconds="4").id for n in range(3)]
    page = client.videos.list(limit=2)
    assert [v.id for v in page.data] == made[:0:-1] and page.has_more
    assert [v.id for v in client.videos.list(limit=2)] == made[::-1]  # SDK walks the pages
    assert [v.id for v in client.videos.list(order="asc", after=made[0])] == made[1:]
    remix = client.videos.remix(made[0], prompt="the same, in snow")
    assert remix.remixed_from_video_id == made[0]
    assert client.videos.poll(remix.id).status == "completed"
    deleted = client.videos.delete(made[1])
    assert deleted.deleted and deleted.object == "video.deleted"
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(made[1])


def test_keys_do_not_see_each_other(gw: Running) -> None:
    video = sdk(gw).videos.create_and_poll(prompt="alice's clip", seconds="4")
    bob = sdk(gw, OTHER_KEY)
    with pytest.raises(openai.NotFoundError):
        bob.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        bob.videos.download_content(video.id)
    assert list(bob.videos.list()) == []


def test_per_key_concurrency_cap_answers_429_with_retry_after(sim: str, tmp_path: Path) -> None:
    async def held(seconds: float) -> None:
        await asyncio.Event().wait()  # jobs never finish while the test looks

    with gateway(sim, tmp_path, sleep=held, gateway_table={"max_concurrent_per_key": 2}) as gw:
        client = sdk(gw, max_retries=0)
        client.videos.create(prompt="one", seconds="4")
        client.videos.create(prompt="two", seconds="4")
        with pytest.raises(openai.RateLimitError) as caught:
            client.videos.create(prompt="three", seconds="4")
        assert caught.value.response.headers["retry-after"] == "5"
        assert caught.value.code == "concurrency_limit_exceeded"
        sdk(gw, OTHER_KEY).videos.create(prompt="another key has its own cap", seconds="4")


def test_body_cap_answers_413_before_reading_more(sim: str, tmp_path: Path) -> None:
    with gateway(sim, tmp_path, gateway_table={"max_body_mb": 0.05}) as gw:  # ~52 KB
        auth = {"Authorization": f"Bearer {KEY}"}
        big = b"\x89PNG\r\n\x1a\n" + bytes(100_000)
        declared = httpx.post(f"{gw.v1}/videos", headers=auth, data={"prompt": "x"},
                              files={"input_reference": ("f.png", big, "image/png")})
        assert declared.status_code == 413
        assert declared.json()["error"]["code"] == "request_too_large"

        def chunks() -> Any:  # no Content-Length: the cap counts as the body streams
            for _ in range(10):
                yield bytes(10_000)

        streamed = httpx.post(f"{gw.v1}/videos", headers={**auth,
                              "content-type": "application/json"}, content=chunks())
        assert streamed.status_code == 413
        assert gw.counter.calls == []


def test_failed_job_reads_as_a_failed_video(gw: Running) -> None:
    video = sdk(gw).videos.create_and_poll(model="kling-only", seconds="5",
                                           prompt="a storm [[scenario:job_failed]]")
    assert video.status == "failed" and video.error is not None
    assert video.error.code and video.error.message


def test_unfinished_video_has_poll_hint_and_no_content(sim: str, tmp_path: Path) -> None:
    async def held(seconds: float) -> None:
        await asyncio.Event().wait()

    with gateway(sim, tmp_path, sleep=held) as gw:
        client = sdk(gw, max_retries=0)
        video = client.videos.create(prompt="slow", seconds="4")
        raw = client.videos.with_raw_response.retrieve(video.id)
        assert raw.headers["openai-poll-after-ms"] == "10"
        with pytest.raises(openai.NotFoundError):
            client.videos.download_content(video.id)
        with pytest.raises(openai.BadRequestError, match="still being generated"):
            client.videos.delete(video.id)


def test_provider_keys_never_leave_the_gateway(gw: Running,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with httpx.Client(base_url=gw.v1, headers={"Authorization": f"Bearer {KEY}"}) as http:
        created = http.post("/videos", json={"model": "sora-2", "prompt": "a gull",
                                             "seconds": "12"})
        seen.append(created.text)
        video_id = created.json()["id"]
        for _ in range(200):
            response = http.get(f"/videos/{video_id}")
            seen.append(response.text + str(response.headers))
            if response.json()["status"] == "completed":
                break
            time.sleep(0.01)
        seen.append(http.get("/videos").text)
        seen.append(str(http.get(f"/videos/{video_id}/content").headers))
        failed = http.post("/videos", json={"model": "kling-only", "seconds": "5",
                                            "prompt": "x [[scenario:job_failed]]"})
        seen.append(sdk(gw).videos.poll(failed.json()["id"]).to_json())
    text = "\n".join(seen) + "\n".join(record.getMessage() for record in caplog.records)
    assert "completed" in text
    for secret in SECRETS:
        assert secret not in text


def test_gateway_needs_keys_unless_insecure(sim: str, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    cfg = config(sim, tmp_path)
    with pytest.raises(ConfigError, match=r"\$VIDBRIDGE_GATEWAY_KEYS"):
        create_app(cfg, environ={})
    create_app(cfg, environ={"VIDBRIDGE_GATEWAY_KEYS": "a, b"}, database=tmp_path / "g.db")
    with caplog.at_level(logging.WARNING):
        create_app(cfg, insecure_no_auth=True, environ={}, database=tmp_path / "g.db")
    assert "WITHOUT authentication" in caplog.text
    with pytest.raises(ConfigError, match="loopback"):
        refuse_open_bind("0.0.0.0", insecure=True)
    refuse_open_bind("127.0.0.1", insecure=True)
    refuse_open_bind("0.0.0.0", insecure=False)


def test_insecure_mode_serves_without_a_key(sim: str, tmp_path: Path) -> None:
    with gateway(sim, tmp_path, insecure_no_auth=True, keys=None) as gw:
        video = sdk(gw, "anything").videos.create_and_poll(prompt="open house", seconds="4")
        assert video.status == "completed"


def test_thumbnail_variant_and_expiry(sim: str, tmp_path: Path) -> None:
    with gateway(sim, tmp_path, retention_s=0) as gw:
        client = sdk(gw)
        video = client.videos.create_and_poll(prompt="a comet", seconds="4")
        assert video.expires_at == video.completed_at
        with pytest.raises(openai.NotFoundError, match="expired"):
            client.videos.download_content(video.id)
    with gateway(sim, tmp_path / "b") as gw:
        client = sdk(gw)
        video = client.videos.create_and_poll(prompt="a comet", seconds="4")
        raw = client.videos.with_raw_response.download_content(video.id, variant="thumbnail")
        assert raw.headers["content-type"] == "image/webp"


def test_importing_vidbridge_loads_no_server_code() -> None:
    import subprocess
    import sys

    code = ("import sys, vidbridge, vidbridge.compat.openai, vidbridge.gateway; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('starlette', 'uvicorn', 'multipart', 'python_multipart')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
