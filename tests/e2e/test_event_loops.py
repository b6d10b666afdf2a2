"""One ``AsyncVideoClient`` across several ``asyncio.run`` calls, as scripts and sync web
handlers use it. Over a real loopback socket: httpx's pool binds its connections to the loop
they were opened in, which an in-memory transport never shows."""

from __future__ import annotations

import asyncio
import gc
import warnings
from pathlib import Path

import httpx
import pytest

from vidbridge import AsyncVideoClient, ConfigError, PollPolicy
from vidbridge.config import parse_config
from vidbridge.ledger import Ledger

FAST = PollPolicy(first=0.0, factor=1.0, cap=0.0, jitter=0.0, provider_guidance=False)
REQUEST = {"prompt": "a heron lifting off a pond", "duration": 5}


def config(base: str, tmp_path: Path) -> object:
    return parse_config({"ledger": str(tmp_path / "jobs.sqlite3"),
                         "providers": {"runway": {"base_url": f"{base}/runway",
                                                  "api_key": "sim-runway-key"}}})


def test_a_client_of_ours_follows_each_new_event_loop(simulator_url: str,
                                                     tmp_path: Path) -> None:
    client = AsyncVideoClient(config=config(simulator_url, tmp_path), poll=FAST,
                              sleep=lambda seconds: None)
    results = [asyncio.run(client.generate(REQUEST, model="runway:gen4.5",
                                           output=tmp_path / f"heron-{n}.mp4"))
               for n in range(3)]
    asyncio.run(client.aclose())
    assert [r.job.status for r in results] == ["succeeded"] * 3
    assert len({r.job.id for r in results}) == 3  # three jobs, one per call: none twice
    assert all((tmp_path / f"heron-{n}.mp4").stat().st_size > 0 for n in range(3))


def test_a_callers_http_client_from_a_closed_loop_is_refused_before_anything_is_sent(
        simulator_url: str, tmp_path: Path) -> None:
    sent: list[str] = []

    async def count(request: httpx.Request) -> None:
        sent.append(request.url.path)

    http = httpx.AsyncClient(timeout=10, event_hooks={"request": [count]})
    client = AsyncVideoClient(config=config(simulator_url, tmp_path), http=http, poll=FAST,
                              sleep=lambda seconds: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        asyncio.run(client.generate(REQUEST, model="runway:gen4.5",
                                    output=tmp_path / "first.mp4"))
        used = len(sent)
        with pytest.raises(ConfigError, match="belongs to another event loop .closed.*leave "
                                              "out http="):
            asyncio.run(client.generate(REQUEST, model="runway:gen4.5",
                                        output=tmp_path / "second.mp4",
                                        request_id="order-2"))
    assert len(sent) == used  # nothing sent
    assert Ledger(tmp_path / "jobs.sqlite3").entries("order-2") == []  # nothing written


def test_each_loops_connections_are_closed_before_that_loop_closes(simulator_url: str,
                                                                    tmp_path: Path) -> None:
    """``asyncio.run`` closes its loop on return, and a keep-alive connection still open then
    can never be closed: it was collected later as "ResourceWarning: unclosed transport",
    which a test suite running with ``-W error`` reports as a failure."""
    client = AsyncVideoClient(config=config(simulator_url, tmp_path), poll=FAST,
                              sleep=lambda seconds: None)
    gc.collect()  # what earlier tests left is not this test's to hear
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always", ResourceWarning)
        for n in range(2):
            asyncio.run(client.generate(REQUEST, model="runway:gen4.5",
                                        output=tmp_path / f"heron-{n}.mp4"))
        asyncio.run(client.aclose())  # as a script ends; the last loop is closed already
        del client
        gc.collect()
    unclosed = [str(w.message) for w in heard if issubclass(w.category, ResourceWarning)]
    assert unclosed == []
    assert (tmp_path / "heron-1.mp4").stat().st_size > 0


async def _inside_one_loop(client: AsyncVideoClient, tmp_path: Path) -> int:
    async with client:  # closed by its owner inside the loop: closing again at its end is fine
        result = await client.generate(REQUEST, model="runway:gen4.5",
                                       output=tmp_path / "inside.mp4")
    return result.bytes_written


def test_a_client_closed_inside_its_loop_ends_that_loop_quietly(simulator_url: str,
                                                                tmp_path: Path) -> None:
    client = AsyncVideoClient(config=config(simulator_url, tmp_path), poll=FAST,
                              sleep=lambda seconds: None)
    gc.collect()
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        written = asyncio.run(_inside_one_loop(client, tmp_path))
        gc.collect()
    assert written > 0
    assert [str(w.message) for w in heard] == []
