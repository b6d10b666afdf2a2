"""Signed content links: absolute, usable without the gateway key, 403 once altered or late."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import openai
import pytest
from pydantic import SecretStr

from vidbridge.compat import _errors as e
from vidbridge.gateway.links import LinkSigner

from .conftest import KEY, gateway

LINK_SECRET = "link-secret-for-tests-0123456789"


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


def test_download_url_works_without_the_key_and_refuses_any_change(
        sim: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with gateway(sim, tmp_path, environ={"VIDBRIDGE_LINK_SECRET": LINK_SECRET}) as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key=KEY)
        video = client.videos.create_and_poll(prompt="a lantern", seconds="4")
        url = client.videos.retrieve(video.id).vidbridge["download_url"]  # type: ignore[attr-defined]
        assert url.startswith(f"{gw.url}/v1/vidbridge/links/{video.id}/content?")
        listed = next(iter(client.videos.list())).vidbridge["download_url"]  # type: ignore[attr-defined]
        assert listed.startswith(gw.url)
        mine = client.videos.download_content(video.id).read()
        got = httpx.get(url)  # no Authorization header at all
        assert got.status_code == 200 and got.content == mine
        assert got.headers["content-type"] == "video/mp4"
        signature = parse_qs(urlsplit(url).query)["signature"][0]
        flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
        altered = [_with(url, signature=flipped), _with(url, variant="thumbnail"),
                   _with(url, expires=str(int(parse_qs(urlsplit(url).query)["expires"][0])
                                          + 60)),
                   url.replace(video.id, video.id[:-1] + ("0" if video.id[-1] != "0" else "1")),
                   url.split("?")[0]]
        for bad in altered:
            refused = httpx.get(bad)
            assert refused.status_code == 403, bad
            assert refused.json()["error"]["code"] in ("invalid_link", "link_expired")
    assert LINK_SECRET not in caplog.text


def test_links_expire_and_are_absent_without_a_secret(sim: str, tmp_path: Path) -> None:
    now = [1_000_000.0]
    signer = LinkSigner(SecretStr(LINK_SECRET), ttl_s=3600, clock=lambda: now[0])
    url = signer.url("https://gw.example.com", "video_abc")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert signer.check("video_abc", query) == "video"
    now[0] += 3600
    with pytest.raises(e.PermissionDeniedError) as late:
        signer.check("video_abc", query)
    assert late.value.code == "link_expired" and late.value.status_code == 403
    assert LINK_SECRET not in repr(signer.__dict__)
    with gateway(sim, tmp_path, environ={}) as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key=KEY)
        video = client.videos.create_and_poll(prompt="no links here", seconds="4")
        assert client.videos.retrieve(video.id).vidbridge.get("download_url") is None  # type: ignore[attr-defined]
        assert httpx.get(f"{gw.url}/v1/vidbridge/links/{video.id}/content").status_code == 404


def test_public_url_is_the_base_of_links(sim: str, tmp_path: Path) -> None:
    with gateway(sim, tmp_path, gateway_table={"public_url": "https://videos.example.com/"},
                 environ={"VIDBRIDGE_LINK_SECRET": LINK_SECRET}) as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key=KEY)
        video = client.videos.create_and_poll(prompt="public", seconds="4")
        url = client.videos.retrieve(video.id).vidbridge["download_url"]  # type: ignore[attr-defined]
    assert url.startswith(f"https://videos.example.com/v1/vidbridge/links/{video.id}/content?")


@pytest.mark.parametrize("expires", ["\u00b2", "\u0661\u0662", "9" * 5000, "1" * 40, ""])
def test_an_expiry_that_is_no_time_is_a_403_not_a_500(sim: str, tmp_path: Path,
                                                      expires: str) -> None:
    signer = LinkSigner(SecretStr(LINK_SECRET))
    with pytest.raises(e.PermissionDeniedError) as refused:
        signer.check("video_abc", {"variant": "video", "expires": expires, "signature": "x"})
    assert refused.value.code == "invalid_link"
    with gateway(sim, tmp_path, environ={"VIDBRIDGE_LINK_SECRET": LINK_SECRET}) as gw:
        answer = httpx.get(f"{gw.url}/v1/vidbridge/links/video_abc/content",
                           params={"variant": "video", "expires": expires, "signature": "x"})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "invalid_link"
