"""Veo's answers as typed shapes: the long-running operation and the Google error envelope
(shared/reference/google-veo.md). Lenient: fields Google adds are ignored."""

from __future__ import annotations

from pydantic import Field

from vidbridge.wire import WireModel


class Video(WireModel):
    uri: str | None = None  # Gemini API: a files/... download URL
    gcsUri: str | None = None  # Vertex with storageUri  # noqa: N815 - wire names
    bytesBase64Encoded: str | None = None  # Vertex inline  # noqa: N815
    encodedVideo: str | None = None  # noqa: N815
    mimeType: str | None = None  # noqa: N815


class Sample(WireModel):
    video: Video | None = None


class Generated(WireModel):
    generatedSamples: list[Sample] = []  # noqa: N815
    raiMediaFilteredReasons: list[str] = []  # noqa: N815
    raiMediaFilteredCount: int | None = None  # noqa: N815


class Result(WireModel):
    generateVideoResponse: Generated | None = None  # Gemini  # noqa: N815
    videos: list[Video] = []  # Vertex
    raiMediaFilteredReasons: list[str] = []  # noqa: N815
    raiMediaFilteredCount: int | None = None  # noqa: N815


class Status(WireModel):
    """google.rpc.Status: a numeric gRPC code on a failed operation."""

    code: int | None = None
    message: str | None = None


class Operation(WireModel):
    name: str = Field(min_length=1)
    done: bool | None = None  # missing means false
    error: Status | None = None
    response: Result | None = None


class ErrorDetail(WireModel):
    type: str | None = Field(default=None, alias="@type")
    reason: str | None = None
    retryDelay: str | None = None  # noqa: N815


class ErrorInfo(WireModel):
    code: int | None = None
    message: str | None = None
    status: str | None = None
    details: list[ErrorDetail] = []


class ErrorEnvelope(WireModel):
    error: ErrorInfo | None = None
