"""Reading videos: one video as the caller sees it now (the store, plus the job ledger
while it runs), a page of them, deletion, and where a completed video's content is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..storage import is_url
from . import _errors as e
from ._store import UNFINISHED, VideoRecord, VideoStore
from ._video import VidbridgeInfo, Video, VideoCreateError, VideoDeleteResponse, VideoList

if TYPE_CHECKING:
    from ..client import ClientCore
    from ..storage import LocalStorage, RemoteStorage

# Ledger states whose job the caller sees as queued / in progress.
SHOWN_STATES = frozenset({"accepted", "succeeded", "timeout", "downloaded", "finished"})
VARIANTS = ("video", "thumbnail", "spritesheet")


class VideoReads:
    """``VideoService``'s reads (a part of it: ``VideoService.__init__`` sets this state)."""

    core: ClientCore
    store: VideoStore
    storage: LocalStorage | RemoteStorage
    clock: Callable[[], float]

    def retrieve(self, owner: str, video_id: str) -> Video:
        return self.view(self._owned(owner, video_id))

    def _owned(self, owner: str | None, video_id: str) -> VideoRecord:
        """The record if ``owner`` may see it (None: a caller holding a signed link)."""
        record = self.store.get(video_id)
        if record is None or owner is not None and record.owner != owner:
            # another key's video does not exist
            raise e.video_not_found(video_id)
        return record

    def view(self, record: VideoRecord) -> Video:
        """The Video as the caller sees it now: the store, plus the ledger while it runs."""
        status, progress = record.status, record.progress
        info = VidbridgeInfo.model_validate_json(record.info) if record.info else None
        if status in UNFINISHED:
            live = [job for state, job in self.core.ledger.by_request(record.id)
                    if state in SHOWN_STATES]
            if live:
                job = live[-1]
                waiting = job.status == "queued" and len(live) == 1
                status = "queued" if waiting else "in_progress"
                progress = max(0, min(99, int(job.progress or 0)))
                if info is not None:
                    info = info.model_copy(update={"provider": job.provider,
                                                   "model": job.model})
        error = VideoCreateError.model_validate_json(record.error) if record.error else None
        return Video(id=record.id, created_at=record.created_at,
                     completed_at=record.completed_at, expires_at=record.expires_at,
                     model=record.model, progress=progress, prompt=record.prompt,
                     remixed_from_video_id=record.remixed_from, seconds=record.seconds,
                     size=record.size, status=status,
                     error=error, vidbridge=info)

    def list(self, owner: str, *, after: str | None = None, limit: int | None = None,
             order: str | None = None) -> VideoList:
        order = order or "desc"
        if order not in ("asc", "desc"):
            raise e.BadRequestError(f"Invalid value: '{order}'. Supported values are: 'asc' "
                                    "and 'desc'.", param="order", code="invalid_value")
        limit = 20 if limit is None else limit
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            raise e.BadRequestError(f"Invalid 'limit': expected an integer from 1 to 100, "
                                    f"got {limit!r}.", param="limit", code="invalid_value")
        records, more = self.store.page(owner, after=after, limit=limit, order=order)
        data = [self.view(record) for record in records]
        return VideoList(data=data, first_id=data[0].id if data else None,
                         last_id=data[-1].id if data else None, has_more=more)

    def delete(self, owner: str, video_id: str) -> VideoDeleteResponse:
        record = self._owned(owner, video_id)
        if record.status in UNFINISHED:
            raise e.BadRequestError(f"Video with id '{video_id}' is still being generated and "
                                    "cannot be deleted.", param="video_id")
        self.store.delete(video_id)
        self.storage.remove(video_id)
        return VideoDeleteResponse(id=video_id)

    def content(self, owner: str | None, video_id: str,
                variant: str | None = None) -> tuple[Path, str]:
        """(file, media type) of a completed video's ``variant``; 404 before or after. A video
        kept in remote storage is fetched to a local copy first (streamed)."""
        where, media_type, _ = self.locate(owner, video_id, variant)
        if isinstance(where, Path):
            return where, media_type
        path = self.storage.local(where)
        if (variant or "video") == "video":
            return path, media_type
        from ._variants import still

        return still(path, variant or "video")

    def locate(self, owner: str | None, video_id: str,
               variant: str | None = None) -> tuple[Path | str, str, int | None]:
        """(local file or storage URL, media type, size when known) of a completed video's
        ``variant``: the gateway streams a URL from storage; 404 before or after."""
        variant = variant or "video"
        if variant not in VARIANTS:
            raise e.BadRequestError(f"Invalid value: '{variant}'. Supported values are: "
                                    "'video', 'thumbnail', and 'spritesheet'.",
                                    param="variant", code="invalid_value")
        record = self._owned(owner, video_id)
        if record.status != "completed" or not record.output:
            raise e.NotFoundError(f"Video with id '{video_id}' is {self.view(record).status}; "
                                  "its content is available once it is completed.")
        if record.expires_at is not None and record.expires_at <= self.clock():
            raise e.NotFoundError(f"The content of video '{video_id}' expired at "
                                  f"{record.expires_at}.")
        if is_url(record.output):
            try:
                size = self.storage.size(record.output) if self.storage.remote else None
            except (OSError, ValueError):  # FileNotFoundError among them
                size = None
            if size is None:
                raise e.NotFoundError(f"The content of video '{video_id}' is no longer "
                                      "stored.")
            if variant == "video":
                return record.output, "video/mp4", size
            return record.output, "", size  # a still: made from a local copy by content()
        path = Path(record.output)
        if not path.exists():
            raise e.NotFoundError(f"The content of video '{video_id}' is no longer stored.")
        if variant == "video":
            return path, "video/mp4", path.stat().st_size
        from ._variants import still

        made, media_type = still(path, variant)
        return made, media_type, None
