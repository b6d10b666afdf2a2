"""What the compat clients hand back besides videos: a download's content and list pages,
shaped like the ``openai`` SDK's (``HttpxBinaryResponseContent``, ``SyncCursorPage``,
``AsyncCursorPage``, and the awaitable-or-iterable ``AsyncPaginator``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

from ._video import VideoList

T = TypeVar("T")


class BinaryContent:
    """What ``download_content`` returns (the SDK's ``HttpxBinaryResponseContent`` API),
    read from the stored file in chunks: ``read``, ``iter_bytes``, ``write_to_file``,
    ``stream_to_file``, and their ``a``-prefixed async forms."""

    def __init__(self, path: Path, content_type: str) -> None:
        self.path = path
        self.content_type = content_type

    @property
    def content(self) -> bytes:
        return self.path.read_bytes()

    def read(self) -> bytes:
        return self.content

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(chunk_size or 64 * 1024):
                yield chunk

    def write_to_file(self, file: str | Path) -> None:
        with Path(file).open("wb") as out:
            for chunk in self.iter_bytes():
                out.write(chunk)

    def stream_to_file(self, file: str | Path, *, chunk_size: int | None = None) -> None:
        with Path(file).open("wb") as out:
            for chunk in self.iter_bytes(chunk_size):
                out.write(chunk)

    def close(self) -> None:
        """Nothing is held open between calls."""

    async def aread(self) -> bytes:
        return await asyncio.to_thread(self.read)

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        for chunk in self.iter_bytes(chunk_size):
            yield chunk

    async def awrite_to_file(self, file: str | Path) -> None:
        await asyncio.to_thread(self.write_to_file, file)

    async def astream_to_file(self, file: str | Path, *, chunk_size: int | None = None) -> None:
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
