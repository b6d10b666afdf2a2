"""A gateway video that failed as ``submit_uncertain`` is finished once a person settles its
submit with ``vidbridge jobs reconcile KEY --adopt ID``: on its next read (a running gateway)
or at the next start, the adopted job is polled and downloaded, never submitted again."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from typer.testing import CliRunner

from vidbridge import AsyncVideoClient
from vidbridge.cli import app as cli
from vidbridge.gateway import create_app, serve_in_thread
from vidbridge.ledger import Ledger

from ..compat.simenv import POLL, Counter, afast_sleep, config
from .conftest import KEY

RUNWAY_SUBMIT = "/runway/v1/"


class LoseFirstRunwayAnswer(httpx.AsyncBaseTransport):
    """The simulator makes the first Runway job; its answer never reaches the gateway."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lost: list[str] = []  # the job ids whose answer was lost

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and RUNWAY_SUBMIT in request.url.path and not self.lost:
            self.lost.append(json.loads(await response.aread())["id"])
            await response.aclose()
            raise httpx.ReadTimeout("the submit's answer was lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@contextlib.contextmanager
def gateway(sim: str, tmp: Path, counter: Counter,
            transport: httpx.AsyncBaseTransport | None = None) -> Iterator[openai.OpenAI]:
    cfg = config(sim, tmp)
    http = httpx.AsyncClient(timeout=10, transport=transport or httpx.AsyncHTTPTransport(),
                             event_hooks={"request": [counter.acall]})
    client = AsyncVideoClient(config=cfg, http=http, poll=POLL, sleep=afast_sleep,
                              ledger=Ledger(cfg.ledger_path()))
    app = create_app(cfg, client=client, keys=[KEY], database=tmp / "gateway.sqlite3",
                     output_dir=tmp / "videos", poll_after_ms=10)
    with serve_in_thread(app) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)


def uncertain_video(client: openai.OpenAI, tmp: Path) -> tuple[str, str]:
    """A video whose only submit got no answer: (video id, its ledger key)."""
    video = client.videos.poll(client.videos.create(
        model="sora-2", prompt="a kite over dunes", seconds="8", size="1280x720").id,
        poll_interval_ms=10)
    assert video.status == "failed" and video.error is not None
    assert video.error.code == "submit_uncertain" and "reconcile" in video.error.message
    [entry] = Ledger(tmp / "jobs.sqlite3").entries(video.id)
    assert entry.state == "uncertain"
    return video.id, entry.key


def reconcile(sim: str, tmp: Path, key: str, job_id: str,
              monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's command, on the gateway's ledger, as a separate CLI run would."""
    path = tmp / "cli.toml"
    path.write_text(f'ledger = "{tmp / "jobs.sqlite3"}"\n[providers.runway]\n'
                    f'base_url = "{sim}/runway"\napi_key = "sim-runway-key"\n')
    monkeypatch.setenv("VIDBRIDGE_CONFIG", str(path))
    result = CliRunner().invoke(cli, ["jobs", "reconcile", key, "--adopt", job_id])
    assert result.exit_code == 0, result.output
    assert Ledger(tmp / "jobs.sqlite3").get(key).state == "accepted"


def completes(client: openai.OpenAI, video_id: str) -> Any:
    done = client.videos.poll(video_id, poll_interval_ms=10)
    assert done.status == "completed", done.error
    assert client.videos.download_content(video_id).read()[4:8] == b"ftyp"
    return done


def test_a_reconciled_video_completes_on_its_next_read(sim: str, sim_app: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    counter, lose = Counter(), LoseFirstRunwayAnswer()
    made = sim_app.state.simulator.jobs_created().get("runway", 0)
    with gateway(sim, tmp_path, counter, lose) as client:
        video_id, key = uncertain_video(client, tmp_path)
        assert client.videos.retrieve(video_id).status == "failed"  # nothing proved yet
        reconcile(sim, tmp_path, key, lose.lost[0], monkeypatch)
        completes(client, video_id)
        assert Ledger(tmp_path / "jobs.sqlite3").get(key).state == "finished"
    assert counter.count("POST", RUNWAY_SUBMIT) == 1  # the adopted job, never a second one
    assert counter.count("POST", "/kling/") == 0  # nor a fallback
    assert counter.count("GET", f"/runway/v1/tasks/{lose.lost[0]}") >= 1
    assert sim_app.state.simulator.jobs_created()["runway"] == made + 1


def test_a_reconciled_video_is_reopened_when_it_is_listed(
        sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``GET /v1/videos`` reads each video as ``retrieve`` does: a listed video whose submit
    was settled since is no longer shown failed, and its adopted job is finished."""
    counter, lose = Counter(), LoseFirstRunwayAnswer()
    with gateway(sim, tmp_path, counter, lose) as client:
        video_id, key = uncertain_video(client, tmp_path)
        assert [v.status for v in client.videos.list() if v.id == video_id] == ["failed"]
        reconcile(sim, tmp_path, key, lose.lost[0], monkeypatch)
        [listed] = [v for v in client.videos.list() if v.id == video_id]
        assert listed.status in ("queued", "in_progress", "completed") and listed.error is None
        completes(client, video_id)
    assert counter.count("POST", RUNWAY_SUBMIT) == 1  # the adopted job, never a second one


def test_a_video_reconciled_while_the_gateway_was_down_completes_at_start(
        sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter, lose = Counter(), LoseFirstRunwayAnswer()
    with gateway(sim, tmp_path, counter, lose) as client:
        video_id, key = uncertain_video(client, tmp_path)
    reconcile(sim, tmp_path, key, lose.lost[0], monkeypatch)
    with gateway(sim, tmp_path, counter) as client:
        completes(client, video_id)
    assert counter.count("POST", RUNWAY_SUBMIT) == 1


def test_a_failed_video_without_a_proved_job_stays_failed(sim: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Abandoned (or still uncertain): nothing restarts it, nothing is sent."""
    counter, lose = Counter(), LoseFirstRunwayAnswer()
    with gateway(sim, tmp_path, counter, lose) as client:
        video_id, key = uncertain_video(client, tmp_path)
        Ledger(tmp_path / "jobs.sqlite3").abandoned(key)
        assert client.videos.retrieve(video_id).status == "failed"
    with gateway(sim, tmp_path, counter) as client:
        assert client.videos.retrieve(video_id).status == "failed"
    assert counter.count("POST", RUNWAY_SUBMIT) == 1
