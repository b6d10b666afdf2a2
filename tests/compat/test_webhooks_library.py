"""The library sends the same webhooks: the compat clients from ``[[gateway.webhooks]]``, any
``VideoClient`` through the ``WebhookObserver`` plugin."""

from __future__ import annotations

import asyncio
from pathlib import Path

import openai
import pytest

from vidbridge.compat.openai import OpenAI
from vidbridge.config import parse_config
from vidbridge.models import Job, VideoResult
from vidbridge.webhooks import Endpoint, WebhookObserver, new_secret

from ..receiver import receiver
from .simenv import raw_config, sync_client

SECRET = new_secret()


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def test_compat_client_sends_signed_events(sim: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with receiver(down_for=1) as hook:
        raw = raw_config(sim, tmp_path,
                         gateway={"webhooks": [{"url": hook.url, "secret_env": "HOOK_SECRET"}]})
        with OpenAI(client=sync_client(parse_config(raw)), output_dir=tmp_path / "o",
                    webhook_options={"sleep": _no_wait}) as client:
            video = client.videos.create_and_poll(prompt="a kite", seconds="4",
                                                  poll_interval_ms=10)
            got = hook.wait_for(2)
            assert client.webhooks is not None
            client.webhooks.wait_idle(10)
            rows = client.webhooks.deliveries.rows()
    sdk = openai.OpenAI(api_key="unused", webhook_secret=SECRET)
    events = [sdk.webhooks.unwrap(r.body, r.headers) for r in got]
    assert [(e.type, e.data.id) for e in events] == [("video.completed", video.id)] * 2
    assert [(r["status"], r["attempts"]) for r in rows] == [("delivered", 2)]


def test_observer_plugin_reports_finished_jobs() -> None:
    with receiver() as hook:
        observer = WebhookObserver([Endpoint(hook.url, secret=_secret())])
        try:
            observer.job_finished(VideoResult(job=Job(provider="kling", id="task-1",
                                                      status="failed")))
            got = hook.wait_for(1)
        finally:
            observer.close()
    event = openai.OpenAI(api_key="unused").webhooks.unwrap(got[0].body, got[0].headers,
                                                           secret=SECRET)
    assert (event.type, event.data.id) == ("video.failed", "task-1")


def _secret():  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    return SecretStr(SECRET)


def test_publish_from_another_thread_reaches_the_loop() -> None:
    import threading

    from vidbridge.webhooks import DeliveryLog, Dispatcher

    async def scenario(url: str) -> list[dict[str, object]]:
        dispatcher = Dispatcher([Endpoint(url, secret=_secret())], DeliveryLog(),
                                sleep=_no_wait)
        dispatcher.resume()
        worker = threading.Thread(target=dispatcher.publish, args=("video_t", "completed"))
        worker.start()
        await asyncio.to_thread(worker.join)
        while not dispatcher.deliveries.rows("WHERE status='delivered'"):
            await asyncio.sleep(0.01)
        await dispatcher.aclose()
        return dispatcher.deliveries.rows()

    with receiver() as hook:
        rows = asyncio.run(asyncio.wait_for(scenario(hook.url), 20))
    assert [(r["video_id"], r["status"]) for r in rows] == [("video_t", "delivered")]
