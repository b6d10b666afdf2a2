"""Input media: images (bytes or URL) and source videos, and sniffing their types."""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from ._base import Frozen

IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


# --- images ----------------------------------------------------------------------------------

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF8", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
)


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type the bytes' signature shows, or None when it is not a known image."""
    for magic, offset, mime in _MAGIC:
        if data[offset:offset + len(magic)] == magic and (mime != "image/webp"
                                                          or data[:4] == b"RIFF"):
            return mime
    return None


class ImageInput(Frozen):
    """An input image: bytes with their MIME type, or an http(s) URL."""

    data: bytes | None = Field(default=None, repr=False)
    mime_type: str | None = None
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://[^\s/]+", url):
            raise ValueError(f"image url must be an http(s) URL, not {url[:40]!r}")
        return url

    @model_validator(mode="after")
    def _one_source(self) -> ImageInput:
        if (self.data is None) == (self.url is None):
            raise ValueError("give exactly one of data (with mime_type) or url")
        if self.data is not None:
            if not self.data:
                raise ValueError("image data is empty")
            if self.mime_type not in IMAGE_MIME_TYPES:
                raise ValueError(f"mime_type must be one of {', '.join(IMAGE_MIME_TYPES)}, "
                                 f"not {self.mime_type!r}")
            seen = sniff_image_type(self.data)
            if seen != self.mime_type:
                raise ValueError(f"mime_type says {self.mime_type} but the bytes are "
                                 f"{seen or 'not a known image type'}")
        return self

    @classmethod
    def from_path(cls, path: str | Path) -> ImageInput:
        """Read an image file; its type comes from its bytes, not its name."""
        data = Path(path).read_bytes()
        mime_type = sniff_image_type(data)
        if mime_type is None:  # else pydantic's "mime_type ... not None", naming no file
            from ..errors import CapabilityError

            raise CapabilityError(f"{path} is not an image: its first bytes are not those of a "
                                  "PNG, JPEG, WebP or GIF file", field="image",
                                  allowed=["a PNG, JPEG, WebP or GIF file"])
        return cls(data=data, mime_type=mime_type)

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) of image bytes, read lazily with Pillow; None for a URL.

        Bytes Pillow cannot read (a truncated or corrupt file behind valid magic bytes) are a
        ``CapabilityError`` on ``image``, not Pillow's own exception.
        """
        if self.data is None:
            return None
        try:
            return _image_size(self.data)
        except Exception as unreadable:  # UnidentifiedImageError, SyntaxError, bomb checks...
            reason = f"{type(unreadable).__name__}"
        from ..errors import CapabilityError

        raise CapabilityError(f"the {self.mime_type} image bytes cannot be read ({reason})",
                              field="image", allowed=["a complete PNG, JPEG, WebP or GIF file"])

    def data_uri(self) -> str:
        """The bytes as a ``data:`` URI (several providers take images this way)."""
        if self.data is None:
            raise ValueError("a URL image has no data URI")
        return f"data:{self.mime_type};base64,{self.base64()}"

    def base64(self) -> str:
        if self.data is None:
            raise ValueError("a URL image has no bytes")
        return base64.b64encode(self.data).decode("ascii")


@functools.lru_cache(maxsize=64)
def _image_size(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image  # lazily: only requests with image bytes pay for Pillow

    with Image.open(io.BytesIO(data)) as image:  # reads the header, not the pixels
        return image.size


# --- videos ----------------------------------------------------------------------------------

def sniff_video_type(data: bytes) -> str | None:
    """``video/mp4`` for ISO base media bytes (an ``ftyp`` box first, QuickTime's ``qt``
    brand excepted: that is ``video/quicktime``), else None."""
    if data[4:8] != b"ftyp":
        return None
    return "video/quicktime" if data[8:12] == b"qt  " else "video/mp4"


class VideoInput(Frozen):
    """A source video for video-to-video: an ``https`` URL the provider fetches, or a local
    file whose bytes the adapter sends the way its wire accepts (a data URI within the
    provider's limit, else a ``CapabilityError`` on ``source_video`` before any HTTP).

    ``VideoRequest(source_video=...)`` also takes a bare ``"https://..."`` string or a path.
    """

    url: str | None = None
    path: Path | None = None

    @field_validator("url")
    @classmethod
    def _https_url(cls, url: str | None) -> str | None:
        # Providers fetch the video themselves and (Runway) take HTTPS only.
        if url is not None and not re.match(r"^https://[^\s/]+", url):
            raise ValueError(f"source_video url must be an https URL, not {url[:40]!r}")
        return url

    @model_validator(mode="after")
    def _one_source(self) -> VideoInput:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of url or path for source_video")
        # A path is not checked here: a stored plan must load after its file is gone (the
        # adapter refuses a missing file on ``source_video`` before any HTTP).
        return self

    @classmethod
    def of(cls, value: Any) -> Any:
        """A VideoInput from ``"https://..."``, ``"http://..."`` (refused by the url check),
        a path string or a Path; anything else is returned as is."""
        if isinstance(value, str):
            return cls(url=value) if re.match(r"^[a-zA-Z][\w+.-]*://", value) else cls(
                path=Path(value))
        if isinstance(value, Path):
            return cls(path=value)
        return value

    def describe(self) -> str:
        """How adjustments and errors name this video (never its bytes)."""
        return self.url.split("?", 1)[0] if self.url is not None else str(self.path)

    def read(self) -> bytes:
        """The file's bytes (a URL video has none here: the provider fetches it)."""
        if self.path is None:
            raise ValueError("a URL video has no local bytes")
        return self.path.read_bytes()
