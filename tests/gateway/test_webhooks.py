"""Outbound webhooks: OpenAI-format events, verified by the official SDK, retried until the
receiver is back, recorded in the gateway database, never carrying a key."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import openai
import pytest

from vidbridge.errors import ConfigError
from vidbridge.webhooks import new_secret

from ..receiver import receiver
from .conftest import KEY, gateway

SECRET = new_secret()
ENV = {"HOOK_SECRET": SECRET}


class Sleeps:
    """The dispatcher's sleep: records each backoff and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def _verified(body: bytes, headers: dict[str, str]) -> Any:
    sdk = openai.OpenAI(api_key="unused", webhook_secret=SECRET)
    sdk.webhooks.verify_signature(body, headers)
    return sdk.webhooks.unwrap(body, headers)


def _deliveries(database: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT type, video_id, status, attempts, last_status, url "
                          "FROM webhook_deliveries ORDER BY created_at").fetchall()


def test_receiver_down_then_up_gets_each_event_once_verified_by_the_sdk(
        sim: str, tmp_path: Path) -> None:
    sleeps = Sleeps()
    with receiver(down_for=2) as hook:
        table = {"webhooks": [{"url": hook.url, "secret_env": "HOOK_SECRET"}]}
        with gateway(sim, tmp_path, gateway_table=table, environ=ENV,
                     webhook_options={"sleep": sleeps}) as gw:
            client = openai.OpenAI(base_url=gw.v1, api_key=KEY)
            done = client.videos.create_and_poll(prompt="a heron", seconds="4")
            hook.wait_for(3)
            failed = client.videos.create_and_poll(model="kling-only", seconds="5",
                                                   prompt="a storm [[scenario:job_failed]]")
            got = hook.wait_for(4)
        database = tmp_path / "gateway.sqlite3"
        assert failed.status == "failed"
    events = [_verified(r.body, r.headers) for r in got]  # every try verifies, failed ones too
    assert [(e.type, e.data.id) for e in events] == [("video.completed", done.id)] * 3 + [
        ("video.failed", failed.id)]
    assert {e.object for e in events} == {"event"} and len({e.id for e in events[:3]}) == 1
    assert [r.answered for r in got] == [503, 503, 200, 200]
    assert len({r.headers["webhook-id"] for r in got[:3]}) == 1  # one message, retried
    assert sleeps.delays == [1.0, 2.0]  # exponential backoff between the tries
    assert json.loads(got[0].body) == {"id": events[0].id, "object": "event",
                                       "type": "video.completed",
                                       "created_at": events[0].created_at,
                                       "data": {"id": done.id}}
    assert _deliveries(database) == [
        ("video.completed", done.id, "delivered", 3, 200, hook.url),
        ("video.failed", failed.id, "delivered", 1, 200, hook.url)]
    for request in got:  # nothing of ours rides along: no gateway key, no provider key
        assert "authorization" not in request.headers
        assert not any(secret in value for value in request.headers.values()
                       for secret in (KEY, "sim-runway-key", "sim-kling", SECRET))


def test_events_filter_and_bounded_retries(sim: str, tmp_path: Path) -> None:
    sleeps = Sleeps()
    with receiver(down_for=1000) as hook:
        table = {"webhooks": [{"url": hook.url, "secret_env": "HOOK_SECRET",
                               "events": ["video.failed"]}]}
        clock = [1_000.0]

        async def slow(seconds: float) -> None:  # each backoff moves the clock on
            sleeps.delays.append(seconds)
            clock[0] += seconds
            await asyncio.sleep(0)

        with gateway(sim, tmp_path, gateway_table=table, environ=ENV,
                     webhook_options={"sleep": slow, "clock": lambda: clock[0],
                                      "retry_for_s": 100}) as gw:
            client = openai.OpenAI(base_url=gw.v1, api_key=KEY)
            client.videos.create_and_poll(prompt="not subscribed", seconds="4")
            client.videos.create_and_poll(model="kling-only", seconds="5",
                                          prompt="x [[scenario:job_failed]]")
            hook.wait_for(7)
        rows = _deliveries(tmp_path / "gateway.sqlite3")
    assert [row[0] for row in rows] == ["video.failed"]  # completed was not subscribed
    assert rows[0][2:5] == ("failed", 7, 503)  # 1+2+4+8+16+32 = 63 s; 64 more passes 100 s
    assert sleeps.delays == [1, 2, 4, 8, 16, 32]


def test_a_missing_or_malformed_secret_fails_at_start(sim: str, tmp_path: Path) -> None:
    table = {"webhooks": [{"url": "https://hooks.example.com/v", "secret_env": "HOOK_SECRET"}]}
    with pytest.raises(ConfigError, match="HOOK_SECRET is not set"), \
            gateway(sim, tmp_path, gateway_table=table, environ={}):
        pass
    with pytest.raises(ConfigError, match=r"whsec_\.\.\. secret") as caught, \
            gateway(sim, tmp_path, gateway_table=table, environ={"HOOK_SECRET": "plain"}):
        pass
    assert "plain" not in str(caught.value)
