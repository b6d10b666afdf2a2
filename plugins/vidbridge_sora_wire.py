"""The OpenAI Videos API's answers as typed shapes (shared/reference/openai-sora.md §3).

Read leniently: fields OpenAI adds are ignored, numbers are accepted where a string is
declared. A field of the wrong type makes the whole body unreadable, which the adapter
reports as a typed error naming the field.
"""

from __future__ import annotations

from typing import Any

from vidbridge.wire import WireModel


class VideoError(WireModel):
    code: str | None = None
    message: str | None = None
    headers: Any = None  # present on failures OpenAI says are worth retrying


class Video(WireModel):
    id: str
    status: str
    model: str | None = None
    progress: float | None = None
    created_at: float | None = None
    completed_at: float | None = None
    size: str | None = None
    seconds: str | None = None
    prompt: str | None = None
    remixed_from_video_id: str | None = None
    expires_at: str | None = None
    error: VideoError | None = None


class VideoList(WireModel):
    data: list[Video] = []


class ErrorBody(WireModel):
    code: str | None = None
    message: str | None = None
    param: str | None = None


