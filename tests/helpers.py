"""Build clients around the fake Acme server, sync or async, with one call shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx

from vidbridge import AsyncVideoClient, Credentials, VideoClient
from vidbridge.plugins import new_plugin_manager, register

from .fakes import Acme, AcmePlugin, FakeAcme, FakeClock


def acme_pm(*adapters: Acme) -> Any:
    pm = new_plugin_manager(load_entry_points=False)
    register(AcmePlugin(*adapters), name="acme-test", pm=pm)
    return pm


class Runner:
    """Calls a client method sync or async; tests are written once for both drivers."""

    def __init__(self, mode: str, server: FakeAcme, clock: FakeClock, pm: Any = None,
                 **client: Any) -> None:
        self.mode, self.server, self.clock = mode, server, clock
        names = [a.name for a in (pm or acme_pm()).hook.video_providers()[0]] if pm else ["acme"]
        creds = {name: Credentials(name=f"{name}-key", api_key="test-key") for name in names}
        common = dict(credentials=client.pop("credentials", creds), clock=clock,
                      pm=pm or acme_pm(), **client)
        if mode == "sync":
            self.client: Any = VideoClient(transport=httpx.MockTransport(server),
                                           sleep=clock.sleep, **common)
        else:
            self.client = AsyncVideoClient(transport=httpx.MockTransport(server),
                                           sleep=clock.asleep, **common)

    def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        call: Callable[..., Any] = getattr(self.client, method)
        if self.mode == "sync":
            return call(*args, **kwargs)

        async def main() -> Any:
            return await call(*args, **kwargs)

        return anyio.run(main)
