"""The simulator pushes a job's ending to the callback URL its submit named (issue 14, 5)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from vidbridge.simulator import serve_in_thread

from ..gateway.test_callbacks import _pushing_sim
from ..receiver import receiver
from .conftest import kling_token

BOUND_S = 10.0


@pytest.fixture
def sim() -> Iterator[tuple[str, Any]]:
    app = _pushing_sim()  # a fake clock its sleeps advance: renders and backoffs are instant
    with serve_in_thread(app) as base:
        yield base, app.state.simulator


def _kling(base: str, callback: str) -> str:
    answer = httpx.post(f"{base}/kling/v1/videos/text2video",
                        headers={"authorization": f"Bearer {kling_token()}"},
                        json={"model_name": "kling-v2-6", "prompt": "a kite", "duration": "5",
                              "callback_url": callback})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["task_id"])


def _settled(simulator: Any) -> None:
    deadline = time.monotonic() + BOUND_S
    while simulator.pusher._tasks:
        assert time.monotonic() < deadline, "pushes still running"
        time.sleep(0.005)


def test_kling_pushes_the_bare_task_object_retrying_a_receiver_that_is_down(
        sim: tuple[str, Any]) -> None:
    base, simulator = sim
    with receiver(down_for=2) as hook:
        task_id = _kling(base, hook.url)
        got = hook.wait_for(4, BOUND_S)
        _settled(simulator)
    assert [r.answered for r in got] == [503, 503, 200, 200]
    statuses = [json.loads(r.body)["task_status"] for r in got]
    assert statuses == ["processing"] * 3 + ["succeed"]  # one call per status change
    body = json.loads(got[-1].body)
    assert body["task_id"] == task_id and body["task_status"] == "succeed"
    assert "code" not in body and body["task_result"]["videos"][0]["url"].endswith(".mp4")


def test_pushes_are_bounded_when_the_receiver_never_answers(sim: tuple[str, Any]) -> None:
    base, simulator = sim
    with receiver(down_for=100) as hook:
        _kling(base, hook.url)
        hook.wait_for(6, BOUND_S)
        _settled(simulator)
        # Two status changes (processing, succeed), each tried push_tries times, no more.
        assert len(hook.requests) == 2 * simulator.settings.push_tries == 6


def test_gemini_interactions_push_to_webhook_config_uris(sim: tuple[str, Any]) -> None:
    base, simulator = sim
    with receiver() as hook:
        answer = httpx.post(f"{base}/gemini/v1beta/interactions",
                            headers={"x-goog-api-key": "sim-gemini-key"},
                            json={"model": "gemini-omni-1.2-flash", "input": "a kite",
                                  "background": True,
                                  "webhook_config": {"uris": [hook.url],
                                                     "user_metadata": {"job": "7"}}})
        assert answer.status_code == 200, answer.text
        got = hook.wait_for(1, BOUND_S)
        _settled(simulator)
    assert json.loads(got[0].body) == {"type": "interaction.completed",
                                       "data": {"id": answer.json()["id"]}}


@pytest.mark.parametrize("config", [{"uris": "http://x"}, {"uris": ["ftp://x"]},
                                    {"urls": ["http://x"]}, "http://x"])
def test_a_malformed_webhook_config_is_refused(sim: tuple[str, Any], config: Any) -> None:
    base, _ = sim
    answer = httpx.post(f"{base}/gemini/v1beta/interactions",
                        headers={"x-goog-api-key": "sim-gemini-key"},
                        json={"model": "gemini-omni-1.2-flash", "input": "a kite",
                              "background": True, "webhook_config": config})
    assert answer.status_code == 400
