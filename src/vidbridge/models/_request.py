"""The request: what the caller wants, in provider-neutral terms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from ._base import (
    ASPECT_RATIOS,
    RESOLUTION_PATTERN,
    Frozen,
    aspect_ratio_of,
    parse_size,
    resolution_of,
)
from ._media import ImageInput, VideoInput
from ._results import VideoRef


class VideoRequest(Frozen):
    """What the caller wants, in provider-neutral terms."""

    prompt: str = ""
    negative_prompt: str | None = None
    duration: Annotated[float, Field(gt=0, le=600)] | None = None
    resolution: Annotated[str, Field(pattern=RESOLUTION_PATTERN)] | None = None
    aspect_ratio: str | None = None
    size: str | None = None
    audio: bool | None = None
    image: ImageInput | None = None
    last_frame: ImageInput | None = None
    reference_images: tuple[ImageInput, ...] = ()
    seed: Annotated[int, Field(ge=0, lt=2**32)] | None = None
    # Continue a finished clip: a Job or VideoResult of the same provider, or a VideoRef.
    extend: VideoRef | None = None
    # Edit a video (video-to-video): only models with ``video_input`` take it; elsewhere
    # normalisation reports it dropped (strict: refuses).
    source_video: VideoInput | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("extend", mode="before")
    @classmethod
    def _extend_source(cls, value: Any) -> Any:
        return VideoRef.of(value)

    @field_validator("source_video", mode="before")
    @classmethod
    def _source_video(cls, value: Any) -> Any:
        return VideoInput.of(value)

    @field_validator("prompt")
    @classmethod
    def _prompt_text(cls, prompt: str) -> str:
        return prompt.strip()

    @field_validator("duration", mode="before")
    @classmethod
    def _numeric_duration(cls, value: Any) -> Any:
        if isinstance(value, bool) or (value is not None and not isinstance(value, int | float)):
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
            raise ValueError(f"duration must be a number of seconds, not {value!r}")
        return value

    @field_validator("aspect_ratio")
    @classmethod
    def _known_ratio(cls, ratio: str | None) -> str | None:
        if ratio is not None and ratio not in ASPECT_RATIOS:
            raise ValueError(f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}, "
                             f"not {ratio!r}")
        return ratio

    @field_validator("size")
    @classmethod
    def _size_shape(cls, size: str | None) -> str | None:
        if size is not None:
            parse_size(size)
        return size

    @model_validator(mode="after")
    def _consistent(self) -> VideoRequest:
        if (not self.prompt and self.image is None and self.extend is None
                and self.source_video is None):
            raise ValueError("prompt must not be empty (it may be omitted only with an image, "
                             "a video to extend or a source video)")
        if self.extend is not None and self.source_video is not None:
            raise ValueError("give extend (continue a clip) or source_video (edit a video), "
                             "not both")
        if self.last_frame is not None and self.image is None:
            raise ValueError("last_frame needs image (the first frame) as well")
        if self.size is not None:
            width, height = parse_size(self.size)
            if self.resolution is not None and self.resolution != resolution_of(width, height):
                raise ValueError(f"size {self.size} is {resolution_of(width, height)}, "
                                 f"which conflicts with resolution {self.resolution!r}")
            if self.aspect_ratio is not None and self.aspect_ratio != aspect_ratio_of(width,
                                                                                        height):
                raise ValueError(f"size {self.size} conflicts with aspect_ratio "
                                 f"{self.aspect_ratio!r}")
        return self

    @property
    def wanted_aspect_ratio(self) -> str | None:
        if self.size is not None:
            return aspect_ratio_of(*parse_size(self.size))
        return self.aspect_ratio

    @property
    def wanted_resolution(self) -> str | None:
        if self.size is not None:
            return resolution_of(*parse_size(self.size))
        return self.resolution


def as_request(value: VideoRequest | Mapping[str, Any]) -> VideoRequest:
    """Accept a request model or a plain mapping of its fields."""
    return value if isinstance(value, VideoRequest) else VideoRequest.model_validate(value)
