"""The shared service's decisions, without HTTP: restart recovery and error translation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vidbridge import (
    AllCandidatesFailedError,
    ContentPolicyError,
    Job,
    JobFailedError,
    ModelUnavailableError,
    RateLimitError,
    SubmitUncertainError,
    VideoClient,
)
from vidbridge.compat import _errors as e
from vidbridge.compat._service import VideoService
from vidbridge.compat._store import VideoStore
from vidbridge.ledger import Ledger

from .simenv import config


@pytest.fixture
def service(tmp_path: Path) -> VideoService:
    cfg = config("http://127.0.0.1:9", tmp_path)  # never contacted: nothing here sends
    client = VideoClient(config=cfg, ledger=Ledger(tmp_path / "jobs.sqlite3"))
    return VideoService(client.core, VideoStore(tmp_path / "videos.sqlite3"), tmp_path / "out")


def accepted(job_id: str, status: str = "running") -> Job:
    return Job(provider="runway", model="gen4.5", id=job_id, status=status)  # type: ignore[arg-type]


def test_recover_reruns_every_unfinished_video_under_its_own_id(
        service: VideoService) -> None:
    """Recovery keeps no notion of "may resubmit": each video's request runs again under its
    id and the ledger's rows for that id decide (tests/reliability cover the decisions)."""
    ids = [service.create("k", prompt=f"clip {n}", seconds="4")[0].id for n in range(3)]
    service.core.ledger.record(accepted("job-a"), None, request_key=ids[0])
    works = {work.video_id: work for work in service.recover()}
    assert sorted(works) == sorted(ids)
    assert all(work.request is not None and work.job is None for work in works.values())
    assert works[ids[2]].request.prompt == "clip 2" and works[ids[2]].target == "sora-2"


def test_recover_completes_a_video_finished_just_before_the_crash(
        service: VideoService) -> None:
    video, work = service.create("k", prompt="a finished clip", seconds="4")
    done = accepted("job-d", "succeeded")
    ledger = service.core.ledger
    key = ledger.record(done, None, request_key=video.id)
    ledger.ended(key, done)
    work.output.parent.mkdir(parents=True)
    work.output.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    ledger.downloaded(key, work.output, 12, None)
    assert service.recover() == []
    assert service.retrieve("k", video.id).status == "completed"


def test_recovered_image_request_keeps_its_image(service: VideoService) -> None:
    from .simenv import png

    video, _ = service.create("k", prompt="move", size="1280x720", input_reference=png())
    [work] = service.recover()
    assert work.request is not None and work.request.image is not None
    assert work.request.image.data == png() and work.request.image.mime_type == "image/png"


def test_other_owners_do_not_see_a_video(service: VideoService) -> None:
    video, _ = service.create("alice", prompt="private", seconds="4")
    with pytest.raises(e.NotFoundError):
        service.retrieve("bob", video.id)
    assert service.list("bob").data == [] and len(service.list("alice").data) == 1


def test_concurrency_cap_per_owner(service: VideoService) -> None:
    service.max_active = 1
    service.create("alice", prompt="one", seconds="4")
    with pytest.raises(e.RateLimitError) as caught:
        service.create("alice", prompt="two", seconds="4")
    assert caught.value.status_code == 429 and caught.value.headers["retry-after"] == "5"
    service.create("bob", prompt="another key", seconds="4")


@pytest.mark.parametrize(("error", "status", "cls", "code"), [
    (RateLimitError("slow down", provider="kling", retry_after=2.4), 429, e.RateLimitError,
     "rate_limit_exceeded"),
    (ContentPolicyError("refused", provider="runway"), 400, e.BadRequestError,
     "moderation_blocked"),
    (ModelUnavailableError("gone", provider="sora"), 404, e.NotFoundError, "model_not_found"),
    (JobFailedError("boom", provider="runway", code="INTERNAL.BAD_OUTPUT.CODE01"), 500,
     e.InternalServerError, "INTERNAL.BAD_OUTPUT.CODE01"),
    (SubmitUncertainError("no answer", provider="kling"), 502, e.InternalServerError,
     "submit_uncertain"),
])
def test_errors_take_the_sdk_status_and_class(error: Exception, status: int,
                                              cls: type[e.APIStatusError], code: str) -> None:
    translated = e.api_error(error)
    assert type(translated) is cls and translated.status_code == status
    assert translated.code == code
    assert translated.to_body()["error"]["message"] == str(error)
    if status == 429:
        assert translated.headers == {"retry-after": "2"}


def test_a_route_that_ran_out_keeps_the_cause_status() -> None:
    try:
        try:
            raise RateLimitError("busy", provider="kling")
        except RateLimitError as cause:
            raise AllCandidatesFailedError("route 'default': no candidate") from cause
    except AllCandidatesFailedError as error:
        translated = e.api_error(error)
    assert translated.status_code == 429 and "no candidate" in translated.detail


def test_unexpected_errors_say_nothing_inside() -> None:
    body = e.failure_body(RuntimeError("token=abc"))
    assert body == {"code": "server_error", "message": "internal error"}
    assert json.dumps(body).find("abc") == -1
