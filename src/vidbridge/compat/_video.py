"""The objects the OpenAI Videos API returns, field for field (reference §3.0, §3.3, §3.4).

``Video.vidbridge`` is our one addition: which provider and model served the video, what
normalisation changed, every attempt, and the estimated cost. It is a separate attribute so
code reading the official fields sees exactly the official types.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

VideoStatus = Literal["queued", "in_progress", "completed", "failed"]
TERMINAL: frozenset[str] = frozenset({"completed", "failed"})


class _Object(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def to_dict(self) -> dict[str, Any]:
        """The wire form (what the SDK's ``to_dict`` returns)."""
        return self.model_dump(mode="json")

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


class VideoCreateError(_Object):
    """``Video.error``: why a job failed."""

    code: str
    message: str


class VidbridgeInfo(_Object):
    """What vidbridge did for this video; never holds a key or a provider's signed URL
    (``download_url`` is the gateway's own signed link, made per response)."""

    route: str | None = None
    provider: str | None = None
    model: str | None = None
    adjustments: list[dict[str, Any]] = Field(default_factory=list)
    attempts: list[dict[str, Any]] = Field(default_factory=list)
    estimated_cost_usd: float | None = None
    warnings: list[str] = Field(default_factory=list)
    # A signed link to the content, usable without the gateway key until it expires
    # (gateway only, with a link secret configured).
    download_url: str | None = None


class Video(_Object):
    """The official ``Video`` object."""

    id: str
    object: Literal["video"] = "video"
    created_at: int
    completed_at: int | None = None
    expires_at: int | None = None
    model: str
    progress: int = 0
    prompt: str | None = None
    remixed_from_video_id: str | None = None
    seconds: str
    size: str
    status: VideoStatus
    error: VideoCreateError | None = None
    vidbridge: VidbridgeInfo | None = Field(default=None, exclude=True)

    def to_wire(self, *, with_vidbridge: bool = True) -> dict[str, Any]:
        """The JSON body the gateway sends: official fields, plus ``vidbridge`` (the SDK's
        models accept extra fields, so official clients read it as ``video.vidbridge``)."""
        body = self.model_dump(mode="json")
        if with_vidbridge and self.vidbridge is not None:
            body["vidbridge"] = self.vidbridge.model_dump(mode="json")
        return body


class VideoDeleteResponse(_Object):
    id: str
    object: Literal["video.deleted"] = "video.deleted"
    deleted: bool = True


class VideoList(_Object):
    """One page of ``GET /videos``."""

    object: Literal["list"] = "list"
    data: list[Video]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {"object": self.object, "data": [video.to_wire() for video in self.data],
                "first_id": self.first_id, "last_id": self.last_id, "has_more": self.has_more}
