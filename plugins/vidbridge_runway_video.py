"""How a source video travels to Runway's ``videoUri`` (runwayml 5.24.0
``video_to_video_create_params``: "A HTTPS URL, Runway upload URI, or base64 data URI (e.g.
``data:video/mp4;base64,...``, up to 16MB)").

An https URL is sent as is (Runway fetches it); a local file becomes a data URI when it fits
the limit, else a ``CapabilityError`` on ``source_video`` names the limit, before any HTTP.
Uploads (``POST /v1/uploads``, ``runway://``) for larger files are not wired.
"""

from __future__ import annotations

import base64

from vidbridge import errors
from vidbridge.models import VideoInput, sniff_video_type
from vidbridge_runway_models import MAX_VIDEO_DATA_URI, VIDEO_MIME

PREFIX = f"data:{VIDEO_MIME};base64,"


def video_uri(video: VideoInput, model: str) -> str:
    if video.url is not None:
        return video.url
    name = f"runway:{model}"
    allowed = [f"an MP4 file whose data URI is at most {MAX_VIDEO_DATA_URI} characters "
               f"(a file of at most {max_video_bytes()} bytes)", "an https URL"]
    shown = "; allowed source_video: " + " or ".join(allowed)
    path = video.path
    if path is None:  # VideoInput holds a url or a path; this keeps the type checker sure
        raise ValueError("a source video needs a url or a path")
    try:
        size = path.stat().st_size  # known before reading: a too-large file is never loaded
    except OSError as gone:
        raise errors.CapabilityError(f"{name}: the source video {str(path)!r} cannot be read "
                                     f"({type(gone).__name__}){shown}", field="source_video",
                                     allowed=allowed, model=model) from None
    if size > max_video_bytes():
        raise errors.CapabilityError(
            f"{name}: the source video has {size} bytes, over Runway's 16 MB data-URI "
            f"limit{shown}", field="source_video", allowed=allowed, model=model)
    data = video.read()
    kind = sniff_video_type(data)
    if kind != VIDEO_MIME:
        raise errors.CapabilityError(
            f"{name}: the source video is {kind or 'not a known video type'}, not MP4{shown}",
            field="source_video", allowed=allowed, model=model)
    return PREFIX + base64.b64encode(data).decode("ascii")


def max_video_bytes() -> int:
    """The largest file whose data URI (prefix plus base64 body) fits the limit."""
    return (MAX_VIDEO_DATA_URI - len(PREFIX)) // 4 * 3
