"""A durable (DBOS) gateway's ``submit_uncertain`` video, settled by ``vidbridge jobs
reconcile --adopt``, is finished by a second workflow named by the adopted job (the first
one has ended): polled and downloaded, never submitted again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from vidbridge.gateway import create_app, serve_in_thread

from ..compat.simenv import Counter, async_client, config, fast_sleep
from ..gateway.conftest import KEY
from ..gateway.test_reconciled import RUNWAY_SUBMIT, completes, reconcile, uncertain_video

pytest.importorskip("dbos")


class LoseFirstRunwayAnswer(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and RUNWAY_SUBMIT in request.url.path and not self.lost:
            self.lost.append(json.loads(response.read())["id"])
            response.close()
            raise httpx.ReadTimeout("the submit's answer was lost", request=request)
        return response


def test_a_reconciled_durable_video_completes_on_its_next_read(
        sim: str, sim_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter, lose = Counter(), LoseFirstRunwayAnswer()
    cfg = config(sim, tmp_path)
    http = httpx.Client(timeout=10, transport=lose, event_hooks={"request": [counter]})
    app = create_app(cfg, client=async_client(cfg), keys=[KEY], output_dir=tmp_path / "videos",
                     poll_after_ms=10, database_url=f"sqlite:///{tmp_path}/dbos.sqlite3",
                     durable={"http": http, "sleep": fast_sleep, "polling_interval_s": 0.05})
    made = sim_app.state.simulator.jobs_created().get("runway", 0)
    with serve_in_thread(app) as base:
        client = openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0)
        video_id, key = uncertain_video(client, tmp_path)
        reconcile(sim, tmp_path, key, lose.lost[0], monkeypatch)
        completes(client, video_id)
        from dbos import DBOS

        assert DBOS.retrieve_workflow(f"{video_id}.{key}").get_result() == "completed"
    assert counter.count("POST", RUNWAY_SUBMIT) == 1
    assert counter.count("POST", "/kling/") == 0
    assert sim_app.state.simulator.jobs_created()["runway"] == made + 1
