"""Runway's answers as typed shapes: the task object and the error body
(shared/reference/runway-gen4.md). Lenient: fields Runway adds are ignored."""

from __future__ import annotations

from pydantic import Field

from vidbridge.wire import WireModel


class Credits(WireModel):
    credits: float | None = None


class Task(WireModel):
    id: str = Field(min_length=1)
    status: str | None = None
    progress: float | None = None  # 0-1 while RUNNING
    createdAt: str | None = None  # noqa: N815 - wire names
    output: list[str] = []
    failure: str | None = None
    failureCode: str | None = None  # noqa: N815
    cost: Credits | None = None
    estimatedCost: Credits | None = None  # noqa: N815


class Issue(WireModel):
    path: list[str] = []
    code: str | None = None
    message: str | None = None


class ErrorBody(WireModel):
    error: str | None = None
    issues: list[Issue] = []
