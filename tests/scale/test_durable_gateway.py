"""One gateway worker running its jobs as DBOS workflows on SQLite (no server to set up)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from vidbridge.gateway import create_app, serve_in_thread

from ..compat.simenv import Counter, async_client, config, fast_sleep
from ..gateway.conftest import KEY

pytest.importorskip("dbos")


@contextlib.contextmanager
def durable_gateway(sim: str, tmp: Path, counter: Counter, url: str,
                    output_dir: str | Path | None = None, **durable: Any) -> Iterator[Any]:
    cfg = config(sim, tmp)
    http = httpx.Client(timeout=10, event_hooks={"request": [counter]})
    app = create_app(cfg, client=async_client(cfg), keys=[KEY],
                     output_dir=output_dir or tmp / "videos",
                     poll_after_ms=10, database_url=url,
                     durable={"http": http, "sleep": fast_sleep, "polling_interval_s": 0.05,
                              **durable})
    with serve_in_thread(app) as base:
        yield openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0), app


def test_jobs_run_as_workflows_and_a_restart_never_submits_again(sim: str,
                                                                 tmp_path: Path) -> None:
    counter, url = Counter(), f"sqlite:///{tmp_path}/dbos.sqlite3"
    with durable_gateway(sim, tmp_path, counter, url) as (client, app):
        videos = [client.videos.create(model="sora-2", prompt=f"a lighthouse {n}",
                                       seconds="8", size="1280x720") for n in range(3)]
        done = [client.videos.poll(video.id, poll_interval_ms=10) for video in videos]
        assert [video.status for video in done] == ["completed"] * 3, [v.error for v in done]
        assert client.videos.download_content(done[0].id).read()[4:8] == b"ftyp"
        from dbos import DBOS

        assert DBOS.retrieve_workflow(videos[0].id).get_result() == "completed"
        # The status row can trail the result by a moment under load: wait for it, bounded.
        deadline = time.monotonic() + 10
        while (status := DBOS.get_workflow_status(videos[0].id)) is None \
                or status.status == "PENDING":
            assert time.monotonic() < deadline, "the workflow status stayed PENDING"
            time.sleep(0.01)
        assert status.status == "SUCCESS"
        assert status.queue_name == "vidbridge-runway"  # the route's first provider's queue
    assert counter.count("POST", "/runway/v1/") == 3

    with durable_gateway(sim, tmp_path, counter, url) as (client, _app):
        assert client.videos.retrieve(videos[1].id).status == "completed"
    assert counter.count("POST", "/runway/v1/") == 3  # recovery found nothing to redo


def test_named_keys_get_their_configured_queue_priority(sim: str, tmp_path: Path) -> None:
    counter, url = Counter(), f"sqlite:///{tmp_path}/dbos.sqlite3"
    cfg = config(sim, tmp_path, gateway={
        "keys": {"urgent": {"secret_env": "VB_URGENT"}, "bulk": {"secret_env": "VB_BULK"}},
        "priorities": {"urgent": 1}})
    environ = {"VB_URGENT": "gw-urgent-key", "VB_BULK": "gw-bulk-key"}
    http = httpx.Client(timeout=10, event_hooks={"request": [counter]})
    app = create_app(cfg, client=async_client(cfg), keys=[], output_dir=tmp_path / "videos",
                     poll_after_ms=10, database_url=url, environ=environ,
                     durable={"http": http, "sleep": fast_sleep, "polling_interval_s": 0.05})
    with serve_in_thread(app) as base:
        from dbos import DBOS

        made = {}
        for name, key in (("urgent", "gw-urgent-key"), ("bulk", "gw-bulk-key")):
            client = openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0)
            video = client.videos.create(model="sora-2", prompt=f"{name} kite", seconds="8",
                                         size="1280x720")
            made[name] = (client, video.id)
        for client, video_id in made.values():
            assert client.videos.poll(video_id, poll_interval_ms=10).status == "completed"
        priority = {name: DBOS.get_workflow_status(video_id).priority  # type: ignore[union-attr]
                    for name, (_, video_id) in made.items()}
    assert priority == {"urgent": 1, "bulk": 1_000_000}  # unlisted keys run after listed ones
