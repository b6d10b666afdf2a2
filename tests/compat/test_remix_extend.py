"""Remix and extend say what was really done, and always make a new job with its own content."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import httpx
import openai
import pytest

from vidbridge import VideoClient
from vidbridge.compat.openai import OpenAI
from vidbridge.config import parse_config
from vidbridge.ledger import Ledger

from .simenv import POLL, Counter, config, fast_sleep, raw_config, sync_client


@pytest.fixture
def client(sim: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    with OpenAI(client=sync_client(config(sim, tmp_path)), output_dir=tmp_path / "out") as c:
        yield c


def _jobs(client: OpenAI, video_id: str) -> list[str]:
    return [job.id for _, job in client.client.core.ledger.by_request(video_id)]


def _digest(client: OpenAI, video_id: str) -> str:
    return hashlib.sha256(client.videos.download_content(video_id).read()).hexdigest()


def test_remix_is_a_new_job_with_its_own_content_and_says_so(client: OpenAI) -> None:
    source = client.videos.create_and_poll(prompt="a red kite over dunes", seconds="4",
                                           poll_interval_ms=10)
    remix = client.videos.remix(source.id, prompt="the same kite, at night")
    done = client.videos.poll(remix.id, poll_interval_ms=10)
    assert done.status == "completed" and done.remixed_from_video_id == source.id
    assert done.prompt == "the same kite, at night" and done.seconds == source.seconds
    assert set(_jobs(client, remix.id)).isdisjoint(_jobs(client, source.id))
    assert _digest(client, remix.id) != _digest(client, source.id)
    assert done.vidbridge is not None
    first = done.vidbridge.adjustments[0]
    assert (first["field"], first["given"]) == (
        "remix", "generated anew from the source's request with the new prompt")
    assert "runway:gen4.5 cannot edit" in first["reason"]


def test_remix_edits_the_source_with_video_to_video_where_the_route_has_it(
        sim: str, tmp_path: Path) -> None:
    raw = raw_config(sim, tmp_path)
    raw["routes"]["editing"] = {"candidates": ["runway:gen4.5", "runway:aleph2"],
                                "retries": 0}
    cfg = parse_config(raw)
    bodies: list[dict] = []

    def keep(request: httpx.Request) -> None:
        if request.url.path.endswith("/video_to_video"):
            bodies.append(json.loads(request.content))

    http = httpx.Client(timeout=10, event_hooks={"request": [keep]})
    core = VideoClient(config=cfg, http=http, poll=POLL, sleep=fast_sleep,
                       ledger=Ledger(cfg.ledger_path()))
    with OpenAI(client=core, output_dir=tmp_path / "out") as client:
        source = client.videos.create_and_poll(model="editing", prompt="a red kite over dunes",
                                               seconds="4", poll_interval_ms=10)
        assert source.status == "completed", source.error
        assert source.vidbridge is not None and source.vidbridge.model == "gen4.5"
        source_bytes = client.videos.download_content(source.id).read()
        remix = client.videos.remix(source.id, prompt="the same kite, at night")
        assert remix.vidbridge is not None and remix.vidbridge.adjustments[0] == {
            "field": "remix", "asked": f"edit {source.id}", "given": "video-to-video",
            "reason": "runway:aleph2 edited the source video (made by runway:gen4.5) with "
                      "the new prompt; a new job with its own content"}
        done = client.videos.poll(remix.id, poll_interval_ms=10)
        assert done.status == "completed", done.error
        assert done.remixed_from_video_id == source.id and done.seconds == "4"
        jobs = [job for _, job in client.client.core.ledger.by_request(remix.id)]
        assert {(job.provider, job.model) for job in jobs} == {("runway", "aleph2")}
        assert set(_jobs(client, remix.id)).isdisjoint(_jobs(client, source.id))
        # The request carried the source video itself, and the edit is a different clip.
        assert len(bodies) == 1 and bodies[0]["promptText"] == "the same kite, at night"
        prefix, _, data = bodies[0]["videoUri"].partition(",")
        assert prefix == "data:video/mp4;base64" and base64.b64decode(data) == source_bytes
        assert _digest(client, remix.id) != hashlib.sha256(source_bytes).hexdigest()


def test_extend_uses_the_providers_extension_where_it_has_one(sim: str, tmp_path: Path) -> None:
    counter = Counter()
    with OpenAI(client=sync_client(config(sim, tmp_path), counter),
                output_dir=tmp_path / "out") as client:
        source = client.videos.create_and_poll(model="kling:kling-v1-6:std", seconds="5",
                                               prompt="a paper boat", poll_interval_ms=10)
        assert source.status == "completed", source.error
        longer = client.videos.extend(prompt="it sails under a bridge", seconds="4",
                                      video={"id": source.id})
        assert longer.vidbridge is not None and longer.vidbridge.adjustments[0] == {
            "field": "extend", "asked": f"continue {source.id}",
            "given": "extended with kling:kling-v1-6:std's own extension",
            "reason": "the provider that made the source continues it"}
        done = client.videos.poll(longer.id, poll_interval_ms=10)
        assert counter.count("POST", "/videos/video-extend") == 1
        assert set(_jobs(client, longer.id)).isdisjoint(_jobs(client, source.id))
    if done.status == "failed" and done.error is not None and "1202" in done.error.message:
        pytest.skip("the simulator serves no Kling video-extend yet (its side is lineup's)")
    assert done.status == "completed", done.error


def test_extend_elsewhere_regenerates_and_refuses_bad_seconds(client: OpenAI) -> None:
    source = client.videos.create_and_poll(prompt="a lighthouse", seconds="4",
                                           poll_interval_ms=10)
    with pytest.raises(openai.BadRequestError) as bad:
        client.videos.extend(prompt="more", seconds="7", video={"id": source.id})
    assert bad.value.param == "seconds"
    with pytest.raises(openai.NotFoundError):
        client.videos.extend(prompt="more", seconds="4", video={"id": "video_nope"})
    done = client.videos.poll(client.videos.extend(prompt="the storm comes", seconds="8",
                                                   video={"id": source.id}).id,
                              poll_interval_ms=10)
    assert done.status == "completed" and done.seconds == "8"
    assert done.vidbridge is not None
    assert done.vidbridge.adjustments[0]["reason"].endswith("not stitched to the source")
