"""Signed content links: ``video.vidbridge.download_url``, usable without the gateway key.

A link names the video, the variant and an expiry, and carries an HMAC-SHA256 of the three
under ``$VIDBRIDGE_LINK_SECRET`` (``[gateway] link_secret_env``). Whoever holds the link may
download that one variant until it expires; a changed byte anywhere, or a late use, is a 403.
The secret is held as a ``SecretStr`` and never logged; the signature (a capability for an
hour) is cut from uvicorn's access log lines too. Without the variable no links are made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from pydantic import SecretStr

from ..compat._errors import PermissionDeniedError
from ..compat._video import Video
from ..config import GatewayConfig
from ..redaction import cut_from_access_log
from .bodies import whole_number

log = logging.getLogger("vidbridge.gateway")
PATH = "/v1/vidbridge/links/{video_id}/content"
REFUSED = "This download link is invalid or has expired; retrieve the video for a new one."
_SIGNATURE = re.compile(r"(signature=)[^&\s\"]+")


class LinkSigner:
    """Makes and checks signed content links."""

    def __init__(self, secret: SecretStr, ttl_s: float = 3600.0,
                 clock: Callable[[], float] = time.time) -> None:
        if len(secret.get_secret_value()) < 16:
            raise ValueError("the link secret needs at least 16 characters")
        self._key = secret
        self.ttl_s = ttl_s
        self.clock = clock

    @classmethod
    def from_config(cls, gateway: GatewayConfig, environ: Mapping[str, str],
                    clock: Callable[[], float] = time.time) -> LinkSigner | None:
        value = environ.get(gateway.link_secret_env, "")
        if not value:
            log.info("no $%s: videos get no signed download_url", gateway.link_secret_env)
            return None
        cut_from_access_log(_SIGNATURE)  # a signed link in the access log is a usable link
        return cls(SecretStr(value), gateway.link_ttl_s, clock)

    def _mac(self, video_id: str, variant: str, expires: int) -> str:
        message = f"{video_id}\n{variant}\n{expires}".encode()
        digest = hmac.new(self._key.get_secret_value().encode(), message, hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()

    def url(self, base_url: str, video_id: str, variant: str = "video") -> str:
        """An absolute link to ``variant`` of ``video_id``, valid for ``ttl_s``."""
        expires = int(self.clock() + self.ttl_s)
        query = urlencode({"variant": variant, "expires": expires,
                           "signature": self._mac(video_id, variant, expires)})
        return f"{base_url.rstrip('/')}{PATH.format(video_id=video_id)}?{query}"

    def check(self, video_id: str, query: Mapping[str, str]) -> str:
        """The variant a link grants, or 403 (expired, altered, incomplete)."""
        variant, expires, signature = (query.get(name, "") for name in
                                       ("variant", "expires", "signature"))
        expiry = whole_number(expires)  # a Unix time
        if expiry is None or not signature:
            raise PermissionDeniedError(REFUSED, code="invalid_link")
        expected = self._mac(video_id, variant, expiry)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise PermissionDeniedError(REFUSED, code="invalid_link")
        if expiry <= self.clock():
            raise PermissionDeniedError(REFUSED, code="link_expired")
        return variant

    def decorate(self, video: Video, base_url: str) -> Video:
        """``video`` with ``vidbridge.download_url`` set once its content exists."""
        if video.status != "completed" or video.vidbridge is None:
            return video
        info = video.vidbridge.model_copy(update={"download_url": self.url(base_url,
                                                                             video.id)})
        return video.model_copy(update={"vidbridge": info})

