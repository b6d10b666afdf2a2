"""``OpenAI`` and ``AsyncOpenAI`` look-alikes for Sora code: change one import line.

    - from openai import OpenAI
    + from vidbridge.compat.openai import OpenAI

``client.videos`` keeps the official call shapes (``create``, ``retrieve``, ``list``,
``delete``, ``remix``, ``download_content``, ``poll``, ``create_and_poll``) and returns
objects shaped like the SDK's, but every video is routed by the vidbridge config: ``model``
names an alias (``sora-2`` -> a route), a route, or ``provider:model``. What normalisation
changed, which provider served and the estimated cost are on ``video.vidbridge``. Errors
carry the SDK's class names and status codes (``NotFoundError`` 404...) and, when ``openai``
is installed, are instances of its classes, so ``except openai.NotFoundError`` still catches.
Videos live in a SQLite store beside the ledger, so their ids outlive the process.

Jobs run in the background (a thread pool, or asyncio tasks) exactly as the real API runs
them server-side, so ``create`` returns a queued video at once.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._pages import AsyncCursorPage, AsyncPaginator, BinaryContent, SyncCursorPage
from ._sdk import OfficialOptions
from ._service import VideoService, Work, default_output_dir, run_async, run_sync
from ._store import VideoStore
from ._video import TERMINAL as TERMINAL_STATUSES
from ._video import Video, VideoCreateError, VideoDeleteResponse, VideoList

if TYPE_CHECKING:
    from ..client import AsyncVideoClient, VideoClient
    from ..config import Config

OWNER = "local"  # in-process callers share one namespace; the gateway keys by gateway key
DEFAULT_POLL_S = 1.0  # the SDK's fallback interval when the server gives no hint


class NotGiven:
    """The SDK's "argument omitted" sentinel, for code that passes ``NOT_GIVEN`` along."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


def _given(value: Any) -> Any:
    """None for any "omitted" sentinel (ours, or the real SDK's NotGiven/Omit)."""
    if value is None or type(value).__name__ in ("NotGiven", "Omit"):
        return None
    return value


def _config(config: str | Path | Config | None) -> Config:
    from ..config import Config, load_config

    return config if isinstance(config, Config) else load_config(config)


def store_path(config: Config | None, ledger_path: str) -> str:
    """Where the compat clients keep videos: ``[compat] store``, else ``compat.sqlite3``
    beside the ledger (in memory only if the ledger is)."""
    if config is not None and config.compat.store:
        store = config.compat.store
        return store if store == ":memory:" else os.path.expanduser(store)
    if ledger_path == ":memory:":
        return ":memory:"
    return str(Path(ledger_path).parent / "compat.sqlite3")


def _service(core: Any, config: Config | None, database: str | Path | None,
             output_dir: str | Path | None, retention_s: float | None) -> VideoService:
    if retention_s is None and config is not None:
        retention_s = config.gateway.retention_s  # the same hour the gateway keeps videos
    location = database or store_path(config, core.ledger.path)
    return VideoService(core, VideoStore(location), output_dir or default_output_dir(config),
                        retention_s=retention_s)


def _webhooks(service: VideoService, config: Config | None,
              options: dict[str, Any] | None) -> Any:
    """``[[gateway.webhooks]]`` for in-process clients too: the same events, signed the same
    way, sent from a background thread and recorded beside the videos."""
    if config is None or not config.gateway.webhooks:
        return None
    from ..webhooks import BackgroundDispatcher, DeliveryLog, endpoints

    sender = BackgroundDispatcher(endpoints(config.gateway.webhooks, os.environ),
                                  DeliveryLog(service.store.path), **(options or {}))
    service.listeners.append(lambda video, owner: sender.publish(video.id, video.status))
    return sender


# --- sync -------------------------------------------------------------------------------------

class Videos:
    """``client.videos`` of ``OpenAI``."""

    def __init__(self, client: VideoClient, service: VideoService, executor: ThreadPoolExecutor,
                 owner: str = OWNER) -> None:
        self._client, self._service, self._executor = client, service, executor
        self._owner = owner
        self._done: dict[str, threading.Event] = {}

    def _start(self, work: Work) -> Future[None]:
        event = self._done.setdefault(work.video_id, threading.Event())
        future = self._executor.submit(run_sync, self._client, self._service, work)
        future.add_done_callback(lambda _: event.set())
        return future

    def create(self, *, prompt: str, model: Any = None, seconds: Any = None, size: Any = None,
               input_reference: Any = None, **_request_options: Any) -> Video:
        """Start a video; returns it queued (``extra_headers`` and the like are ignored)."""
        video, work = self._service.create(
            self._owner, prompt=prompt, model=_given(model), seconds=_given(seconds),
            size=_given(size), input_reference=_given(input_reference))
        self._start(work)
        return video

    def retrieve(self, video_id: str, **_request_options: Any) -> Video:
        video = self._service.retrieve(self._owner, video_id)
        if video.status == "failed" and (work := self._service.reclaim(video_id)) is not None:
            self._start(work)  # its submit was reconciled since: finish that job
            video = self._service.retrieve(self._owner, video_id)
        return video

    def poll(self, video_id: str, *, poll_interval_ms: int | None = None,
             **_request_options: Any) -> Video:
        """Wait until the video is completed or failed (never raises on failure, like the
        SDK); wakes as soon as a job of this client finishes."""
        interval = (_given(poll_interval_ms) or DEFAULT_POLL_S * 1000) / 1000
        while True:
            video = self.retrieve(video_id)
            if video.status in TERMINAL_STATUSES:
                return video
            event = self._done.get(video_id)
            if event is not None:
                event.wait(interval)
            else:
                time.sleep(interval)

    def create_and_poll(self, *, prompt: str, model: Any = None, seconds: Any = None,
                        size: Any = None, input_reference: Any = None,
                        poll_interval_ms: int | None = None, **options: Any) -> Video:
        video = self.create(prompt=prompt, model=model, seconds=seconds, size=size,
                            input_reference=input_reference, **options)
        return self.poll(video.id, poll_interval_ms=poll_interval_ms)

    def list(self, *, after: Any = None, limit: Any = None, order: Any = None,
             **_request_options: Any) -> SyncCursorPage[Video]:
        def fetch(cursor: str | None) -> VideoList:
            page, works = self._service.reclaim_listed(self._owner, self._service.list(
                self._owner, after=cursor, limit=_given(limit), order=_given(order)))
            for work in works:  # reconciled since they failed: finish those jobs
                self._start(work)
            return page

        return SyncCursorPage(fetch(_given(after)), fetch)

    def delete(self, video_id: str, **_request_options: Any) -> VideoDeleteResponse:
        return self._service.delete(self._owner, video_id)

    def remix(self, video_id: str, *, prompt: str, **_request_options: Any) -> Video:
        video, work = self._service.remix(self._owner, video_id, prompt)
        self._start(work)
        return video

    def extend(self, *, prompt: str, seconds: Any, video: Any,
               **_request_options: Any) -> Video:
        """Continue a completed video (``video={"id": ...}``); ``video.vidbridge.adjustments``
        says whether the provider extended it or a new clip was generated."""
        made, work = self._service.extend(self._owner, video, prompt, seconds)
        self._start(work)
        return made

    def download_content(self, video_id: str, *, variant: Any = None,
                         **_request_options: Any) -> BinaryContent:
        path, content_type = self._service.content(self._owner, video_id, _given(variant))
        return BinaryContent(path, content_type)

    def recover(self) -> builtins.list[str]:
        """Restart what a previous process left unfinished (needs a ``database`` path);
        returns the video ids restarted."""
        works = self._service.recover() + self._service.reclaimable()
        for work in works:
            self._start(work)
        return [work.video_id for work in works]


class OpenAI(OfficialOptions):
    """Drop-in for ``openai.OpenAI`` whose ``videos`` are routed by a vidbridge config.

    ``config``: a path, a loaded ``Config``, or None for ``$VIDBRIDGE_CONFIG``; ``client``: a
    ready ``VideoClient`` instead. ``database``: SQLite path for the video list (default
    ``[compat] store``, else ``compat.sqlite3`` beside the ledger, so another process, or this
    one after a restart, reads the same ids; ``":memory:"`` for one process only),
    ``output_dir``: where finished videos are kept. Videos stay downloadable for
    ``[gateway] retention_s`` (an hour), as on the official API and the gateway. The
    official constructor's arguments (``api_key``, ``base_url``, ``timeout``...) are accepted
    and ignored: provider keys come from the config's environment variables.
    """

    def __init__(self, *, config: str | Path | Config | None = None,
                 client: VideoClient | None = None, database: str | Path | None = None,
                 output_dir: str | Path | None = None, retention_s: float | None = None,
                 max_workers: int = 8, webhook_options: dict[str, Any] | None = None,
                 **_official_options: Any) -> None:
        from ..client import VideoClient

        self._owns_client = client is None
        if client is None:
            client = VideoClient(config=_config(config))
        self.client = client
        self._service = _service(client.core, client.core.config, database, output_dir,
                                 retention_s)
        self.webhooks = _webhooks(self._service, client.core.config, webhook_options)
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="vidbridge-video")
        self.videos = Videos(client, self._service, self._executor)

    def close(self) -> None:
        """Stop taking work; videos already running finish in their threads."""
        self._executor.shutdown(wait=False)
        if self.webhooks is not None:
            self.webhooks.close()
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- async ------------------------------------------------------------------------------------

class AsyncVideos:
    """``client.videos`` of ``AsyncOpenAI``; also what the gateway serves, per gateway key."""

    def __init__(self, client: AsyncVideoClient, service: VideoService,
                 tasks: set[asyncio.Task[None]], owner: str = OWNER) -> None:
        self._client, self._service, self._tasks = client, service, tasks
        self._owner = owner
        self._done: dict[str, asyncio.Event] = {}

    def for_owner(self, owner: str) -> AsyncVideos:
        """The same videos service seen by another owner (the gateway's per-key view)."""
        view = AsyncVideos(self._client, self._service, self._tasks, owner)
        view._done = self._done
        return view

    def start(self, work: Work) -> asyncio.Task[None]:
        event = self._done.setdefault(work.video_id, asyncio.Event())
        task = asyncio.create_task(run_async(self._client, self._service, work),
                                   name=f"vidbridge-{work.video_id}")
        self._tasks.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            if not done.cancelled():
                event.set()

        task.add_done_callback(finished)
        return task

    async def create(self, *, prompt: str, model: Any = None, seconds: Any = None,
                     size: Any = None, input_reference: Any = None,
                     **_request_options: Any) -> Video:
        video, work = self._service.create(
            self._owner, prompt=prompt, model=_given(model), seconds=_given(seconds),
            size=_given(size), input_reference=_given(input_reference))
        self.start(work)
        return video

    async def retrieve(self, video_id: str, **_request_options: Any) -> Video:
        """The video now. One that failed as ``submit_uncertain`` and whose submit was
        reconciled since (``jobs reconcile --adopt``) is restarted here, on its next read:
        it finishes the adopted job (see ``VideoService.reclaim``)."""
        video = self._service.retrieve(self._owner, video_id)
        if video.status == "failed" and (work := self._service.reclaim(video_id)) is not None:
            self.start(work)
            video = self._service.retrieve(self._owner, video_id)
        return video

    async def poll(self, video_id: str, *, poll_interval_ms: int | None = None,
                   **_request_options: Any) -> Video:
        interval = (_given(poll_interval_ms) or DEFAULT_POLL_S * 1000) / 1000
        while True:
            video = await self.retrieve(video_id)
            if video.status in TERMINAL_STATUSES:
                return video
            event = self._done.get(video_id)
            if event is None:
                await asyncio.sleep(interval)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), interval)

    async def create_and_poll(self, *, prompt: str, model: Any = None, seconds: Any = None,
                              size: Any = None, input_reference: Any = None,
                              poll_interval_ms: int | None = None, **options: Any) -> Video:
        video = await self.create(prompt=prompt, model=model, seconds=seconds, size=size,
                                  input_reference=input_reference, **options)
        return await self.poll(video.id, poll_interval_ms=poll_interval_ms)

    def list(self, *, after: Any = None, limit: Any = None, order: Any = None,
             **_request_options: Any) -> AsyncPaginator[Video]:
        async def fetch(cursor: str | None) -> VideoList:
            page, works = self._service.reclaim_listed(self._owner, self._service.list(
                self._owner, after=cursor, limit=_given(limit), order=_given(order)))
            for work in works:  # reconciled since they failed: finish those jobs
                self.start(work)
            return page

        async def first() -> AsyncCursorPage[Video]:
            return AsyncCursorPage(await fetch(_given(after)), fetch)

        return AsyncPaginator(first)

    async def delete(self, video_id: str, **_request_options: Any) -> VideoDeleteResponse:
        return self._service.delete(self._owner, video_id)

    async def remix(self, video_id: str, *, prompt: str, **_request_options: Any) -> Video:
        video, work = self._service.remix(self._owner, video_id, prompt)
        self.start(work)
        return video

    async def extend(self, *, prompt: str, seconds: Any, video: Any,
                     **_request_options: Any) -> Video:
        made, work = self._service.extend(self._owner, video, prompt, seconds)
        self.start(work)
        return made

    async def download_content(self, video_id: str, *, variant: Any = None,
                               **_request_options: Any) -> BinaryContent:
        path, content_type = await asyncio.to_thread(
            self._service.content, self._owner, video_id, _given(variant))
        return BinaryContent(path, content_type)

    async def recover(self) -> builtins.list[str]:
        works = self._service.recover() + self._service.reclaimable()
        for work in works:
            self.start(work)
        return [work.video_id for work in works]


class AsyncOpenAI(OfficialOptions):
    """Drop-in for ``openai.AsyncOpenAI``; same arguments as ``OpenAI``."""

    def __init__(self, *, config: str | Path | Config | None = None,
                 client: AsyncVideoClient | None = None, database: str | Path | None = None,
                 output_dir: str | Path | None = None, retention_s: float | None = None,
                 webhook_options: dict[str, Any] | None = None,
                 **_official_options: Any) -> None:
        from ..client import AsyncVideoClient

        self._owns_client = client is None
        if client is None:
            client = AsyncVideoClient(config=_config(config))
        self.client = client
        self._service = _service(client.core, client.core.config, database, output_dir,
                                 retention_s)
        self.webhooks = _webhooks(self._service, client.core.config, webhook_options)
        self._tasks: set[asyncio.Task[None]] = set()
        self.videos = AsyncVideos(client, self._service, self._tasks)

    async def close(self) -> None:
        """Cancel running jobs (with a ``database`` they resume on ``videos.recover()``)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.webhooks is not None:
            await asyncio.to_thread(self.webhooks.close)
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


__all__ = [
    "NOT_GIVEN", "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError",
    "AsyncCursorPage", "AsyncOpenAI", "AsyncVideos", "AuthenticationError", "BadRequestError",
    "BinaryContent", "ConflictError", "InternalServerError", "NotFoundError", "NotGiven",
    "OpenAI", "OpenAIError", "PermissionDeniedError", "RateLimitError", "SyncCursorPage",
    "UnprocessableEntityError", "Video", "VideoCreateError", "VideoDeleteResponse", "Videos",
]
