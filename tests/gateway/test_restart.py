"""A gateway stopped mid-job loses nothing: the next start resumes the job, never resubmits."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import openai

from ..compat.simenv import Counter
from .conftest import KEY, gateway


async def held(seconds: float) -> None:
    await asyncio.Event().wait()  # the first gateway never gets past its first poll wait


def test_restart_mid_job_resumes_and_downloads_once(sim: str, tmp_path: Path) -> None:
    counter = Counter()
    with gateway(sim, tmp_path, sleep=held, counter=counter) as first:
        video = openai.OpenAI(base_url=first.v1, api_key=KEY).videos.create(
            model="sora-2", prompt="a lighthouse, restarted", seconds="8", size="1280x720")
        ledger = first.client.core.ledger
        deadline = time.monotonic() + 5
        while not ledger.by_request(video.id):  # accepted upstream, now waiting to poll
            assert time.monotonic() < deadline, "the job was never accepted"
            time.sleep(0.01)
        [(state, job)] = ledger.by_request(video.id)
        assert state == "accepted"
    assert counter.count("POST", "/runway/v1/") == 1
    assert not (tmp_path / "videos" / f"{video.id}.mp4").exists()

    with gateway(sim, tmp_path, counter=counter) as second:
        client = openai.OpenAI(base_url=second.v1, api_key=KEY)
        done = client.videos.poll(video.id)
        assert done.status == "completed", done.error
        assert (done.model_extra or {})["vidbridge"]["provider"] == "runway"
        first_bytes = client.videos.download_content(video.id).read()
        assert first_bytes[4:8] == b"ftyp"
        assert client.videos.download_content(video.id).read() == first_bytes
    assert counter.count("POST", "/runway/v1/") == 1  # one submit upstream, ever
    assert counter.count("GET", f"/runway/v1/tasks/{job.id}") >= 1  # the same job was polled
    assert counter.count("GET", "/_cdn/") == 1  # and downloaded from upstream once

    with gateway(sim, tmp_path, counter=counter) as third:  # finished videos stay finished
        again = openai.OpenAI(base_url=third.v1, api_key=KEY)
        assert again.videos.retrieve(video.id).status == "completed"
        assert again.videos.download_content(video.id).read() == first_bytes
    assert counter.count("POST", "/runway/v1/") == 1 and counter.count("GET", "/_cdn/") == 1


def test_restart_before_any_provider_accepted_runs_it_again(sim: str, tmp_path: Path) -> None:
    """A video recorded but never submitted (stopped between create and submit) is run."""
    counter = Counter()
    with gateway(sim, tmp_path, counter=counter) as first:
        service = first.app.state.service
        video, _work = service.create("key_" + "0" * 24, prompt="never sent", seconds="4")
    assert counter.calls == []
    with gateway(sim, tmp_path, counter=counter) as second:
        deadline = time.monotonic() + 5
        while second.app.state.service.store.get(video.id).status != "completed":
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert counter.count("POST", "/runway/v1/") == 1
