"""No secret is reachable from an exception, a log line at DEBUG, the ledger or any file a
run writes: every credential field holds a canary, the transport fails in every way httpx
can, and everything the run leaves behind is searched for the canary."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from vidbridge import AsyncVideoClient, Credentials, VidbridgeError
from vidbridge.ledger import Ledger
from vidbridge.simulator import SimulatorSettings, create_app

from ..e2e.conftest import BASE, FAST, WIRES, Wire

CANARY = "canary-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c"  # 40 chars: long enough for HS256


def canary_credentials(wire: Wire) -> Credentials:
    return Credentials(name=f"{wire.name}-canary", api_key=SecretStr(CANARY),
                       secret_key=SecretStr(CANARY), base_url=BASE + wire.prefix,
                       options=dict(wire.options))


class Faulty(httpx.AsyncBaseTransport):
    """The simulator, except that calls matching ``when`` fail with ``error``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, error: type[httpx.TransportError],
                 when: str) -> None:
        self.inner, self.error, self.when, self.calls = inner, error, when, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        kind = ("submit" if self.calls == 1 else
                "download" if request.url.path.endswith(("/content", ":download"))
                or "alt=media" in str(request.url) or ".mp4" in request.url.path else "poll")
        if kind == self.when or self.when == "all":
            raise self.error(f"injected {self.error.__name__}", request=request)
        return await self.inner.handle_async_request(request)


FAULTS = [(httpx.ConnectError, "submit"), (httpx.ReadTimeout, "submit"),
          (httpx.RemoteProtocolError, "submit"), (httpx.ReadError, "poll"),
          (httpx.WriteTimeout, "poll"), (httpx.RemoteProtocolError, "download"),
          (httpx.ConnectError, "all")]


def chain(error: BaseException) -> Iterator[BaseException]:
    """Every exception reachable from ``error``: causes, contexts and routed attempts."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [linked for linked in (current.__cause__, current.__context__) if linked]
        todo += [item for item in getattr(current, "attempts", ()) or ()
                 if isinstance(item, BaseException)]


def leaks(error: BaseException) -> list[str]:
    found = []
    for linked in chain(error):
        if isinstance(linked, httpx.HTTPError):
            found.append(f"{type(linked).__name__} (holds the request) in the chain")
        for name, value in vars(linked).items():
            if isinstance(value, httpx.Request | httpx.Response | httpx.Headers):
                found.append(f"{type(linked).__name__}.{name} holds {type(value).__name__}")
        texts = [str(linked), repr(linked), repr(vars(linked)), repr(linked.args)]
        if any(CANARY in text for text in texts):
            found.append(f"canary in {type(linked).__name__}")
    return found


def searched_files(root: Path) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and CANARY.encode() in path.read_bytes():
            hits.append(str(path))
    return hits


@pytest.mark.parametrize(("error", "when"), FAULTS,
                         ids=[f"{e.__name__}-{w}" for e, w in FAULTS])
@pytest.mark.parametrize("wire", WIRES, ids=[w.name for w in WIRES])
@pytest.mark.anyio
async def test_no_canary_behind_any_transport_failure(
        wire: Wire, error: type[httpx.TransportError], when: str, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_app(SimulatorSettings(fast=True, sora_retired=False))
    transport = Faulty(httpx.ASGITransport(app=app), error, when)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    client = AsyncVideoClient(credentials={wire.provider: canary_credentials(wire)},
                              http=httpx.AsyncClient(transport=transport, timeout=30),
                              poll=FAST, sleep=lambda seconds: None, ledger=ledger)
    raised: BaseException | None = None
    try:
        await client.generate({"prompt": "a canary in a coal mine", "duration": 5},
                              model=f"{wire.provider}:{wire.model}",
                              output=tmp_path / "out.mp4")
    except VidbridgeError as failure:
        raised = failure
    finally:
        await client.aclose()
    if when in ("submit", "all"):
        assert raised is not None, "a failed submit must raise"
    if raised is not None:
        assert leaks(raised) == []
    assert CANARY not in caplog.text
    assert not [r for r in caplog.records if CANARY in repr(r.args) or CANARY in str(r.msg)]
    database = sqlite3.connect(tmp_path / "ledger.sqlite3")
    tables = [name for (name,) in database.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables  # the ledger was written
    for table in tables:
        assert CANARY not in repr(database.execute(f"SELECT * FROM {table}").fetchall())
    assert searched_files(tmp_path) == []


def test_the_chain_walk_would_see_an_httpx_error() -> None:
    """The check can fail: an error raised inside the except block keeps the httpx error."""
    request = httpx.Request("GET", "https://x.invalid", headers={"authorization": CANARY})
    try:
        try:
            raise httpx.ReadError("boom", request=request)
        except httpx.ReadError:
            raise VidbridgeError("wrapped") from None
    except VidbridgeError as wrapped:
        assert leaks(wrapped)  # from None hides it from tracebacks, not from __context__
