"""The engine over httpx.MockTransport: one set of tests, run with both drivers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from vidbridge import (
    ContentPolicyError,
    DownloadFailedError,
    JobFailedError,
    JobTimeoutError,
    PollPolicy,
    ProviderUnavailableError,
    SubmitUncertainError,
)

from .fakes import MP4, Acme, FakeAcme, FakeClock
from .helpers import Runner, acme_pm

REQUEST = {"prompt": "a red kite over dunes", "duration": 5, "aspect_ratio": "16:9"}


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def runner(mode: str, server: FakeAcme | None = None, **kw: Any) -> Runner:
    return Runner(mode, server or FakeAcme(), FakeClock(), **kw)


def test_success_writes_the_video_and_reports_the_plan(mode: str, tmp_path: Path) -> None:
    run = runner(mode)
    result = run("generate", REQUEST, model="acme:motion-2", output=tmp_path / "out.mp4")
    assert result.job.status == "succeeded"
    assert result.job.credential == "acme-key" and result.job.model == "motion-2"
    assert (tmp_path / "out.mp4").read_bytes() == MP4
    assert result.bytes_written == len(MP4)
    assert [(a.field, a.asked, a.given) for a in result.adjustments] == [("duration", 5, 8)]
    assert result.estimated_cost_usd == pytest.approx(0.8)  # 8 s sent x $0.10, not 5 s
    assert run.server.bodies[0]["seconds"] == 8
    assert run.server.submits == {"acme": 1} and run.server.polls == {"acme": 2}
    assert list(tmp_path.iterdir()) == [tmp_path / "out.mp4"]  # no temp file left behind


def test_failed_job_raises_with_its_code_and_is_not_resubmitted(mode: str,
                                                                tmp_path: Path) -> None:
    server = FakeAcme(poll_script={"acme": [httpx.Response(
        200, json={"id": "acme-1", "status": "error", "error": "render_crashed"})]})
    run = runner(mode, server)
    with pytest.raises(JobFailedError) as caught:
        run("generate", REQUEST, model="acme:motion-2", output=tmp_path / "out.mp4")
    assert caught.value.code == "render_crashed" and caught.value.provider == "acme"
    assert server.submits == {"acme": 1}
    assert not (tmp_path / "out.mp4").exists()


def test_moderation_failure_is_a_content_policy_error(mode: str) -> None:
    server = FakeAcme(poll_script={"acme": [httpx.Response(
        200, json={"id": "acme-1", "status": "error", "error": "unsafe_output",
                   "failure": "content_policy"})]})
    with pytest.raises(ContentPolicyError):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2")


def test_poll_429_waits_retry_after_then_succeeds(mode: str, tmp_path: Path) -> None:
    limited = httpx.Response(429, headers={"retry-after": "7"}, json={"message": "slow down"})
    server = FakeAcme(poll_script={"acme": [limited, limited]})
    run = runner(mode, server)
    result = run("generate", REQUEST, model="acme:motion-2", output=tmp_path / "v.mp4")
    assert result.job.status == "succeeded"
    assert run.clock.slept.count(7.0) == 2  # the provider's hint, not our backoff
    assert server.submits == {"acme": 1}


def test_provider_poll_hint_is_honoured(mode: str) -> None:
    hinted = httpx.Response(200, json={"id": "acme-1", "status": "rendering", "poll_after": 3.5})
    server = FakeAcme(poll_script={"acme": [hinted]})
    run = runner(mode, server)
    run("generate", REQUEST, model="acme:motion-2")
    assert 3.5 in run.clock.slept


def test_backoff_grows_and_is_capped(mode: str) -> None:
    server = FakeAcme(polls_to_finish=12)
    run = runner(mode, server, poll=PollPolicy(first=1, factor=2, cap=5, jitter=0))
    run("generate", REQUEST, model="acme:motion-2")
    assert run.clock.slept[:5] == [1, 2, 4, 5, 5]


def test_deadline_stops_polling_cancels_and_keeps_the_job(mode: str) -> None:
    server = FakeAcme(polls_to_finish=10_000)
    run = runner(mode, server, deadline_s=60)
    with pytest.raises(JobTimeoutError) as caught:
        run("generate", REQUEST, model="acme:motion-2")
    assert caught.value.job is not None and caught.value.job.id == "acme-1"
    assert server.cancels == ["acme-1"]
    assert sum(run.clock.slept) <= 60
    assert server.submits == {"acme": 1}


def test_persistent_poll_errors_give_up_after_the_limit(mode: str) -> None:
    down = httpx.Response(503, json={"message": "maintenance"})
    server = FakeAcme(poll_script={"acme": [down] * 10})
    run = runner(mode, server, poll=PollPolicy(transient_errors=3, jitter=0))
    with pytest.raises(ProviderUnavailableError):
        run("generate", REQUEST, model="acme:motion-2")
    assert server.polls == {"acme": 4}


class _Dropped(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that sends half the bytes, then loses the connection."""

    def __iter__(self) -> Any:
        yield MP4[:100]
        raise httpx.ReadError("connection reset")

    async def __aiter__(self) -> Any:
        yield MP4[:100]
        raise httpx.ReadError("connection reset")


def _dropped(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"content-length": str(len(MP4))}, stream=_Dropped())


def test_connection_dropped_mid_download_leaves_nothing_at_the_target(mode: str,
                                                                      tmp_path: Path) -> None:
    server = FakeAcme(download_script=[_dropped] * 4)
    with pytest.raises(DownloadFailedError, match="vidbridge resume"):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2",
                             output=tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []
    assert server.submits == {"acme": 1}


def test_download_retries_after_a_drop(mode: str, tmp_path: Path) -> None:
    server = FakeAcme(download_script=[_dropped])
    result = runner(mode, server)("generate", REQUEST, model="acme:motion-2",
                                  output=tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == MP4 and result.bytes_written == len(MP4)


def test_wrong_size_is_an_error_and_nothing_partial_remains(mode: str, tmp_path: Path) -> None:
    short = httpx.Response(200, headers={"content-length": "99999"}, content=MP4)
    server = FakeAcme(download_script=[short] * 4)
    with pytest.raises(DownloadFailedError, match="of 99999 bytes"):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2",
                             output=tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_submit_without_answer_is_uncertain_and_never_retried(mode: str) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    server = FakeAcme(submit_script={"acme": [timeout]})
    with pytest.raises(SubmitUncertainError):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2")
    assert server.submits == {"acme": 1}


def test_submit_answer_that_cannot_be_decoded_is_uncertain_not_untyped(mode: str) -> None:
    garbled = httpx.Response(200, headers={"content-encoding": "gzip"},
                             stream=httpx.ByteStream(b"not gzip"))  # decoded only when read
    server = FakeAcme(submit_script={"acme": [garbled]})
    with pytest.raises(SubmitUncertainError):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2")
    assert server.submits == {"acme": 1}


def test_poll_answer_that_cannot_be_decoded_is_tolerated_like_a_dropped_one(
        mode: str, tmp_path: Path) -> None:
    garbled = httpx.Response(200, headers={"content-encoding": "gzip"},
                             stream=httpx.ByteStream(b"not gzip"))  # decoded only when read
    server = FakeAcme(poll_script={"acme": [garbled]})
    result = runner(mode, server)("generate", REQUEST, model="acme:motion-2",
                                  output=tmp_path / "out.mp4")
    assert result.job.status == "succeeded" and server.submits == {"acme": 1}


def test_unreachable_provider_is_a_retryable_unavailable_error(mode: str) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    server = FakeAcme(submit_script={"acme": [refused]})
    with pytest.raises(ProviderUnavailableError) as caught:
        runner(mode, server)("generate", REQUEST, model="acme:motion-2")
    assert caught.value.retryable
    # Where it went (a wrong base_url, a simulator not started), and that nothing left.
    assert "could not reach acme at https://api.acme.example (ConnectError)" in str(caught.value)
    assert "nothing was sent" in str(caught.value)


def test_submit_then_resume_finishes_without_a_second_submit(mode: str, tmp_path: Path) -> None:
    server = FakeAcme()
    run = runner(mode, server)
    job = run("submit", REQUEST, model="acme:motion-2")
    assert job.status == "queued" and server.polls == {}
    result = run("resume", job.id, output=tmp_path / "later.mp4")
    assert result.job.status == "succeeded" and (tmp_path / "later.mp4").exists()
    assert result.plan is not None and result.plan.duration == 8  # read back from the ledger
    assert server.submits == {"acme": 1}


def test_adapter_poll_guidance_is_a_floor_unless_turned_off(mode: str) -> None:
    class Patient(Acme):
        poll_interval = 5.0

    pm = acme_pm(Patient())
    run = runner(mode, FakeAcme(polls_to_finish=3), pm=pm,
                 poll=PollPolicy(first=1, factor=1, cap=1, jitter=0))
    run("generate", REQUEST, model="acme:motion-2")
    assert run.clock.slept == [5.0, 5.0, 5.0]
    eager = runner(mode, FakeAcme(polls_to_finish=3), pm=acme_pm(Patient()),
                   poll=PollPolicy(first=1, factor=1, cap=1, jitter=0, provider_guidance=False))
    eager("generate", REQUEST, model="acme:motion-2")
    assert eager.clock.slept == [1.0, 1.0, 1.0]


def test_download_redirect_keeps_credentials_on_the_same_origin_only(mode: str,
                                                                     tmp_path: Path) -> None:
    seen: list[tuple[str, str | None, str | None]] = []

    def hop(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("authorization"),
                     request.headers.get("x-goog-api-key")))
        if request.url.path.endswith(".mp4"):
            return httpx.Response(302, headers={"location": "/files/1:download"})
        if request.url.host == "cdn.acme.example":
            return httpx.Response(302, headers={
                "location": "https://storage.example.net/blob?sig=1"})
        return httpx.Response(200, content=MP4)

    class Keyed(Acme):
        def build_download(self, job: Any, creds: Any, variant: str = "video") -> Any:
            return httpx.Request("GET", job.output_url, headers={
                "Authorization": "Bearer secret", "x-goog-api-key": "secret"})

    server = FakeAcme(download_script=[hop, hop, hop])
    original = server.__call__

    def route(request: httpx.Request) -> httpx.Response:
        return hop(request) if request.url.host == "storage.example.net" else original(request)

    run = Runner(mode, server, FakeClock(), pm=acme_pm(Keyed()))
    run.client.http._transport = httpx.MockTransport(route)
    run("generate", REQUEST, model="acme:motion-2", output=tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == MP4
    assert seen == [("cdn.acme.example", "Bearer secret", "secret"),
                    ("cdn.acme.example", "Bearer secret", "secret"),
                    ("storage.example.net", None, None)]


def test_the_video_gets_the_permissions_the_umask_allows(mode: str, tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        runner(mode)("generate", REQUEST, model="acme:motion-2", output=tmp_path / "v.mp4")
    finally:
        os.umask(old)
    assert (tmp_path / "v.mp4").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("url", ["http://[::1", "http://xn--/"])
def test_an_unusable_output_url_is_a_download_failure_not_an_httpx_error(
        mode: str, tmp_path: Path, url: str) -> None:
    server = FakeAcme(poll_script={"acme": [httpx.Response(
        200, json={"id": "acme-1", "status": "done", "url": url})]})
    with pytest.raises(DownloadFailedError, match="cannot be fetched"):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2",
                             output=tmp_path / "out.mp4")
    assert server.submits == {"acme": 1}


@pytest.mark.parametrize("location", ["http://[::1", "http://xn--/"])
def test_a_redirect_to_an_unusable_location_is_a_download_failure(
        mode: str, tmp_path: Path, location: str) -> None:
    server = FakeAcme(download_script=[httpx.Response(302, headers={"location": location})] * 4)
    with pytest.raises(DownloadFailedError, ):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2",
                             output=tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("status", [200, 204])
def test_an_empty_download_is_a_failure_not_a_video(mode: str, tmp_path: Path,
                                                    status: int) -> None:
    server = FakeAcme(download_script=[httpx.Response(status)] * 4)
    with pytest.raises(DownloadFailedError, match="empty"):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2",
                             output=tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_a_job_id_no_url_can_carry_is_a_provider_error(mode: str) -> None:
    from vidbridge import ProviderError

    server = FakeAcme(submit_script={"acme": [httpx.Response(
        200, json={"id": "acme-\x01", "status": "queued"})]})
    with pytest.raises(ProviderError, match="cannot be polled"):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2")


def test_backoff_never_overflows_after_many_rounds() -> None:
    import random

    assert PollPolicy().interval(5000, random.Random(1)) == pytest.approx(20.0, rel=0.11)


@pytest.mark.parametrize("where", ["directory", "under_a_file", "device", "name_too_long",
                                   "unwritable_folder"])
def test_an_unwritable_output_is_refused_before_any_submit(mode: str, tmp_path: Path,
                                                          where: str) -> None:
    from vidbridge import ConfigError

    if where == "unwritable_folder" and os.geteuid() == 0:
        pytest.skip("root may write in any folder")
    (tmp_path / "file").write_text("")
    (tmp_path / "locked").mkdir(mode=0o500)
    output = {"directory": tmp_path, "under_a_file": tmp_path / "file" / "v.mp4",
              "device": Path("/dev/null"), "name_too_long": tmp_path / ("v" * 230 + ".mp4"),
              "unwritable_folder": tmp_path / "locked" / "new" / "v.mp4"}[where]
    server = FakeAcme()
    with pytest.raises(ConfigError, match=f"output {output}: "):
        runner(mode, server)("generate", REQUEST, model="acme:motion-2", output=output)
    assert server.submits == {}


def test_an_origin_names_scheme_host_and_port_never_userinfo_or_path() -> None:
    from vidbridge.engine import origin

    assert origin(httpx.URL("http://user:s3cret@127.0.0.1:8750/runway/v1?k=1")) == \
        "http://127.0.0.1:8750"
    assert origin(httpx.URL("https://[::1]:9/x")) == "https://[::1]:9"
    assert origin(httpx.URL("https://api.dev.runwayml.com/v1")) == "https://api.dev.runwayml.com"
