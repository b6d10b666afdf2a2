"""vidbridge's own httpx clients: a response without a cookie header skips the cookie jar."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from vidbridge import AsyncVideoClient, VideoClient
from vidbridge._http import ApiClient, AsyncApiClient


def _answers(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/sets":
        return httpx.Response(200, headers={"Set-Cookie": "lb=node-2; Path=/"}, json={})
    return httpx.Response(200, json={})


class _Refused(httpx.Cookies._CookieCompatRequest):  # type: ignore[name-defined]
    def __init__(self, request: httpx.Request) -> None:
        raise AssertionError(f"the cookie jar was asked about {request.url}")


def test_a_response_without_cookies_never_reaches_the_jar(monkeypatch):
    with ApiClient(transport=httpx.MockTransport(_answers)) as client:
        monkeypatch.setattr(httpx.Cookies, "_CookieCompatRequest", _Refused)
        client.get("http://api.test/plain")  # would raise inside httpx's cookie wrappers
        assert not client.cookies
        monkeypatch.undo()
        client.get("http://api.test/sets")
        assert client.cookies["lb"] == "node-2"


def test_httpx_without_the_skip_does_build_the_wrappers(monkeypatch):
    """The skip is ours: plain httpx builds urllib wrappers for every response."""
    monkeypatch.setattr(httpx.Cookies, "_CookieCompatRequest", _Refused)
    with httpx.Client(transport=httpx.MockTransport(_answers)) as client, \
            pytest.raises(AssertionError, match="cookie jar was asked"):
        client.get("http://api.test/plain")


def test_the_async_client_keeps_cookies_a_response_sets(monkeypatch):
    async def run() -> httpx.Cookies:
        async with AsyncApiClient(transport=httpx.MockTransport(_answers)) as client:
            await client.get("http://api.test/plain")
            monkeypatch.undo()
            await client.get("http://api.test/sets")
            return client.cookies

    monkeypatch.setattr(httpx.Cookies, "_CookieCompatRequest", _Refused)
    assert dict(asyncio.run(run())) == {"lb": "node-2"}


def test_cookies_given_and_set_later_are_kept():
    with ApiClient(cookies={"a": "1"}) as client:
        assert client.cookies["a"] == "1"
        client.cookies = {"b": "2"}
        assert dict(client.cookies) == {"b": "2"}
        client.cookies.extract_cookies(httpx.Response(
            200, headers={"set-cookie": "c=3"}, request=httpx.Request("GET", "http://x.test/")))
        assert dict(client.cookies) == {"b": "2", "c": "3"}


def test_the_video_clients_make_these_clients_unless_given_one():
    assert isinstance(VideoClient().http, ApiClient)
    assert isinstance(AsyncVideoClient().http, AsyncApiClient)
    own = httpx.Client()
    assert VideoClient(http=own).http is own
