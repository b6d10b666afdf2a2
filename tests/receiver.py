"""A webhook receiver on loopback for tests: records every request, answers from a script."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vidbridge._serving import serve_in_thread


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    answered: int


@dataclass
class Receiver:
    url: str
    down_for: int = 0  # answer 503 to this many requests first ("down", then "up")
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} webhook requests, wanted {count}")
        return list(self.requests)

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.requests if r.answered == 200]


@contextlib.contextmanager
def receiver(down_for: int = 0) -> Iterator[Receiver]:
    state = Receiver(url="", down_for=down_for)

    async def hook(request: Request) -> Response:
        body = await request.body()
        status = 503 if len(state.requests) < state.down_for else 200
        with state.arrived:
            state.requests.append(Received(body, dict(request.headers), status))
            state.arrived.notify_all()
        return Response(status_code=status)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    with serve_in_thread(app, name="webhook-receiver") as base:
        state.url = f"{base}/hook"
        yield state
