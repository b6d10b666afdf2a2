"""The httpx clients vidbridge makes for itself (a caller's own ``http=`` client is used as is).

They differ from httpx's in one thing: a response that sets no cookie skips the cookie jar.
httpx hands every response to ``http.cookiejar`` through urllib's compatibility wrappers (a
``urllib.request.Request`` and an ``email.message.Message`` built per response: about 15 us,
and several times that in a job, where that code is cold between requests). The jar reads
only ``Set-Cookie`` and ``Set-Cookie2``, so a response with neither cannot change it: skipping
it changes nothing, and a response that does set a cookie still reaches the jar.
"""

from __future__ import annotations

from typing import Any

import httpx

# The only headers http.cookiejar.CookieJar.make_cookies reads.
COOKIE_HEADERS = ("set-cookie", "set-cookie2")


class ResponseCookies(httpx.Cookies):
    """``httpx.Cookies`` that passes only responses with a cookie header to the jar."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if any(name in headers for name in COOKIE_HEADERS):
            super().extract_cookies(response)


class _ResponseCookiesJar:
    """The ``cookies`` property of both clients, holding ``ResponseCookies``."""

    _response_cookies: ResponseCookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._response_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # what httpx.Cookies accepts
        self._response_cookies = ResponseCookies(cookies)


class ApiClient(_ResponseCookiesJar, httpx.Client):
    """``httpx.Client`` with ``ResponseCookies``."""

    def __init__(self, *, cookies: Any = None, **kwargs: Any) -> None:
        # Our property, not httpx's own jar attribute, is what httpx reads and fills.
        self.cookies = cookies
        super().__init__(**kwargs)


class AsyncApiClient(_ResponseCookiesJar, httpx.AsyncClient):
    """``httpx.AsyncClient`` with ``ResponseCookies``."""

    def __init__(self, *, cookies: Any = None, **kwargs: Any) -> None:
        self.cookies = cookies
        super().__init__(**kwargs)
