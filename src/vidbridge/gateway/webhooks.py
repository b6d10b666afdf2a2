"""The gateway's outbound webhooks: ``[[gateway.webhooks]]`` wired to the video service.

Every completed or failed video is published to the endpoints that want it (all keys, or the
one named by ``key``), recorded in the gateway database's ``webhook_deliveries`` table and
sent by tasks on the server's loop; deliveries still pending at shutdown resume at the next
start. See ``vidbridge.webhooks`` for the format, signing and retries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..compat._service import VideoService
from ..compat._video import Video
from ..config import GatewayConfig
from ..webhooks import DeliveryLog, Dispatcher, endpoints


def attach(gateway: GatewayConfig, service: VideoService, database: str | Path,
           environ: Mapping[str, str], key_name: Callable[[str], str | None],
           **options: Any) -> Dispatcher | None:
    """A dispatcher publishing ``service``'s terminal videos, or None with no endpoints.
    ``options`` go to the ``Dispatcher`` (clock, sleep, http: tests)."""
    if not gateway.webhooks:
        return None
    dispatcher = Dispatcher(endpoints(gateway.webhooks, environ), DeliveryLog(database),
                            **options)

    def publish(video: Video, owner: str) -> None:
        dispatcher.publish(video.id, video.status, key_name(owner))

    service.listeners.append(publish)
    return dispatcher
