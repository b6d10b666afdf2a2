"""Sora adapter: builders and parsers with bodies alone, and shapes compared with the SDK."""

from __future__ import annotations

import email.parser
import email.policy
import json
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

import vidbridge
from vidbridge import (
    AuthenticationError,
    CapabilityError,
    ConfigError,
    ContentPolicyError,
    Credentials,
    ImageInput,
    InsufficientCreditsError,
    InvalidRequestError,
    Job,
    JobFailedError,
    ModelUnavailableError,
    Plan,
    ProviderUnavailableError,
    RateLimitError,
    VideoClient,
    VideoRequest,
    normalise,
)
from vidbridge.engine import failure_of
from vidbridge.testing import sample_png
from vidbridge_sora import MODELS, Sora

SORA = Sora()
KEY = "sk-proj-unit-test-key-0000000000"
CREDS = Credentials(name="work", api_key=SecretStr(KEY))
VID = "video_80ab6d5826906372fda1e6cb703791685a55a2a4273d22bc"


def video(status: str = "queued", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": VID, "object": "video", "model": "sora-2-pro", "status": status, "progress": 0,
        "created_at": 1767225600, "completed_at": None, "expires_at": None, "prompt": "p",
        "seconds": "8", "size": "1792x1024", "remixed_from_video_id": None, "error": None}
    body.update(changes)
    return body


def plan(**changes: Any) -> Plan:
    base: dict[str, Any] = dict(provider="sora", model="sora-2", prompt="A cat in the rain",
                                duration=4, aspect_ratio="16:9", resolution="720p",
                                size="1280x720", audio=True)
    base.update(changes)
    return Plan(**base)


def png(width: int = 1280, height: int = 720) -> ImageInput:
    if (width, height) == (1280, 720):
        return ImageInput(data=sample_png(), mime_type="image/png")
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buffer, format="PNG")
    return ImageInput(data=buffer.getvalue(), mime_type="image/png")


def reply(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def multipart_parts(content_type: str, body: bytes) -> list[tuple[str, str | None, str, bytes]]:
    """(name, filename, content type, bytes) of each part, whatever the boundary."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    return [(part.get_param("name", header="content-disposition"), part.get_filename(),
             part.get_content_type(), part.get_payload(decode=True))
            for part in message.iter_parts()]


# --- capability data ----------------------------------------------------------------------------

def test_every_model_and_snapshot_is_in_the_table() -> None:
    assert set(MODELS) == {"sora-2", "sora-2-2025-10-06", "sora-2-2025-12-08", "sora-2-pro",
                           "sora-2-pro-2025-10-06"}
    assert MODELS["sora-2"].all_sizes == ("1280x720", "720x1280")
    assert set(MODELS["sora-2-pro"].all_sizes) == {"1280x720", "720x1280", "1792x1024",
                                                   "1024x1792", "1920x1080", "1080x1920"}
    for caps in MODELS.values():
        assert caps.durations == (4, 8, 12, 16, 20)
        assert caps.audio == "always" and not caps.supports_seed
        assert caps.image_limits.must_match_size
        assert caps.lifecycle.retired_on == date(2026, 9, 24)
        assert caps.lifecycle.status(date(2026, 9, 23)) == "deprecated"
        assert caps.lifecycle.status(date(2026, 9, 24)) == "retired"


def test_prices_per_second_follow_the_reference() -> None:
    assert MODELS["sora-2"].price.usd(8, "720p", True) == pytest.approx(0.80)
    assert MODELS["sora-2-pro"].price.usd(8, "720p", True) == pytest.approx(2.40)
    assert MODELS["sora-2-pro"].price.usd(4, "1024p", True) == pytest.approx(2.00)
    assert MODELS["sora-2-pro"].price.usd(4, "1080p", True) is None  # unverified: no guess


def test_normalisation_warns_that_sora_is_retired() -> None:
    made = normalise(VideoRequest(prompt="x"), MODELS["sora-2"], provider="sora",
                     model="sora-2", today=date(2026, 11, 1))
    assert made.size == "720x1280" and made.duration == 4  # the API's defaults
    assert "retired since 2026-09-24" in made.warnings[0]


# --- bad input never reaches the wire -----------------------------------------------------------

def never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.method} {request.url}")


def test_image_of_the_wrong_size_is_refused_before_upload() -> None:
    client = VideoClient(credentials={"sora": CREDS}, allow_retired=True,
                         transport=httpx.MockTransport(never_called))
    with pytest.raises(CapabilityError) as refused:
        client.generate(VideoRequest(prompt="x", image=png(1000, 1000)), model="sora:sora-2")
    assert refused.value.field == "image" and "1000x1000" in str(refused.value)
    with pytest.raises(CapabilityError, match="must match"):
        client.generate(VideoRequest(prompt="x", size="720x1280", image=png()),
                        model="sora:sora-2")


def test_the_builder_refuses_a_hand_made_plan_whose_image_does_not_match() -> None:
    with pytest.raises(CapabilityError, match="1280x720 but the video is 720x1280"):
        SORA.build_submit(plan(size="720x1280", aspect_ratio="9:16", image=png()), CREDS)


def test_a_plan_the_table_rejects_is_refused_before_any_http() -> None:
    client = VideoClient(credentials={"sora": CREDS}, allow_retired=True,
                         transport=httpx.MockTransport(never_called))
    with pytest.raises(CapabilityError, match="last frame"):
        client.generate(VideoRequest(prompt="x", image=png(), last_frame=png()),
                        model="sora:sora-2")
    with pytest.raises(CapabilityError, match="audio"):
        client.generate(VideoRequest(prompt="x", audio=False), model="sora:sora-2",
                        policy="strict")


def test_credentials_without_a_key_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        SORA.check_credentials(Credentials(name="empty"))
    SORA.check_credentials(CREDS)


# --- requests -----------------------------------------------------------------------------------

def test_text_to_video_is_json_with_string_seconds() -> None:
    request = SORA.build_submit(plan(), CREDS)
    assert (request.method, str(request.url)) == ("POST", "https://api.openai.com/v1/videos")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {"prompt": "A cat in the rain", "model": "sora-2",
                                           "seconds": "4", "size": "1280x720"}


def test_an_image_url_goes_as_an_input_reference_object() -> None:
    image = ImageInput(url="https://assets.example.com/mascot.jpg")
    body = json.loads(SORA.build_submit(plan(image=image), CREDS).content)
    assert body["input_reference"] == {"image_url": "https://assets.example.com/mascot.jpg"}


def test_base_url_override_and_characters_passthrough() -> None:
    creds = Credentials(api_key=SecretStr(KEY), base_url="http://127.0.0.1:8000/v1/")
    request = SORA.build_submit(plan(extra={"characters": [{"id": "char_1"}]}), creds)
    assert str(request.url) == "http://127.0.0.1:8000/v1/videos"
    assert json.loads(request.content)["characters"] == [{"id": "char_1"}]


def test_unknown_extra_fields_are_refused_by_name() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        SORA.build_submit(plan(extra={"fps": 30}), CREDS)
    assert refused.value.param == "fps"
    with pytest.raises(InvalidRequestError, match="characters"):
        SORA.build_submit(plan(image=png(), extra={"characters": []}), CREDS)


@pytest.fixture
def sdk_requests() -> Any:
    """Requests the official openai SDK sends, captured by a mock transport."""
    httpx2 = pytest.importorskip("httpx2")
    openai = pytest.importorskip("openai")
    seen: list[Any] = []

    def handler(request: Any) -> Any:
        seen.append(request)
        if request.url.path.endswith("/content"):
            return httpx2.Response(200, content=b"mp4")
        return httpx2.Response(200, json=video())

    client = openai.OpenAI(api_key=KEY, http_client=httpx2.Client(
        transport=httpx2.MockTransport(handler)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield client, seen


def test_image_upload_has_the_parts_the_sdk_sends(sdk_requests: Any) -> None:
    client, seen = sdk_requests
    data = sample_png()
    client.videos.create(prompt="A cat in the rain", model="sora-2", seconds="4",
                         size="1280x720",
                         input_reference=("input_reference.png", data, "image/png"))
    ours = SORA.build_submit(plan(image=png()), CREDS)
    ours.read()  # multipart bodies stream
    theirs = seen[0]
    assert str(ours.url) == str(theirs.url)
    assert (multipart_parts(ours.headers["content-type"], ours.content)
            == multipart_parts(theirs.headers["content-type"], theirs.content))


def test_text_fields_match_the_sdk_multipart_fields(sdk_requests: Any) -> None:
    client, seen = sdk_requests
    client.videos.create(prompt="A cat in the rain", model="sora-2", seconds="4",
                         size="1280x720")
    sdk_fields = {name: value.decode() for name, _, _, value in
                  multipart_parts(seen[0].headers["content-type"], seen[0].content)}
    assert json.loads(SORA.build_submit(plan(), CREDS).content) == sdk_fields


def test_follow_up_requests_match_the_sdk(sdk_requests: Any) -> None:
    client, seen = sdk_requests
    job = Job(provider="sora", id=VID, status="running")
    client.videos.retrieve(VID)
    client.videos.download_content(VID)
    client.videos.download_content(VID, variant="thumbnail")
    client.videos.download_content(VID, variant="spritesheet")
    client.videos.remix(VID, prompt="Now it snows")
    client.videos.delete(VID)
    ours = [SORA.build_poll(job, CREDS), SORA.build_download(job, CREDS),
            SORA.build_download(job, CREDS, "thumbnail"),
            SORA.build_download(job, CREDS, "spritesheet"),
            SORA.build_remix(job, "Now it snows", CREDS), SORA.build_delete(VID, CREDS)]
    for mine, theirs in zip(ours, seen, strict=True):
        assert mine is not None
        assert (mine.method, str(mine.url)) == (theirs.method, str(theirs.url))
        assert mine.headers["accept"] == theirs.headers["accept"]
        assert mine.headers["authorization"] == theirs.headers["authorization"]
    assert json.loads(ours[4].content) == json.loads(seen[4].content) == {"prompt": "Now it snows"}


def test_edit_and_extend_use_the_json_id_form() -> None:
    edit = SORA.build_edit(VID, "Warm grade", CREDS)
    assert str(edit.url).endswith("/v1/videos/edits")
    assert json.loads(edit.content) == {"video": {"id": VID}, "prompt": "Warm grade"}
    extend = SORA.build_extend(Job(provider="sora", id=VID, status="succeeded"), "Leap", 8, CREDS)
    assert str(extend.url).endswith("/v1/videos/extensions")
    assert json.loads(extend.content) == {"video": {"id": VID}, "prompt": "Leap", "seconds": "8"}
    with pytest.raises(CapabilityError) as refused:
        SORA.build_extend(VID, "Leap", 7, CREDS)
    assert refused.value.allowed == (4, 8, 12, 16, 20)


def test_remix_response_parses_into_a_new_job() -> None:
    remixed = video(id="video_29bb", remixed_from_video_id=VID)
    job = SORA.parse_submit(reply(200, remixed))
    assert job.id == "video_29bb" and job.status == "queued"
    assert job.meta["remixed_from_video_id"] == VID


def test_download_variants_and_no_cancel() -> None:
    job = Job(provider="sora", id=VID, status="succeeded")
    with pytest.raises(ValueError, match="variants"):
        SORA.build_download(job, CREDS, "poster")
    assert SORA.build_cancel(job, CREDS) is None


# --- job states ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("wire", "ours"), [("queued", "queued"), ("in_progress", "running"),
                                            ("completed", "succeeded"), ("failed", "failed")])
def test_every_status_value_maps(wire: str, ours: str) -> None:
    job = SORA.parse_job(reply(200, video(wire, progress=46)), Job(
        provider="sora", model="sora-2-pro", backend="", credential="work", id=VID,
        status="queued"))
    assert job.status == ours and job.progress == 46 and job.credential == "work"


def test_an_unknown_status_is_not_guessed() -> None:
    with pytest.raises(ProviderUnavailableError, match="unknown status .paused."):
        SORA.parse_job(reply(200, video("paused")))


def test_the_poll_after_hint_is_honoured_in_seconds() -> None:
    job = SORA.parse_submit(reply(200, video(), **{"openai-poll-after-ms": "2500"}))
    assert job.poll_after == 2.5
    assert SORA.parse_job(reply(200, video("in_progress"))).poll_after is None


def test_completed_job_carries_its_times() -> None:
    job = SORA.parse_job(reply(200, video("completed", progress=100, completed_at=1767225761,
                                          expires_at=1767229361)))
    assert job.created_at is not None and job.updated_at is not None
    assert (job.updated_at - job.created_at).total_seconds() == 161
    assert job.meta["expires_at"] == "1767229361"


def test_moderation_failure_is_a_content_policy_error() -> None:
    failed = video("failed", error={"code": "moderation_blocked",
                                    "message": "The request was rejected by the content "
                                               "moderation system."})
    job = SORA.parse_job(reply(200, failed))
    assert (job.error_code, job.meta["failure"]) == ("moderation_blocked", "content_policy")
    assert isinstance(failure_of(job), ContentPolicyError)


def test_other_failures_keep_their_code_and_are_transient_only_with_a_retry_hint() -> None:
    plain = SORA.parse_job(reply(200, video("failed", error={"code": "internal_error",
                                                             "message": "try again"})))
    error = failure_of(plain)
    assert type(error) is JobFailedError and not error.transient
    assert error.code == "internal_error"
    hinted = SORA.parse_job(reply(200, video("failed", error={
        "code": "internal_error", "message": "busy", "param": None, "type": None,
        "headers": {"Retry-After": "30"}})))
    assert failure_of(hinted).transient  # type: ignore[attr-defined]


# --- error bodies (reference section 6.2) -------------------------------------------------------

def envelope(message: str, type_: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


BAD_KEY = envelope("Incorrect API key provided: sk-proj-****abcd. You can find your API key at "
                   "https://platform.openai.com/account/api-keys.", "invalid_request_error",
                   None, "invalid_api_key")
RATE = envelope("Rate limit reached for sora-2 in organization org-Xy12 on requests per min "
                "(RPM): Limit 25, Used 25, Requested 1. Please try again in 2.4s.", "requests",
                None, "rate_limit_exceeded")
QUOTA = envelope("You exceeded your current quota, please check your plan and billing details.",
                 "insufficient_quota", None, "insufficient_quota")
BAD_VALUE = envelope("Invalid value: '10'. Supported values are: '4', '8', and '12'.",
                     "invalid_request_error", "seconds", "invalid_value")
BLOCKED = envelope("Your request was blocked by our moderation system.",
                   "invalid_request_error", None, "moderation_blocked")
NO_VIDEO = envelope("Video with id 'video_0000' not found.", "invalid_request_error", None, None)
NO_MODEL = envelope("The model `sora-2` does not exist or you do not have access to it.",
                    "invalid_request_error", "model", "model_not_found")


@pytest.mark.parametrize(("status", "body", "expected"), [
    (401, BAD_KEY, AuthenticationError),
    (403, envelope("Your organization must be verified", "invalid_request_error", None, None),
     AuthenticationError),
    (429, QUOTA, InsufficientCreditsError),
    (400, BAD_VALUE, InvalidRequestError),
    (422, envelope("unprocessable", "invalid_request_error", None, None), InvalidRequestError),
    (400, BLOCKED, ContentPolicyError),
    (404, NO_MODEL, ModelUnavailableError),
    (404, NO_VIDEO, ModelUnavailableError),  # at submit, a 404 is the endpoint or model gone
    (409, envelope("conflict", "invalid_request_error", None, None), ProviderUnavailableError),
    (500, envelope("The server had an error", "server_error", None, None),
     ProviderUnavailableError),
    (503, None, ProviderUnavailableError),
])
def test_submit_errors_map(status: int, body: Any, expected: type[Exception]) -> None:
    with pytest.raises(expected) as raised:
        SORA.parse_submit(reply(status, body, **{"x-request-id": "req_1"}))
    assert raised.value.request_id == "req_1"  # type: ignore[attr-defined]
    assert raised.value.provider == "sora"  # type: ignore[attr-defined]


def test_invalid_value_names_the_field() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        SORA.parse_submit(reply(400, BAD_VALUE))
    assert raised.value.param == "seconds" and raised.value.code == "invalid_value"
    assert "Supported values are" in str(raised.value)


def test_an_unknown_video_on_poll_is_a_failed_job_not_a_retired_model() -> None:
    with pytest.raises(JobFailedError, match="not found"):
        SORA.parse_job(reply(404, NO_VIDEO))
    with pytest.raises(ModelUnavailableError):
        SORA.parse_job(reply(404, NO_MODEL))
    with pytest.raises(JobFailedError):
        SORA.raise_for_error(reply(404, NO_VIDEO))  # a download after expiry


@pytest.mark.parametrize(("headers", "wait"), [
    ({"retry-after": "3"}, 3.0), ({"retry-after-ms": "2400"}, 2.4), ({}, None)])
def test_rate_limits_with_and_without_retry_after(headers: dict[str, str],
                                                  wait: float | None) -> None:
    with pytest.raises(RateLimitError) as raised:
        SORA.parse_submit(reply(429, RATE, **headers))
    assert raised.value.retry_after == wait and raised.value.retryable


def test_no_error_carries_a_key_not_even_openais_mask() -> None:
    with pytest.raises(AuthenticationError) as raised:
        SORA.parse_submit(reply(401, BAD_KEY))
    assert "****abcd" not in str(raised.value) and KEY not in repr(vars(raised.value))


def test_a_success_without_a_video_object_is_not_trusted() -> None:
    # The create may have been accepted behind the unreadable answer: never resubmit blindly.
    with pytest.raises(vidbridge.SubmitUncertainError, match="not a Video object.*proxy"):
        SORA.parse_submit(httpx.Response(200, text="<html>proxy</html>"))
    with pytest.raises(ProviderUnavailableError, match="not a Video object"):
        SORA.parse_job(httpx.Response(200, text="<html>proxy</html>"))


# --- end to end through the client with a mock transport -----------------------------------------

def test_generate_polls_with_the_hint_and_downloads(tmp_path: Path) -> None:
    replies = iter([video(), video("in_progress", progress=50),
                    video("completed", progress=100)])
    waits: list[float] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/content"):
            assert request.headers["accept"] == "application/binary"
            return httpx.Response(200, content=b"\x00\x00\x00\x18ftypmp42",
                                  headers={"content-type": "video/mp4"})
        return reply(200, next(replies), **{"openai-poll-after-ms": "1500"})

    client = VideoClient(credentials={"sora": CREDS}, transport=httpx.MockTransport(server),
                         sleep=waits.append, allow_retired=True)
    result = client.generate(VideoRequest(prompt="x", size="1792x1024", duration=8),
                             model="sora:sora-2-pro", output=tmp_path / "out.mp4")
    assert result.job.status == "succeeded" and result.job.credential == "work"
    assert waits == [1.5, 1.5]
    assert (tmp_path / "out.mp4").read_bytes().startswith(b"\x00\x00\x00\x18ftyp")
    assert result.estimated_cost_usd == pytest.approx(4.0)


def test_the_adapter_is_registered_and_meets_the_protocol() -> None:
    from vidbridge import VideoProvider, providers

    assert isinstance(providers()["sora"], Sora) and isinstance(SORA, VideoProvider)


# --- lookup after a create whose answer was lost ----------------------------------------------

def test_lookup_lists_newest_videos_and_returns_every_exact_recent_match() -> None:
    import vidbridge_sora

    adapter = vidbridge_sora.Sora()
    adapter.clock = lambda: 1767300100.0  # type: ignore[method-assign]
    plan = normalise(VideoRequest(prompt="a paper boat", duration=4, size="1280x720"),
                     vidbridge_sora.MODELS["sora-2"], provider="sora", model="sora-2")
    request = adapter.build_lookup(plan, Credentials(api_key="k"))
    assert (request.method, request.url.path) == ("GET", "/v1/videos")
    assert dict(request.url.params) == {"limit": "20", "order": "desc"}

    def video(**changes: Any) -> dict[str, Any]:
        base = {"id": "video_match", "object": "video", "model": "sora-2",
                "status": "in_progress", "progress": 10, "created_at": 1767300050,
                "completed_at": None, "expires_at": None, "prompt": "a paper boat",
                "seconds": "4", "size": "1280x720", "remixed_from_video_id": None,
                "error": None}
        return {**base, **changes}

    def page(*videos: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, json={"object": "list", "data": list(videos),
                                         "has_more": False})

    [found] = adapter.parse_lookup(page(video(id="video_other", prompt="a kite"), video()), plan)
    assert found.id == "video_match" and found.status == "running"
    # Two matches are both returned: the caller (lifecycle.look_up) adopts neither.
    both = adapter.parse_lookup(page(video(), video(id="video_twin")), plan)
    assert [job.id for job in both] == ["video_match", "video_twin"]
    for miss in (video(seconds="8"), video(size="720x1280"), video(model="sora-2-pro"),
                 video(created_at=1767300100 - 601)):
        assert adapter.parse_lookup(page(miss), plan) == []
