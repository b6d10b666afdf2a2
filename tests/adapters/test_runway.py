"""The Runway adapter: tables, request bodies (checked against the official SDK), every task
status and failure code, every error body of shared/reference/runway-gen4.md, bad input."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

import vidbridge_runway as rw
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
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    SubmitUncertainError,
    VideoClient,
    VideoRequest,
    normalise,
)
from vidbridge.engine import failure_of
from vidbridge.plugins import new_plugin_manager, register

KEY = "key_" + "3f9c" * 32
CREDS = Credentials(name="rw-main", api_key=SecretStr(KEY))
ADAPTER = rw.Runway()
BASE = "https://api.dev.runwayml.com"
TASK = "2f8c1a64-5be1-4d0e-9b2a-7e0c51f4d9a3"
SIGNED = ("https://dnznrvs05pmza.cloudfront.net/gen4_turbo/" + TASK +
          "/video.mp4?_jwt=eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3NTgxMDk5NjB9.q2b")
PROMPT = "Slow push-in over the harbor as fog lifts, gulls crossing frame"


def png(width: int = 1280, height: int = 720, pad: int = 0) -> ImageInput:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 40, 60)).save(buffer, "PNG")
    return ImageInput(data=buffer.getvalue() + b"\0" * pad, mime_type="image/png")


URL_IMAGE = ImageInput(url="https://assets.example.com/shots/harbor-dawn.jpg")


def plan(model: str, policy: str = "strict", **request: Any) -> Plan:
    request.setdefault("prompt", PROMPT)
    return normalise(VideoRequest(**request), rw.MODELS[model], policy,  # type: ignore[arg-type]
                     provider="runway", model=model)


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def answer(status: int, payload: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def job(**fields: Any) -> Job:
    fields.setdefault("status", "queued")
    return Job(provider="runway", model="gen4_turbo", id=TASK, **fields)


# --- capability tables ------------------------------------------------------------------------

def test_sizes_map_to_ratios_both_ways() -> None:
    gen4 = rw.MODELS["gen4_turbo"]
    assert gen4.sizes["4:3"] == {"832p": "1104x832"}
    assert gen4.sizes["21:9"] == {"672p": "1584x672"}
    assert gen4.sizes["1:1"] == {"960p": "960x960"}
    assert sorted(rw.ratio_of(size) for size in gen4.all_sizes) == sorted(rw.GEN4_RATIOS)
    assert sorted(rw.ratio_of(s) for s in rw.MODELS["veo3.1"].all_sizes) == sorted(rw.VEO_RATIOS)
    assert all(rw.size_of(rw.ratio_of(size)) == size for size in gen4.all_sizes)


def test_durations_audio_and_inputs_per_model() -> None:
    models = rw.MODELS
    assert models["gen4_turbo"].durations == (2, 3, 4, 5, 6, 7, 8, 9, 10)
    assert models["gen4.5"].durations == tuple(range(2, 11))
    assert models["veo3.1"].durations == models["veo3.1_fast"].durations == (4, 6, 8)
    assert models["veo3"].durations == (8,)
    assert not models["gen4_turbo"].supports_text and models["gen4.5"].supports_text
    assert models["veo3.1"].supports_last_frame and not models["gen4.5"].supports_last_frame
    assert models["veo3.1"].audio == "optional" and models["gen4.5"].audio == "never"
    assert models["veo3"].audio == "always"
    assert models["gen3a_turbo"].lifecycle.status() == "retired"
    assert models["veo3"].lifecycle.successor == "veo3.1"
    assert models["veo3"].lifecycle.status() == "retired"


def test_prices_are_credits_per_second_with_audio_rates() -> None:
    veo = plan("veo3.1", prompt="x", duration=8, aspect_ratio="16:9", audio=True)
    silent = plan("veo3.1", prompt="x", duration=8, aspect_ratio="16:9", audio=False)
    assert veo.estimated_cost_usd == pytest.approx(40 * 8 * 0.01)
    assert silent.estimated_cost_usd == pytest.approx(20 * 8 * 0.01)
    fast = plan("veo3.1_fast", prompt="x", duration=4, aspect_ratio="9:16", audio=True)
    assert fast.estimated_cost_usd == pytest.approx(15 * 4 * 0.01)
    assert plan("gen4.5", duration=10, aspect_ratio="16:9").estimated_cost_usd == 1.2
    turbo = plan("gen4_turbo", duration=5, aspect_ratio="21:9", image=URL_IMAGE)
    assert turbo.estimated_cost_usd == pytest.approx(0.25)
    assert rw.MODELS["gen4.5"].price.unit == "credit"


def test_gen45_text_to_video_is_narrower_than_image_to_video() -> None:
    with pytest.raises(CapabilityError) as refused:
        plan("gen4.5", aspect_ratio="4:3")
    assert refused.value.allowed == ("16:9", "9:16")
    nearest = plan("gen4.5", "nearest", aspect_ratio="4:3")
    assert nearest.size == "1280x720"
    assert plan("gen4.5", aspect_ratio="4:3", image=URL_IMAGE).size == "1104x832"


# --- submit bodies ----------------------------------------------------------------------------

def test_text_to_video_body_and_headers() -> None:
    request = ADAPTER.build_submit(plan("gen4.5", duration=6, aspect_ratio="9:16", seed=44017,
                                        extra={"contentModeration":
                                               {"publicFigureThreshold": "low"}}), CREDS)
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/v1/text_to_video"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["X-Runway-Version"] == "2024-11-06"
    assert body(request) == {"model": "gen4.5", "promptText": PROMPT, "ratio": "720:1280",
                             "duration": 6, "seed": 44017,
                             "contentModeration": {"publicFigureThreshold": "low"}}


def test_image_to_video_takes_a_url_or_a_data_uri() -> None:
    by_url = ADAPTER.build_submit(plan("gen4_turbo", duration=5, aspect_ratio="16:9",
                                       image=URL_IMAGE), CREDS)
    assert str(by_url.url) == f"{BASE}/v1/image_to_video"
    assert body(by_url)["promptImage"] == URL_IMAGE.url
    image = png()
    inline = body(ADAPTER.build_submit(plan("gen4_turbo", duration=5, aspect_ratio="16:9",
                                            image=image), CREDS))
    assert inline["promptImage"] == image.data_uri()
    assert inline["promptImage"].startswith("data:image/png;base64,iVBOR")


def test_veo31_first_and_last_frame_audio_and_negative_prompt() -> None:
    first, last = png(), ImageInput(url="https://assets.example.com/last.png")
    sent = body(ADAPTER.build_submit(plan(
        "veo3.1", duration=8, size="1920x1080", audio=True, image=first, last_frame=last,
        negative_prompt="text, watermark, people"), CREDS))
    assert sent == {"model": "veo3.1",
                    "promptImage": [{"uri": first.data_uri(), "position": "first"},
                                    {"uri": last.url, "position": "last"}],
                    "promptText": PROMPT, "ratio": "1920:1080", "duration": 8,
                    "negativePrompt": "text, watermark, people", "audio": True}


def test_audio_flag_is_sent_only_where_the_model_has_it() -> None:
    silent = body(ADAPTER.build_submit(plan("veo3.1_fast", duration=4, aspect_ratio="16:9",
                                            audio=False), CREDS))
    assert silent["audio"] is False
    assert "audio" not in body(ADAPTER.build_submit(plan("veo3", duration=8,
                                                         aspect_ratio="16:9"), CREDS))
    assert "audio" not in body(ADAPTER.build_submit(plan("gen4.5", duration=5,
                                                         aspect_ratio="16:9"), CREDS))


def test_base_url_override() -> None:
    creds = Credentials(api_key=SecretStr(KEY), base_url="https://api.dev-stage.runwayml.com/")
    request = ADAPTER.build_submit(plan("gen4.5", duration=5), creds)
    assert str(request.url) == "https://api.dev-stage.runwayml.com/v1/text_to_video"


@pytest.mark.parametrize(("model", "extra", "param"), [
    ("gen4.5", {"personGeneration": "allow_all"}, "personGeneration"),
    ("veo3.1", {"contentModeration": {"publicFigureThreshold": "low"}}, "contentModeration"),
    ("gen4.5", {"contentModeration": {"publicFigureThreshold": "none"}}, "contentModeration"),
    ("gen4.5", {"contentModeration": "low"}, "contentModeration"),
])
def test_extra_keys_are_documented_or_refused(model: str, extra: dict[str, Any],
                                              param: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        ADAPTER.build_submit(plan(model, "nearest", extra=extra), CREDS)
    assert refused.value.param == param


def test_gen45_image_request_needs_a_prompt() -> None:
    with pytest.raises(CapabilityError) as refused:
        ADAPTER.build_submit(plan("gen4.5", prompt="", image=URL_IMAGE, duration=5), CREDS)
    assert refused.value.field == "prompt"
    turbo = ADAPTER.build_submit(plan("gen4_turbo", prompt="", image=URL_IMAGE), CREDS)
    assert "promptText" not in body(turbo)


def test_prompt_limit_counts_utf16_units() -> None:
    ADAPTER.build_submit(plan("gen4.5", prompt="a" * 1000, duration=5), CREDS)
    with pytest.raises(CapabilityError, match="1000 UTF-16"):  # 600 characters, 1200 units
        ADAPTER.build_submit(plan("gen4.5", prompt="\U0001F30A" * 600, duration=5), CREDS)
    with pytest.raises(CapabilityError, match="at most 1000 characters"):
        plan("gen4.5", prompt="a" * 1001, duration=5)


# --- the official SDK builds the same requests ------------------------------------------------

class Capture:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.method == "GET":
            return httpx.Response(200, json={"id": TASK, "status": "PENDING",
                                             "createdAt": "2026-09-14T09:12:40.118Z"})
        return httpx.Response(200, json={"id": TASK})


@pytest.fixture
def sdk() -> tuple[Any, Capture]:
    runwayml = pytest.importorskip("runwayml")
    capture = Capture()
    client = runwayml.RunwayML(api_key=KEY, base_url=BASE, max_retries=0,
                               http_client=httpx.Client(transport=httpx.MockTransport(capture)))
    return client, capture


def same_request(ours: httpx.Request, theirs: httpx.Request) -> None:
    assert (ours.method, ours.url.path) == (theirs.method, theirs.url.path)
    for header in ("Authorization", "X-Runway-Version"):
        assert ours.headers[header] == theirs.headers[header]
    if theirs.content:
        assert body(ours) == body(theirs)


def test_sdk_text_to_video_gen45(sdk: tuple[Any, Capture]) -> None:
    client, capture = sdk
    client.text_to_video.create(model="gen4.5", prompt_text=PROMPT, ratio="720:1280",
                                duration=6, seed=44017)
    ours = ADAPTER.build_submit(plan("gen4.5", duration=6, aspect_ratio="9:16", seed=44017),
                                CREDS)
    same_request(ours, capture.requests[-1])


def test_sdk_image_to_video_gen4_turbo(sdk: tuple[Any, Capture]) -> None:
    client, capture = sdk
    image = png()
    client.image_to_video.create(model="gen4_turbo", prompt_image=image.data_uri(),
                                 prompt_text=PROMPT, ratio="1584:672", duration=10, seed=7,
                                 content_moderation={"public_figure_threshold": "auto"})
    ours = ADAPTER.build_submit(plan("gen4_turbo", duration=10, aspect_ratio="21:9", seed=7,
                                     image=image, extra={"contentModeration": {
                                         "publicFigureThreshold": "auto"}}), CREDS)
    same_request(ours, capture.requests[-1])


def test_sdk_veo31_first_last_audio(sdk: tuple[Any, Capture]) -> None:
    client, capture = sdk
    client.image_to_video.create(
        model="veo3.1", prompt_text=PROMPT, ratio="1080:1920", duration=6, audio=True,
        negative_prompt="watermark", seed=3,
        prompt_image=[{"uri": URL_IMAGE.url, "position": "first"},
                      {"uri": "https://assets.example.com/last.png", "position": "last"}])
    ours = ADAPTER.build_submit(plan(
        "veo3.1", duration=6, size="1080x1920", audio=True, seed=3, negative_prompt="watermark",
        image=URL_IMAGE, last_frame=ImageInput(url="https://assets.example.com/last.png")),
        CREDS)
    same_request(ours, capture.requests[-1])


def test_sdk_text_to_video_veo31_fast(sdk: tuple[Any, Capture]) -> None:
    client, capture = sdk
    client.text_to_video.create(model="veo3.1_fast", prompt_text=PROMPT, ratio="1280:720",
                                duration=4, audio=False)
    ours = ADAPTER.build_submit(plan("veo3.1_fast", duration=4, size="1280x720", audio=False),
                                CREDS)
    same_request(ours, capture.requests[-1])


def test_sdk_task_retrieve_and_delete(sdk: tuple[Any, Capture]) -> None:
    client, capture = sdk
    client.tasks.retrieve(TASK)
    same_request(ADAPTER.build_poll(job(), CREDS), capture.requests[-1])
    client.tasks.delete(TASK)
    cancel = ADAPTER.build_cancel(job(), CREDS)
    assert cancel is not None
    same_request(cancel, capture.requests[-1])


# --- task statuses ----------------------------------------------------------------------------

def task(status: str, **fields: Any) -> httpx.Response:
    return answer(200, {"id": TASK, "createdAt": "2026-09-14T09:12:40.118Z", "status": status,
                        **fields})


def test_submit_answer_becomes_a_queued_job_with_the_cost_ceiling() -> None:
    accepted = ADAPTER.parse_submit(answer(200, {"id": TASK, "estimatedCost": {"credits": 25}}),
                                    plan("gen4.5", duration=5))
    assert (accepted.id, accepted.status, accepted.model) == (TASK, "queued", "gen4.5")
    assert accepted.reported_cost_usd == 0.25
    assert accepted.poll_after is None  # guidance is rw.Runway.poll_interval, not a hint
    older = ADAPTER.parse_submit(answer(200, {"id": TASK}), plan("gen4.5", duration=5))
    assert older.reported_cost_usd is None  # estimatedCost is a recent addition


@pytest.mark.parametrize(("wire", "ours"), [("PENDING", "queued"), ("THROTTLED", "queued")])
def test_waiting_states_are_queued_not_errors(wire: str, ours: str) -> None:
    polled = ADAPTER.parse_job(task(wire, estimatedCost={"credits": 25}), job())
    assert polled.status == ours and polled.error_code is None
    assert polled.created_at is not None and polled.created_at.year == 2026
    assert polled.poll_after is None and rw.Runway.poll_interval == 5.0


def test_running_progress_is_a_percentage() -> None:
    polled = ADAPTER.parse_job(task("RUNNING", progress=0.37), job())
    assert (polled.status, polled.progress) == ("running", 37.0)


def test_succeeded_keeps_the_signed_url_and_final_cost() -> None:
    done = ADAPTER.parse_job(task("SUCCEEDED", output=[SIGNED], cost={"credits": 25}),
                             job(progress=80.0))
    assert (done.status, done.output_url, done.progress) == ("succeeded", SIGNED, 100.0)
    assert done.reported_cost_usd == 0.25 and done.poll_after is None
    assert done.credential == job().credential


def test_succeeded_without_output_is_an_error() -> None:
    with pytest.raises(ProviderError):
        ADAPTER.parse_job(task("SUCCEEDED", output=[]), job())


def test_cancelled_and_deleted_tasks_end_cancelled() -> None:
    assert ADAPTER.parse_job(task("CANCELLED", cost={"credits": 0}), job()).status == "cancelled"
    gone = ADAPTER.parse_job(answer(404, {"error": "Could not find Task"}), job())
    assert (gone.status, gone.error_message) == ("cancelled", "Could not find Task")


def test_unknown_status_is_not_guessed() -> None:
    with pytest.raises(ProviderError, match="unknown status 'PAUSED'"):
        ADAPTER.parse_job(task("PAUSED"), job())


@pytest.mark.parametrize(("code", "failure", "raised", "transient"), [
    ("SAFETY.INPUT.TEXT", "content_policy", ContentPolicyError, False),
    ("SAFETY.INPUT.IMAGE", "content_policy", ContentPolicyError, False),
    ("SAFETY.OUTPUT.VIDEO", "content_policy", ContentPolicyError, False),
    ("INPUT_PREPROCESSING.SAFETY.TEXT", "content_policy", ContentPolicyError, False),
    ("INPUT_PREPROCESSING.INTERNAL", "transient", JobFailedError, True),
    ("INTERNAL.BAD_OUTPUT.CODE01", "transient", JobFailedError, True),
    ("INTERNAL", "transient", JobFailedError, True),
    ("THIRD_PARTY.UNAVAILABLE", "transient", JobFailedError, True),
    ("ASSET.INVALID", "invalid_input", JobFailedError, False),
    (None, "transient", JobFailedError, True),
    ("SOMETHING.NEW", None, JobFailedError, False),
])
def test_failure_codes_by_prefix(code: str | None, failure: str | None,
                                 raised: type[ProviderError], transient: bool) -> None:
    failed = ADAPTER.parse_job(task("FAILED", failure="An unexpected error occurred.",
                                    failureCode=code, cost={"credits": 0}), job())
    assert (failed.status, failed.error_code) == ("failed", code)
    assert failed.meta.get("failure") == failure
    assert failed.reported_cost_usd == 0.0
    error = failure_of(failed)
    assert type(error) is raised
    if isinstance(error, JobFailedError):
        assert error.transient is transient


def test_absent_failure_code_is_treated_like_internal() -> None:
    failed = ADAPTER.parse_job(task("FAILED", failure="x"), job())
    assert failed.meta["failure"] == "transient"


# --- download and cancel ----------------------------------------------------------------------

def test_download_is_a_plain_get_without_our_key() -> None:
    request = ADAPTER.build_download(job(status="succeeded", output_url=SIGNED), CREDS)
    assert request is not None
    assert (request.method, str(request.url)) == ("GET", SIGNED)
    assert "authorization" not in request.headers
    assert "x-runway-version" not in request.headers
    assert ADAPTER.build_download(job(), CREDS) is None
    assert ADAPTER.build_download(job(output_url=SIGNED), CREDS, variant="thumbnail") is None


def test_cancel_deletes_the_task() -> None:
    request = ADAPTER.build_cancel(job(), CREDS)
    assert request is not None
    assert (request.method, str(request.url)) == ("DELETE", f"{BASE}/v1/tasks/{TASK}")
    assert request.headers["X-Runway-Version"] == "2024-11-06"
    ADAPTER.raise_for_error(httpx.Response(204))  # no content is success


# --- error bodies -----------------------------------------------------------------------------

ISSUES = {"error": "Validation of body failed", "issues": [{
    "code": "invalid_value",
    "values": ["1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"],
    "path": ["ratio"], "message": "Invalid option: expected one of \"1280:720\"|\"720:1280\""}],
    "docUrl": "https://docs.dev.runwayml.com/api"}


@pytest.mark.parametrize(("status", "payload", "raised"), [
    (401, {"error": "The provided API key is not valid."}, AuthenticationError),
    (403, {"error": "Forbidden"}, AuthenticationError),
    (400, {"error": "The API version that was provided in the X-Runway-Version header is not "
                    "valid.", "docUrl": "https://docs.dev.runwayml.com/api"},
     InvalidRequestError),
    (400, {"error": "Invalid asset aspect ratio. width / height ratio must be at least 0.5. "
                    "Got 0.462.", "docUrl": "https://docs.dev.runwayml.com/api"},
     InvalidRequestError),
    (400, {"error": "You do not have enough credits to run this task."},
     InsufficientCreditsError),
    (404, {"error": "Not found"}, ModelUnavailableError),
    (405, {"error": "Method not allowed"}, InvalidRequestError),
    (429, {"error": "You have exceeded the daily generation limit for this model. Try again "
                    "later."}, RateLimitError),
    (502, {"error": "Bad gateway"}, ProviderUnavailableError),
    (503, {"error": "Service temporarily unavailable."}, ProviderUnavailableError),
    (504, None, ProviderUnavailableError),
])
def test_http_errors(status: int, payload: Any, raised: type[ProviderError]) -> None:
    with pytest.raises(raised) as caught:
        ADAPTER.parse_submit(answer(status, payload), plan("gen4.5", duration=5))
    assert type(caught.value) is raised
    assert caught.value.status == status and caught.value.provider == "runway"
    if payload:
        assert payload["error"] in str(caught.value)


def test_validation_issue_names_the_parameter() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        ADAPTER.raise_for_error(answer(400, ISSUES))
    assert caught.value.param == "ratio"
    assert caught.value.code == "invalid_value"
    assert "ratio" in str(caught.value) and "Invalid option" in str(caught.value)


def test_validation_issue_on_the_model_means_the_model_is_unavailable() -> None:
    refused = {"error": "Validation of body failed",
               "issues": [{"code": "invalid_union", "path": ["model"], "message": "Invalid"}]}
    with pytest.raises(ModelUnavailableError):
        ADAPTER.raise_for_error(answer(400, refused))


def test_rate_limit_carries_retry_after() -> None:
    with pytest.raises(RateLimitError) as caught:
        ADAPTER.raise_for_error(answer(429, {"error": "quota"}, **{"retry-after": "30"}))
    assert caught.value.retry_after == 30.0 and caught.value.retryable


def test_success_without_json_is_an_error() -> None:
    # The task may exist behind an unreadable 200: the submit is uncertain, never resubmitted.
    with pytest.raises(SubmitUncertainError, match="not a task object"):
        ADAPTER.parse_submit(httpx.Response(200, text="<html>"), plan("gen4.5", duration=5))
    with pytest.raises(SubmitUncertainError, match="not a task object .id"):
        ADAPTER.parse_submit(httpx.Response(200, json={}), plan("gen4.5", duration=5))


# --- credentials and bad input before any HTTP ------------------------------------------------

def test_check_credentials_needs_a_key() -> None:
    with pytest.raises(ConfigError, match="RUNWAYML_API_SECRET"):
        ADAPTER.check_credentials(Credentials(name="empty"))
    ADAPTER.check_credentials(CREDS)
    assert ADAPTER.credential_env == {"api_key": "RUNWAYML_API_SECRET"}


def refuse_all(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no HTTP expected, got {request.method} {request.url}")


@pytest.fixture
def client() -> VideoClient:
    pm = new_plugin_manager(load_entry_points=False)
    register(rw, name="runway-test", pm=pm)
    return VideoClient(credentials={"runway": CREDS}, pm=pm,
                       transport=httpx.MockTransport(refuse_all), sleep=lambda s: None)


@pytest.mark.parametrize(("request_fields", "field", "named"), [
    ({}, "image", "image"),  # gen4_turbo without an image
    ({"image": png(400, 900)}, "image", "between 0.5 and 2.0"),
    ({"image": png(1800, 850)}, "image", "between 0.5 and 2.0"),
    ({"image": png(8000, 4500)}, "image", "at most 7999 px"),
    ({"image": png(1280, 720, pad=rw.MAX_IMAGE_BYTES)}, "image",
     f"at most {rw.MAX_IMAGE_BYTES} bytes"),
])
def test_bad_input_fails_before_any_http(client: VideoClient, request_fields: dict[str, Any],
                                         field: str, named: str) -> None:
    with pytest.raises(CapabilityError) as refused:
        client.generate({"prompt": PROMPT, **request_fields}, model="runway:gen4_turbo")
    assert refused.value.field == field
    assert named in str(refused.value)


def test_image_byte_limit_is_the_largest_that_keeps_the_data_uri_under_5_mib() -> None:
    def jpeg(size: int) -> ImageInput:  # the longest MIME prefix; only the length matters
        return ImageInput(data=b"\xff\xd8\xff" + b"\0" * (size - 3), mime_type="image/jpeg")

    assert len(jpeg(rw.MAX_IMAGE_BYTES).data_uri()) < 5 * 1024 * 1024
    assert len(jpeg(rw.MAX_IMAGE_BYTES + 1).data_uri()) >= 5 * 1024 * 1024


# --- the whole flow through a client ----------------------------------------------------------

def test_generate_end_to_end(tmp_path: Any) -> None:
    seen: list[httpx.Request] = []
    polls = iter([task("THROTTLED"), task("RUNNING", progress=0.5),
                  task("SUCCEEDED", output=[SIGNED], cost={"credits": 25})])

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "dnznrvs05pmza.cloudfront.net":
            return httpx.Response(200, content=b"\0\0\0\x18ftypmp42video",
                                  headers={"content-type": "video/mp4"})
        if request.method == "POST":
            return answer(200, {"id": TASK, "estimatedCost": {"credits": 25}})
        return next(polls)

    pm = new_plugin_manager(load_entry_points=False)
    register(rw, name="runway-test", pm=pm)
    with VideoClient(credentials={"runway": CREDS}, pm=pm, transport=httpx.MockTransport(server),
                     sleep=lambda s: None) as client:
        result = client.generate({"prompt": PROMPT, "image": URL_IMAGE, "duration": 5},
                                 model="runway:gen4_turbo", output=tmp_path / "out.mp4")
    assert result.job.status == "succeeded" and result.job.credential == "rw-main"
    assert result.job.reported_cost_usd == 0.25
    assert (tmp_path / "out.mp4").read_bytes().startswith(b"\0\0\0\x18ftyp")
    download = seen[-1]
    assert download.url.host == "dnznrvs05pmza.cloudfront.net"
    assert "authorization" not in download.headers
    assert all(r.headers["x-runway-version"] == "2024-11-06" for r in seen[:-1])


def test_plugin_registers_the_adapter() -> None:
    adapters = rw.video_providers()
    assert [a.name for a in adapters] == ["runway"]
    assert ADAPTER.backend(CREDS) == ""
