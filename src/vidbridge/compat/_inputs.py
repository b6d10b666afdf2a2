"""The OpenAI create parameters as a ``VideoRequest``: ``seconds`` and ``size`` checked the
way the official API checks them, and ``input_reference`` read from whatever the SDK accepts
(bytes, a file, a path, a tuple, ``{"image_url": ...}``) and checked before any provider
sees it. Every refusal is a 400 naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..models import VideoRequest, sniff_image_type
from . import _errors as e

WHOLE_SECONDS = re.compile(r"[0-9]{1,4}")
DEFAULT_SECONDS = "4"
DEFAULT_SIZE = "720x1280"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")  # what Sora took (reference §1)
DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024


class RequestInputs:
    """``VideoService``'s request building (a part of it: ``VideoService`` sets the limit)."""

    max_image_bytes: int

    def build_request(self, prompt: str, seconds: Any, size: Any,
                      input_reference: Any) -> VideoRequest:
        """The OpenAI parameters as a ``VideoRequest``; 400 naming the parameter otherwise."""
        seconds = DEFAULT_SECONDS if seconds is None else seconds
        if isinstance(seconds, bool) or not isinstance(seconds, str | int):
            raise e.BadRequestError(f"Invalid type for 'seconds': expected a string such as "
                                    f"'4', but got {type(seconds).__name__} instead.",
                                    param="seconds", code="invalid_type")
        text = str(seconds).strip()
        # ASCII digits only, and few: str.isdigit() accepts "²" and int() refuses it, and a
        # 5,000-digit number is past int()'s limit; both are the caller's mistake, never a 500.
        if not WHOLE_SECONDS.fullmatch(text) or int(text) <= 0:
            raise e.BadRequestError(f"Invalid value: '{seconds}'. 'seconds' must be a whole "
                                    "number of seconds such as '4', '8' or '12'.",
                                    param="seconds", code="invalid_value")
        fields: dict[str, Any] = {"prompt": prompt, "duration": int(text),
                                  "size": DEFAULT_SIZE if size is None else size}
        if input_reference is not None:
            fields["image"] = self.image(input_reference)
        try:
            return VideoRequest.model_validate(fields)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = str(error["loc"][0]) if error["loc"] else ""
            raise e.BadRequestError(f"Invalid '{e.PARAM_OF.get(where, where)}': "
                                    f"{error['msg'].removeprefix('Value error, ')}",
                                    param=e.PARAM_OF.get(where, where),
                                    code="invalid_value") from None

    def image(self, reference: Any) -> Any:
        """An ``ImageInput`` from what the SDK accepts: bytes, a file, a path, a
        ``(name, content[, type])`` tuple, or ``{"image_url": ...}``; checked before any
        provider sees it (type from the bytes, size, readable by Pillow)."""
        from ..models import ImageInput

        if isinstance(reference, Mapping):
            if "file_id" in reference:
                raise e.BadRequestError("input_reference.file_id is not supported here: "
                                        "upload the image or give image_url.",
                                        param="input_reference", code="unsupported_value")
            url = reference.get("image_url")
            if not isinstance(url, str) or not url:
                raise e.BadRequestError("Invalid 'input_reference': provide exactly one of "
                                        "'image_url' or 'file_id'.", param="input_reference",
                                        code="invalid_value")
            if not url.startswith("data:"):
                try:
                    return ImageInput(url=url)
                except ValidationError:
                    raise e.BadRequestError("Invalid 'input_reference.image_url': expected an "
                                            "http(s) or data: URL.", param="input_reference",
                                            code="invalid_value") from None
            data = _data_url_bytes(url)
        else:
            data = _file_bytes(reference)
        if len(data) > self.max_image_bytes:
            raise e.BadRequestError(f"input_reference is {len(data)} bytes; the limit is "
                                    f"{self.max_image_bytes}.", param="input_reference",
                                    code="image_too_large")
        mime = sniff_image_type(data)
        if mime not in IMAGE_TYPES:
            raise e.BadRequestError("input_reference must be a JPEG, PNG or WebP image"
                                    + (f", not {mime}." if mime else "."),
                                    param="input_reference", code="invalid_image_format")
        image = ImageInput(data=data, mime_type=mime)
        try:
            image.size  # noqa: B018 - a header Pillow cannot read is a broken upload
        except Exception:
            raise e.BadRequestError("input_reference could not be read as an image.",
                                    param="input_reference", code="invalid_image") from None
        return image


def _data_url_bytes(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if not header.endswith(";base64"):
        raise e.BadRequestError("Invalid 'input_reference.image_url': a data: URL must be "
                                "base64-encoded.", param="input_reference", code="invalid_value")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise e.BadRequestError("Invalid 'input_reference.image_url': the data: URL is not "
                                "valid base64.", param="input_reference",
                                code="invalid_value") from None


def _file_bytes(reference: Any) -> bytes:
    """Bytes from the SDK's ``FileTypes``: bytes, a binary file, a path, or a tuple."""
    if isinstance(reference, tuple) and len(reference) >= 2:
        reference = reference[1]
    if isinstance(reference, bytes | bytearray | memoryview):
        return bytes(reference)
    if isinstance(reference, os.PathLike):
        return Path(reference).read_bytes()
    read = getattr(reference, "read", None)
    if callable(read):
        data = read()
        if isinstance(data, bytes):
            return data
    if isinstance(reference, str):
        raise e.BadRequestError("input_reference must be the image's bytes, a file or a "
                                "path object, or {'image_url': ...}; a str is ambiguous.",
                                param="input_reference", code="invalid_type")
    raise e.BadRequestError(f"input_reference of type {type(reference).__name__} is not an "
                            "image upload.", param="input_reference", code="invalid_type")
