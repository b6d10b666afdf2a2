"""The clients users call: ``VideoClient`` (httpx.Client) and ``AsyncVideoClient``.

Both are thin shells over one ``ClientCore`` whose methods return engine step generators;
the sync client drives them with ``drive`` and the async one awaits ``adrive``. Nothing about
routing, normalisation or polling is written twice.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import httpx

from ._http import ApiClient, AsyncApiClient
from .core import (
    DEFAULT_DEADLINE_S,
    ClientCore,
    credentials_from_env,
    refuse_empty,
    split_model,
)
from .drivers import adrive, drive
from .engine import Steps
from .errors import ConfigError
from .limits import Limiter, pool_limits
from .models import Job, Plan, Policy, VideoRequest, VideoResult, as_request
from .provider import Credentials

if TYPE_CHECKING:
    import asyncio

    from .config import Config
    from .routing import CandidateCheck

# ClientCore and its helpers moved to ``core``; their old home still names them.
__all__ = ["DEFAULT_DEADLINE_S", "AsyncVideoClient", "ClientCore", "VideoClient",
           "credentials_from_env", "refuse_empty", "split_model"]


class VideoClient:
    """Generate videos with a blocking ``httpx.Client``."""

    def __init__(self, *, credentials: Mapping[str, Credentials] | None = None,
                 config: Config | None = None, http: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep, **core: Any) -> None:
        self.core = ClientCore(credentials=credentials, config=config, **core)
        timeout = config.http_timeout() if config else httpx.Timeout(60.0, connect=10.0)
        self.http = http or ApiClient(transport=transport, timeout=timeout,
                                      limits=pool_limits(self.core.pool_size()))
        self.sleep = sleep
        self.limiter = Limiter(self.core.limit_for, asynchronous=False)

    @classmethod
    def from_config(cls, path: str | Path | None = None, **kwargs: Any) -> Self:
        """Build a client from a TOML config (``path``, else ``$VIDBRIDGE_CONFIG``)."""
        from .config import load_config

        return cls(config=load_config(path, pm=kwargs.get("pm")), **kwargs)

    def _run(self, steps: Steps[Any]) -> Any:
        return drive(steps, self.http, self.sleep, self.limiter, self.core.wakeups)

    def generate(self, request: VideoRequest | Mapping[str, Any], *, model: str | None = None,
                 route: str | None = None, output: str | Path | None = None,
                 policy: Policy | None = None, request_id: str | None = None) -> VideoResult:
        """Generate one video on a model (``provider:model``), a route or an alias."""
        return self._run(self.core.generate_steps(  # type: ignore[no-any-return]
            request, model=model, route=route, output=output, policy=policy,
            request_id=request_id))

    def submit(self, request: VideoRequest | Mapping[str, Any], *, model: str,
               policy: Policy | None = None) -> Job:
        """Submit and return the accepted job at once; finish it later with ``resume``."""
        return self._run(self.core.submit_steps(request, model, policy))  # type: ignore[no-any-return]

    def resume(self, job: Job | str, *, output: str | Path | None = None) -> VideoResult:
        """Wait for an accepted job and download it; never submits again."""
        return self._run(self.core.resume_steps(job, output))  # type: ignore[no-any-return]

    def plan(self, request: VideoRequest | Mapping[str, Any], model: str,
             policy: Policy | None = None) -> Plan:
        """The plan a model would receive, with its adjustments and cost (no HTTP)."""
        return self.core.plan(as_request(request), model, policy)

    def check(self, request: VideoRequest | Mapping[str, Any],
              route: str | None = None) -> list[CandidateCheck]:
        """What each candidate of a route would do with ``request`` (no HTTP)."""
        return self.core.check(request, route)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncVideoClient:
    """Generate videos with an ``httpx.AsyncClient``; same methods as ``VideoClient``."""

    def __init__(self, *, credentials: Mapping[str, Credentials] | None = None,
                 config: Config | None = None, http: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Any] | None = None, **core: Any) -> None:
        self.core = ClientCore(credentials=credentials, config=config, **core)
        timeout = config.http_timeout() if config else httpx.Timeout(60.0, connect=10.0)
        self._transport, self._timeout, self._owns_http = transport, timeout, http is None
        self.http = http or self._new_http()
        self.sleep = sleep
        self.limiter = Limiter(self.core.limit_for, asynchronous=True)
        self._loop: asyncio.AbstractEventLoop | None = None  # the one its pool belongs to
        self._closer: AsyncIterator[None] | None = None  # closes that pool as its loop ends

    @classmethod
    def from_config(cls, path: str | Path | None = None, **kwargs: Any) -> Self:
        from .config import load_config

        return cls(config=load_config(path, pm=kwargs.get("pm")), **kwargs)

    def _new_http(self) -> httpx.AsyncClient:
        return AsyncApiClient(transport=self._transport, timeout=self._timeout,
                              limits=pool_limits(self.core.pool_size()))

    async def _run(self, steps: Steps[Any]) -> Any:
        if self._follow_loop() and self._owns_http and self._closer is None:
            self._closer = self._close_with_loop(self.http)
            await anext(self._closer)
        return await adrive(steps, self.http, self.sleep, self.limiter, self.core.wakeups)

    async def _close_with_loop(self, http: httpx.AsyncClient) -> AsyncIterator[None]:
        """Held open while the loop runs. ``asyncio.run`` closes every unfinished async
        generator before it closes its loop, and so this pool while its keep-alive connections
        can still be closed: afterwards nothing could, and each was collected as
        "ResourceWarning: unclosed transport". Closing a pool twice is harmless (``aclose``)."""
        try:
            yield
        finally:
            await http.aclose()

    def _follow_loop(self) -> bool:
        """An ``httpx.AsyncClient``'s pool belongs to the event loop it first ran in: a
        script's second ``asyncio.run(client.generate(...))`` failed with a bare "Event loop
        is closed" from inside the submit (and left its row uncertain). Once that loop is
        closed, a pool of ours is replaced (its connections died with it); a caller's own
        ``http=`` cannot be, so that is refused before anything is written or sent. True when
        an asyncio loop runs (then ``_run`` holds the pool's closer for it)."""
        import asyncio  # loaded already by any asyncio caller; not at ``import vidbridge``

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # another event loop (trio): nothing of asyncio's to follow
            return False
        if self._loop is None or self._loop is loop:
            self._loop = loop
            return True
        if not (self._owns_http and self._loop.is_closed()):
            raise ConfigError(
                "this AsyncVideoClient's HTTP client belongs to another event loop "
                f"({'still running' if not self._loop.is_closed() else 'closed'}): an "
                "httpx.AsyncClient cannot move between loops; make the client inside the loop "
                "that uses it" + ("" if self._owns_http else ", or leave out http= so "
                                  "vidbridge makes a new one for each loop"))
        self.http = self._new_http()
        self.limiter = Limiter(self.core.limit_for, asynchronous=True)
        self._loop, self._closer = loop, None
        return True

    async def generate(self, request: VideoRequest | Mapping[str, Any], *,
                       model: str | None = None, route: str | None = None,
                       output: str | Path | None = None, policy: Policy | None = None,
                       request_id: str | None = None) -> VideoResult:
        return await self._run(self.core.generate_steps(  # type: ignore[no-any-return]
            request, model=model, route=route, output=output, policy=policy,
            request_id=request_id))

    async def submit(self, request: VideoRequest | Mapping[str, Any], *, model: str,
                     policy: Policy | None = None) -> Job:
        return await self._run(self.core.submit_steps(request, model, policy))  # type: ignore[no-any-return]

    async def resume(self, job: Job | str, *, output: str | Path | None = None) -> VideoResult:
        return await self._run(self.core.resume_steps(job, output))  # type: ignore[no-any-return]

    def plan(self, request: VideoRequest | Mapping[str, Any], model: str,
             policy: Policy | None = None) -> Plan:
        return self.core.plan(as_request(request), model, policy)

    def check(self, request: VideoRequest | Mapping[str, Any],
              route: str | None = None) -> list[CandidateCheck]:
        return self.core.check(request, route)

    async def aclose(self) -> None:
        if self._loop is not None and self._loop.is_closed():
            return  # its connections went with their loop; closing them here would raise
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

