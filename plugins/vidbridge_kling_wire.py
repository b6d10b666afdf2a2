"""Kling's answers as typed shapes: the ``{code, message, request_id, data}`` envelope and the
task object (shared/reference/kling.md). Lenient: fields Kling adds are ignored."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from vidbridge.wire import WireModel


class Envelope(WireModel):
    code: int | None = None  # 0 on success, even inside an HTTP 200
    message: str | None = None
    request_id: str | None = None
    data: Any = None


class Video(WireModel):
    id: str | None = None
    url: str | None = None
    duration: str | None = None


class TaskResult(WireModel):
    videos: list[Video] = []


class TaskInfo(WireModel):
    external_task_id: str | None = None


class Task(WireModel):
    task_id: str | None = None
    task_status: str | None = None
    task_status_msg: str | None = None
    task_info: TaskInfo | None = None
    task_result: TaskResult | None = None
    final_unit_deduction: float | None = Field(default=None, allow_inf_nan=False)
    created_at: int | None = None  # milliseconds
    updated_at: int | None = None
