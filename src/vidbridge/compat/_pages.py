"""What the compat clients hand back besides videos: a download's content and list pages,
shaped like the ``openai`` SDK's (``HttpxBinaryResponseContent``, ``SyncCursorPage``,
``AsyncCursorPage``, and the awaitable-or-iterable ``AsyncPaginator``)."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx

from ._video import VideoList

T = TypeVar("T")
CHUNK = 64 * 1024  # what iterating a stored video reads at a time


class _FileBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The stored file as a response body, read in chunks each time it is iterated."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


class _Chunks(Generic[T]):
    """An async iterator that may be awaited first. The SDK's ``aiter_*`` are coroutines that
    return one (``async for chunk in await content.aiter_bytes()``); code written against
    earlier vidbridge iterates without ``await``. Both work."""

    def __init__(self, source: AsyncIterator[T]) -> None:
        self._source = source

    def __aiter__(self) -> AsyncIterator[T]:
        return self._source

    def __await__(self) -> Generator[Any, None, AsyncIterator[T]]:
        return self._ready().__await__()

    async def _ready(self) -> AsyncIterator[T]:
        return self._source


class BinaryContent:
    """What ``download_content`` returns: the SDK's ``HttpxBinaryResponseContent``, member for
    member (``read``, ``text``, ``json``, ``iter_bytes`` / ``iter_text`` / ``iter_lines`` /
    ``iter_raw``, ``write_to_file``, ``stream_to_file``, their ``a``-prefixed async forms,
    ``response``). Iterating streams the stored file in chunks; only ``content``, ``text``,
    ``json`` and ``response`` hold it whole, as the SDK always does."""

    def __init__(self, path: Path, content_type: str) -> None:
        self.path = path
        self.content_type = content_type

    def _streaming(self) -> httpx.Response:
        # A fresh response per call: a stream can be consumed once, the file many times.
        return httpx.Response(200, headers={"content-type": self.content_type},
                              stream=_FileBody(self.path))

    @functools.cached_property
    def response(self) -> httpx.Response:
        """The content as a read ``httpx.Response`` (the SDK's attribute)."""
        return httpx.Response(200, headers={"content-type": self.content_type},
                              content=self.content)

    @property
    def content(self) -> bytes:
        return self.path.read_bytes()

    @property
    def text(self) -> str:
        return self.response.text

    @property
    def encoding(self) -> str | None:
        return self._streaming().encoding

    @property
    def charset_encoding(self) -> str | None:
        return self._streaming().charset_encoding

    def json(self, **kwargs: Any) -> Any:
        return self.response.json(**kwargs)

    def read(self) -> bytes:
        return self.content

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return self._streaming().iter_bytes(chunk_size or CHUNK)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        return self._streaming().iter_text(chunk_size)

    def iter_lines(self) -> Iterator[str]:
        return self._streaming().iter_lines()

    def iter_raw(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return self._streaming().iter_raw(chunk_size)

    def write_to_file(self, file: str | os.PathLike[str]) -> None:
        with open(file, "wb") as out:
            for chunk in self.iter_bytes():
                out.write(chunk)

    def stream_to_file(self, file: str | os.PathLike[str], *,
                       chunk_size: int | None = None) -> None:
        with open(file, "wb") as out:
            for chunk in self.iter_bytes(chunk_size):
                out.write(chunk)

    def close(self) -> None:
        """Nothing is held open between calls."""

    async def aread(self) -> bytes:
        return await asyncio.to_thread(self.read)

    def aiter_bytes(self, chunk_size: int | None = None) -> _Chunks[bytes]:
        return _Chunks(self._streaming().aiter_bytes(chunk_size or CHUNK))

    def aiter_text(self, chunk_size: int | None = None) -> _Chunks[str]:
        return _Chunks(self._streaming().aiter_text(chunk_size))

    def aiter_lines(self) -> _Chunks[str]:
        return _Chunks(self._streaming().aiter_lines())

    def aiter_raw(self, chunk_size: int | None = None) -> _Chunks[bytes]:
        return _Chunks(self._streaming().aiter_raw(chunk_size))

    async def awrite_to_file(self, file: str | os.PathLike[str]) -> None:
        await asyncio.to_thread(self.write_to_file, file)

    async def astream_to_file(self, file: str | os.PathLike[str], *,
                              chunk_size: int | None = None) -> None:
        await asyncio.to_thread(self.stream_to_file, file, chunk_size=chunk_size)

    async def aclose(self) -> None:
        """Nothing is held open between calls."""


class _CursorPage(Generic[T]):
    """What both page kinds hold: one ``VideoList`` and how to fetch the page after it."""

    def __init__(self, page: VideoList, fetch: Callable[[str], Any]) -> None:
        self._page, self._fetch = page, fetch
        self.data: list[Any] = list(page.data)
        self.has_more, self.first_id, self.last_id = page.has_more, page.first_id, page.last_id
        self.object = "list"

    def has_next_page(self) -> bool:
        return self.has_more and bool(self.last_id)

    def _next_after(self) -> str:
        if not self.has_next_page():
            raise RuntimeError("No next page expected; check `.has_next_page()` first.")
        assert self.last_id is not None
        return self.last_id

    def to_dict(self) -> dict[str, Any]:
        return self._page.to_wire()


class SyncCursorPage(_CursorPage[T]):
    """A page of videos; iterating it walks every later page too (like the SDK's)."""

    def get_next_page(self) -> SyncCursorPage[T]:
        return SyncCursorPage(self._fetch(self._next_after()), self._fetch)

    def iter_pages(self) -> Iterator[SyncCursorPage[T]]:
        page: SyncCursorPage[T] = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[Any]:
        for page in self.iter_pages():
            yield from page.data


class AsyncCursorPage(_CursorPage[T]):
    """An async page of videos; ``async for`` walks every later page too."""

    async def get_next_page(self) -> AsyncCursorPage[T]:
        return AsyncCursorPage(await self._fetch(self._next_after()), self._fetch)

    async def iter_pages(self) -> AsyncIterator[AsyncCursorPage[T]]:
        page: AsyncCursorPage[T] = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item


class AsyncPaginator(Generic[T]):
    """``await videos.list()`` gives the first page; ``async for`` walks every item."""

    def __init__(self, first: Callable[[], Any]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncCursorPage[T]]:
        return self._first().__await__()  # type: ignore[no-any-return]

    async def __aiter__(self) -> AsyncIterator[Any]:
        page: AsyncCursorPage[T] = await self._first()
        async for item in page:
            yield item
