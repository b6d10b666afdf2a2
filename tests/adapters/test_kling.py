"""The Kling adapter: JWT signing and caching, tables, request bodies, every task status and
every error code of shared/reference/kling.md, lookups by external_task_id, bad input."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr

import vidbridge_kling as kl
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
    VideoClient,
    VideoRequest,
    normalise,
)
from vidbridge.engine import failure_of
from vidbridge.plugins import new_plugin_manager, register

ACCESS = "AkYf3c9E2b7d4a1f8e6c0b5a9d3e7f1c2"
SECRET = "Sk9b2e51d07c1f4f58a0d42f3f0d3a7c11e4b8"
CREDS = Credentials(name="kling-main", api_key=SecretStr(ACCESS), secret_key=SecretStr(SECRET))
NOW = 1_757_841_000.0
PROMPT = "A red kite climbs over windswept dunes at golden hour"
TASK = "CjhYpGdBK5cAAAAAAB3pQw"
URL_IMAGE = ImageInput(url="https://assets.example.com/frames/door-closed.png")
CDN = ("https://cdn.klingai.com/bs2/upload-kling-api/4821937705/text2video/"
       "CjhYpGdBK5cAAAAAAB3pQw-0_raw_video_1.mp4")


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def adapter(clock: Clock) -> kl.Kling:
    return kl.Kling(clock=clock)


def png(width: int = 1280, height: int = 720, fmt: str = "PNG") -> ImageInput:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, fmt)
    mime = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp",
            "GIF": "image/gif"}[fmt]
    return ImageInput(data=buffer.getvalue(), mime_type=mime)


def plan(model: str, policy: str = "strict", **request: Any) -> Plan:
    request.setdefault("prompt", PROMPT)
    request.setdefault("duration", 5)
    return normalise(VideoRequest(**request), kl.MODELS[model], policy,  # type: ignore[arg-type]
                     provider="kling", model=model)


def sent(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.content)  # type: ignore[no-any-return]


def envelope(data: Any, code: int = 0, message: str = "SUCCEED", status: int = 200,
             **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message,
                                        "request_id": "7b1f3c52-2d6e-4d7a-9a8e-5f0c2b41e9d3",
                                        "data": data}, headers=headers)


def task(status: str, **fields: Any) -> dict[str, Any]:
    return {"task_id": TASK, "task_status": status, "task_status_msg": "",
            "task_info": {"external_task_id": "shot-0042-take-1"},
            "created_at": 1757841160118, "updated_at": 1757841172530, **fields}


def job(family: str = "text2video", **fields: Any) -> Job:
    fields.setdefault("status", "queued")
    return Job(provider="kling", model="kling-v2-6:pro", id=TASK, meta={"family": family},
               **fields)


# --- the JWT ----------------------------------------------------------------------------------

def test_jwt_decodes_with_pyjwt(adapter: kl.Kling) -> None:
    request = adapter.build_submit(plan("kling-v2-6:pro"), CREDS)
    scheme, token = request.headers["Authorization"].split(" ")
    assert scheme == "Bearer"
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"],
                        options={"verify_exp": False, "verify_nbf": False})
    assert claims == {"iss": ACCESS, "exp": int(NOW) + 1800, "nbf": int(NOW) - 5}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-at-least-32-bytes!!", algorithms=["HS256"],
                   options={"verify_exp": False, "verify_nbf": False})


def test_token_is_cached_and_renewed_before_exp(adapter: kl.Kling, clock: Clock) -> None:
    first = adapter.token(CREDS)
    clock.now += 1800 - 301  # more than 5 min left: reuse
    assert adapter.token(CREDS) == first
    clock.now += 2  # under 5 min left: sign a fresh one
    renewed = adapter.token(CREDS)
    assert renewed != first
    claims = jwt.decode(renewed, SECRET, algorithms=["HS256"],
                        options={"verify_exp": False, "verify_nbf": False})
    assert claims["exp"] == int(clock.now) + 1800


def test_cache_is_per_access_key_and_secret(adapter: kl.Kling) -> None:
    first = adapter.token(CREDS)
    other = Credentials(api_key=SecretStr("Ak-second-key-000000000000000000"),
                        secret_key=SecretStr(SECRET))
    assert jwt.decode(adapter.token(other), SECRET, algorithms=["HS256"],
                      options={"verify_exp": False, "verify_nbf": False})["iss"] != ACCESS
    assert adapter.token(CREDS) == first
    rotated = Credentials(api_key=SecretStr(ACCESS),
                          secret_key=SecretStr("Sk-rotated-secret-00000000000000000000"))
    assert adapter.token(rotated) != first


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1004])
def test_auth_errors_drop_cached_tokens(adapter: kl.Kling, clock: Clock, code: int) -> None:
    first = adapter.token(CREDS)
    with pytest.raises(AuthenticationError):
        adapter.raise_for_error(envelope(None, code=code, message="Auth failed", status=401))
    clock.now += 1  # a new iat second, so a re-signed token differs
    assert adapter.token(CREDS) != first


def test_api_key_mode_sends_the_key_itself(adapter: kl.Kling) -> None:
    creds = Credentials(api_key=SecretStr("kling-api-key-0123456789"),
                        options={"auth": "api_key"})
    adapter.check_credentials(creds)
    request = adapter.build_submit(plan("kling-v2-6:std"), creds)
    assert request.headers["Authorization"] == "Bearer kling-api-key-0123456789"


# --- credentials and regions ------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "named"), [
    ({"api_key": SecretStr(ACCESS)}, "secret key"),
    ({"secret_key": SecretStr(SECRET)}, "access key"),
    ({}, "access key (api_key, KLING_ACCESS_KEY) and the secret key"),
])
def test_a_missing_half_of_the_pair_is_named(adapter: kl.Kling, fields: dict[str, Any],
                                             named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        adapter.check_credentials(Credentials(name="half", **fields))
    assert named in str(refused.value)
    assert SECRET not in str(refused.value) and ACCESS not in str(refused.value)


@pytest.mark.parametrize("options", [{"region": "europe"}, {"auth": "oauth"},
                                     {"auth": "api_key"}])
def test_bad_options_are_config_errors(adapter: kl.Kling, options: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        adapter.check_credentials(Credentials(secret_key=SecretStr(SECRET), options=options))


@pytest.mark.parametrize(("creds", "base"), [
    (CREDS, "https://api-singapore.klingai.com"),
    (CREDS.model_copy(update={"options": {"region": "china"}}),
     "https://api-beijing.klingai.com"),
    (CREDS.model_copy(update={"base_url": "https://api.klingai.com/"}),
     "https://api.klingai.com"),
])
def test_base_url_by_region_or_override(adapter: kl.Kling, creds: Credentials,
                                        base: str) -> None:
    adapter.check_credentials(creds)
    assert str(adapter.build_submit(plan("kling-v2-6:std"), creds).url) == (
        f"{base}/v1/videos/text2video")


def test_backend_is_the_region(adapter: kl.Kling) -> None:
    assert adapter.backend(CREDS) == "global"
    assert adapter.backend(CREDS.model_copy(update={"options": {"region": "china"}})) == "china"


# --- capability tables ------------------------------------------------------------------------

def test_model_ids_carry_the_mode() -> None:
    assert set(kl.MODELS) == {
        "kling-v3:std", "kling-v3:pro", "kling-v3-omni:std", "kling-v3-omni:pro",
        "kling-video-o1:std", "kling-video-o1:pro", "kling-v2-6:std", "kling-v2-6:pro",
        "kling-v2-5-turbo:std", "kling-v2-5-turbo:pro",
        "kling-v2-1-master", "kling-v2-1:std", "kling-v2-1:pro", "kling-v2-master",
        "kling-v1-6:std", "kling-v1-6:pro", "kling-v1-5:std", "kling-v1-5:pro",
        "kling-v1:std", "kling-v1:pro"}
    classic = {key: caps for key, caps in kl.MODELS.items()
               if not key.startswith(("kling-v3", "kling-video-o1"))}
    for caps in classic.values():
        assert caps.durations == (5, 10)
        assert not caps.supports_negative_prompt or not caps.supports_seed
    for caps in kl.MODELS.values():
        assert set(caps.sizes) == {"16:9", "9:16", "1:1"}
        assert not caps.supports_seed
        assert caps.source and caps.verified_on is not None
    assert kl.MODELS["kling-v3:pro"].durations == tuple(range(3, 16))
    assert kl.MODELS["kling-video-o1:std"].durations == tuple(range(3, 11))
    assert not kl.MODELS["kling-v2-1:pro"].supports_text
    assert not kl.MODELS["kling-v1-5:std"].supports_text
    assert kl.MODELS["kling-v2-1-master"].resolutions == ("1080p",)


def test_audio_only_on_v26_pro() -> None:
    assert {key for key, caps in kl.MODELS.items() if caps.audio != "never"} == {
        "kling-v2-6:pro", "kling-v3:std", "kling-v3:pro", "kling-v3-omni:std",
        "kling-v3-omni:pro"}
    assert kl.MODELS["kling-v2-6:pro"].audio == "optional"


def test_last_frame_only_where_the_map_allows() -> None:
    assert {key for key, caps in kl.MODELS.items() if caps.supports_last_frame} == {
        "kling-v2-6:pro", "kling-v2-5-turbo:pro", "kling-v2-1:pro", "kling-v1-6:pro",
        "kling-v1-5:pro", "kling-v1:std", "kling-v1:pro", "kling-v3:std", "kling-v3:pro",
        "kling-v3-omni:std", "kling-v3-omni:pro", "kling-video-o1:std", "kling-video-o1:pro"}


def test_v26_is_silent_with_a_last_frame() -> None:
    with pytest.raises(CapabilityError) as refused:
        plan("kling-v2-6:pro", image=URL_IMAGE, last_frame=URL_IMAGE, audio=True)
    assert refused.value.field == "audio" and "image_tail" in str(refused.value)
    assert not plan("kling-v2-6:pro", image=URL_IMAGE, last_frame=URL_IMAGE).audio
    assert plan("kling-v2-6:pro", audio=True).audio


def test_v1_last_frame_is_five_seconds_only() -> None:
    assert plan("kling-v1:pro", "nearest", image=URL_IMAGE, last_frame=URL_IMAGE,
                duration=10).duration == 5
    assert plan("kling-v1:pro", image=URL_IMAGE, duration=10).duration == 10


@pytest.mark.parametrize(("model", "duration", "audio", "units"), [
    ("kling-v1:std", 5, False, 1), ("kling-v1:pro", 10, False, 7),
    ("kling-v1-6:std", 10, False, 4), ("kling-v2-master", 5, False, 10),
    ("kling-v2-1-master", 10, False, 20), ("kling-v2-5-turbo:std", 5, False, 1.5),
    ("kling-v2-5-turbo:pro", 10, False, 5), ("kling-v2-6:pro", 5, False, 2.5),
    ("kling-v2-6:pro", 10, True, 10),
])
def test_prices_are_units_at_014(model: str, duration: int, audio: bool, units: float) -> None:
    made = plan(model, duration=duration, audio=audio)
    assert made.estimated_cost_usd == pytest.approx(units * 0.14)
    assert kl.MODELS[model].price.unit == "unit"
    pack = normalise(VideoRequest(prompt="x", duration=duration, audio=audio), kl.MODELS[model],
                     usd_per_unit=0.126)
    assert pack.estimated_cost_usd == pytest.approx(units * 0.126)


# --- submit bodies ----------------------------------------------------------------------------

def test_text_to_video_body(adapter: kl.Kling) -> None:
    made = plan("kling-v2-5-turbo:pro", aspect_ratio="9:16", duration=10,
                negative_prompt="blurry, low quality, text, watermark")
    request = adapter.build_submit(made, CREDS)
    assert (request.method, request.url.path) == ("POST", "/v1/videos/text2video")
    body = sent(request)
    assert body.pop("external_task_id") == adapter.external_task_id(made)
    assert body == {"model_name": "kling-v2-5-turbo", "prompt": PROMPT,
                    "negative_prompt": "blurry, low quality, text, watermark", "mode": "pro",
                    "aspect_ratio": "9:16", "duration": "10"}


def test_master_models_send_no_mode(adapter: kl.Kling) -> None:
    body = sent(adapter.build_submit(plan("kling-v2-master", aspect_ratio="1:1"), CREDS))
    assert "mode" not in body and body["model_name"] == "kling-v2-master"
    assert body["duration"] == "5" and body["aspect_ratio"] == "1:1"


def test_sound_on_v26_pro_only(adapter: kl.Kling) -> None:
    assert sent(adapter.build_submit(plan("kling-v2-6:pro", audio=True), CREDS))["sound"] == "on"
    assert sent(adapter.build_submit(plan("kling-v2-6:pro"), CREDS))["sound"] == "off"
    assert "sound" not in sent(adapter.build_submit(plan("kling-v2-6:std"), CREDS))


def test_image_to_video_body_raw_base64_and_tail(adapter: kl.Kling) -> None:
    first = png()
    made = plan("kling-v2-1:pro", "nearest", image=first, last_frame=URL_IMAGE,
                aspect_ratio="9:16", negative_prompt="flicker")
    request = adapter.build_submit(made, CREDS)
    assert request.url.path == "/v1/videos/image2video"
    body = sent(request)
    assert body["image"] == first.base64() and not body["image"].startswith("data:")
    assert body["image_tail"] == URL_IMAGE.url
    assert "aspect_ratio" not in body  # the output follows the input image
    assert {key: body[key] for key in ("model_name", "mode", "duration", "negative_prompt")} == {
        "model_name": "kling-v2-1", "mode": "pro", "duration": "5",
        "negative_prompt": "flicker"}


def test_image_prompt_is_optional(adapter: kl.Kling) -> None:
    body = sent(adapter.build_submit(plan("kling-v2-6:std", prompt="", image=URL_IMAGE), CREDS))
    assert "prompt" not in body and body["image"] == URL_IMAGE.url


def test_cfg_scale_where_allowed(adapter: kl.Kling) -> None:
    body = sent(adapter.build_submit(plan("kling-v1-6:pro", extra={"cfg_scale": 0.7}), CREDS))
    assert body["cfg_scale"] == 0.7
    with pytest.raises(InvalidRequestError) as refused:
        adapter.build_submit(plan("kling-v2-6:pro", extra={"cfg_scale": 0.7}), CREDS)
    assert refused.value.param == "cfg_scale"
    for bad in (1.5, -0.1, "high", True):
        with pytest.raises(InvalidRequestError):
            adapter.build_submit(plan("kling-v1:std", extra={"cfg_scale": bad}), CREDS)


def test_unknown_extra_is_refused(adapter: kl.Kling) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        adapter.build_submit(plan("kling-v2-6:std", extra={"camera_control": {}}), CREDS)
    assert refused.value.param == "camera_control"


def test_prompt_limits(adapter: kl.Kling) -> None:
    with pytest.raises(CapabilityError, match="at most 2500 characters"):
        plan("kling-v2-6:std", prompt="a" * 2501)
    with pytest.raises(CapabilityError) as refused:
        adapter.build_submit(plan("kling-v2-6:std", negative_prompt="b" * 2501), CREDS)
    assert refused.value.field == "negative_prompt"


def test_external_task_id_is_deterministic_and_takes_a_nonce(adapter: kl.Kling) -> None:
    made = plan("kling-v2-6:std")
    first = adapter.external_task_id(made)
    assert first == adapter.external_task_id(plan("kling-v2-6:std"))
    assert first.startswith("vb-") and len(first) == 35
    assert first != adapter.external_task_id(plan("kling-v2-6:std", duration=10))
    take2 = plan("kling-v2-6:std", extra={"external_task_id": "take-2"})
    assert adapter.external_task_id(take2) != first
    assert "take-2" not in sent(adapter.build_submit(take2, CREDS)).values()
    assert sent(adapter.build_submit(take2, CREDS))["external_task_id"] == (
        adapter.external_task_id(take2))


def test_external_task_id_differs_between_requests_not_between_retries(
        adapter: kl.Kling) -> None:
    # Two users asking for the same video must not collide (Kling refuses a seen id); one
    # request's retries keep its id so a lost submit can still be found.
    mine = plan("kling-v2-6:std").model_copy(update={"request_key": "req-1"})
    theirs = mine.model_copy(update={"request_key": "req-2"})
    assert adapter.external_task_id(mine) != adapter.external_task_id(theirs)
    assert adapter.external_task_id(mine) == adapter.external_task_id(
        plan("kling-v2-6:std").model_copy(update={"request_key": "req-1"}))


# --- lookups after a lost submit --------------------------------------------------------------

def test_lookup_by_plan_uses_its_family_and_id(adapter: kl.Kling) -> None:
    made = plan("kling-v2-6:std", image=URL_IMAGE)
    request = adapter.build_lookup(made, CREDS)
    assert request.method == "GET"
    assert request.url.path == f"/v1/videos/image2video/{adapter.external_task_id(made)}"
    assert request.headers["Authorization"].startswith("Bearer ey")


def test_lookup_by_bare_id_needs_the_family(adapter: kl.Kling) -> None:
    request = adapter.build_lookup("vb-123", CREDS, family="text2video")
    assert str(request.url) == "https://api-singapore.klingai.com/v1/videos/text2video/vb-123"
    with pytest.raises(ValueError, match="family"):
        adapter.build_lookup("vb-123", CREDS)


def test_parse_lookup(adapter: kl.Kling) -> None:
    made = plan("kling-v2-6:std")
    found = adapter.parse_lookup(envelope(task("processing")), made)
    assert found is not None and (found.id, found.status) == (TASK, "running")
    assert found.meta["family"] == "text2video" and found.model == "kling-v2-6:std"
    missing = envelope(None, code=1203, message="task not found", status=404)
    assert adapter.parse_lookup(missing, made) is None
    assert adapter.parse_lookup(httpx.Response(404), made) is None


# --- task statuses ----------------------------------------------------------------------------

def test_submit_answer(adapter: kl.Kling) -> None:
    made = plan("kling-v2-6:std")
    accepted = adapter.parse_submit(envelope({
        "task_id": TASK, "task_status": "submitted",
        "task_info": {"external_task_id": "shot-0042-take-1"},
        "created_at": 1757841160118, "updated_at": 1757841160118}), made)
    assert (accepted.id, accepted.status, accepted.model) == (TASK, "queued", "kling-v2-6:std")
    assert accepted.meta == {"family": "text2video", "external_task_id": "shot-0042-take-1"}
    assert accepted.created_at is not None and accepted.created_at.year == 2025
    assert accepted.poll_after is None and kl.Kling.poll_interval == 5.0  # guidance, not a hint


def test_poll_uses_the_family_of_the_create(adapter: kl.Kling) -> None:
    for family in ("text2video", "image2video"):
        request = adapter.build_poll(job(family), CREDS)
        assert (request.method, request.url.path) == ("GET", f"/v1/videos/{family}/{TASK}")


def test_processing_then_succeed(adapter: kl.Kling) -> None:
    running = adapter.parse_job(envelope(task("processing")), job())
    assert running.status == "running" and running.meta["family"] == "text2video"
    done = adapter.parse_job(envelope(task(
        "succeed", final_unit_deduction="5", watermark_info={"enabled": False},
        task_result={"videos": [{"id": "3f0b6c2e", "url": CDN, "duration": "10.1"}]})), running)
    assert (done.status, done.output_url, done.progress) == ("succeeded", CDN, 100.0)
    assert done.reported_cost_usd == pytest.approx(0.7) and done.meta["units"] == "5"
    assert done.poll_after is None


def test_succeed_without_video_is_an_error(adapter: kl.Kling) -> None:
    with pytest.raises(ProviderError):
        adapter.parse_job(envelope(task("succeed", task_result={"videos": []})), job())


@pytest.mark.parametrize(("message", "raised"), [
    ("Failure to pass the risk control system", ContentPolicyError),
    ("The content you submitted contains sensitive information", ContentPolicyError),
    ("Task failed, please try again later", JobFailedError),
    ("", JobFailedError),
])
def test_failed_tasks_are_policy_only_when_the_message_says(
        adapter: kl.Kling, message: str, raised: type[ProviderError]) -> None:
    failed = adapter.parse_job(envelope(task("failed", task_status_msg=message)), job())
    assert failed.status == "failed" and failed.error_message
    error = failure_of(failed)
    assert type(error) is raised
    if isinstance(error, JobFailedError):
        assert not error.transient


def test_unknown_status_is_not_guessed(adapter: kl.Kling) -> None:
    with pytest.raises(ProviderError, match="'succeeded'"):  # the 3.x API's spelling
        adapter.parse_job(envelope(task("succeeded")), job())


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "code", "raised"), [
    (401, 1000, AuthenticationError), (401, 1001, AuthenticationError),
    (401, 1002, AuthenticationError), (401, 1003, AuthenticationError),
    (401, 1004, AuthenticationError), (429, 1100, AuthenticationError),
    (429, 1101, InsufficientCreditsError), (429, 1102, InsufficientCreditsError),
    (403, 1103, AuthenticationError), (400, 1200, InvalidRequestError),
    (400, 1201, InvalidRequestError), (404, 1202, InvalidRequestError),
    (404, 1203, ModelUnavailableError), (400, 1300, ContentPolicyError),
    (400, 1301, ContentPolicyError), (429, 1302, RateLimitError),
    (429, 1303, RateLimitError), (429, 1304, AuthenticationError),
    (500, 5000, ProviderUnavailableError), (503, 5001, ProviderUnavailableError),
    (504, 5002, ProviderUnavailableError),
])
def test_every_error_code(adapter: kl.Kling, status: int, code: int,
                          raised: type[ProviderError]) -> None:
    with pytest.raises(raised) as caught:
        adapter.parse_submit(envelope(None, code=code, message=f"error {code}", status=status),
                             plan("kling-v2-6:std"))
    error = caught.value
    assert type(error) is raised
    assert (error.status, error.code, error.provider) == (status, code, "kling")
    assert error.request_id == "7b1f3c52-2d6e-4d7a-9a8e-5f0c2b41e9d3"
    assert f"error {code}" in str(error)


@pytest.mark.parametrize(("code", "raised"), [(1303, RateLimitError), (1102,
                                                                       InsufficientCreditsError),
                                              (1201, InvalidRequestError)])
def test_a_code_is_an_error_even_with_http_200(adapter: kl.Kling, code: int,
                                               raised: type[ProviderError]) -> None:
    with pytest.raises(raised):
        adapter.parse_job(envelope(None, code=code, message="flattened"), job())


REFERENCE_BODIES: list[tuple[int, dict[str, Any], type[ProviderError]]] = [
    (401, {"code": 1004, "message": "Auth failed: token expired",
           "request_id": "f1c0a7d2-3e59-4b8a-9d61-2c7e0b4f58a3"}, AuthenticationError),
    (429, {"code": 1303, "message": "parallel task over resource pack limit",
           "request_id": "9984d27b-a408-4073-ae28-17ca6a13622d", "data": None},
     RateLimitError),
    (429, {"code": 1302, "message": "request too frequent, please try again later",
           "request_id": "a6e3b9c4-5d21-4f07-8b3e-7c9d1f2a0e64"}, RateLimitError),
    (400, {"code": 1201, "message": "duration value '7' is invalid, must be one of [5, 10]",
           "request_id": "4b7d2e1f-0c9a-4e3b-a6d5-8f1c2b9e7a30"}, InvalidRequestError),
    (400, {"code": 1301,
           "message": "The content you submitted contains sensitive information",
           "request_id": "2e9f4c7a-1b3d-4a6e-9c8f-5d0b7e2a1c46"}, ContentPolicyError),
    (429, {"code": 1102, "message": "Account balance not enough",
           "request_id": "c3a1f8e5-6d2b-4e9c-b7a0-1f4d8c2e9b57"}, InsufficientCreditsError),
    (500, {"code": 5000, "message": "Internal server error, please retry later",
           "request_id": "7f2d9b1e-4c8a-4b6f-a3e0-9d5c1e7b2f18"}, ProviderUnavailableError),
]


@pytest.mark.parametrize(("status", "body", "raised"), REFERENCE_BODIES)
def test_reference_error_bodies(adapter: kl.Kling, status: int, body: dict[str, Any],
                                raised: type[ProviderError]) -> None:
    with pytest.raises(raised) as caught:
        adapter.raise_for_error(httpx.Response(status, json=body))
    assert type(caught.value) is raised
    assert body["message"] in str(caught.value)
    assert caught.value.request_id == body["request_id"]


def test_rate_limit_retry_after_from_headers(adapter: kl.Kling) -> None:
    with pytest.raises(RateLimitError) as caught:
        adapter.raise_for_error(envelope(None, code=1303, status=429, **{"retry-after": "2"}))
    assert caught.value.retry_after == 2.0 and caught.value.retryable


def test_http_errors_without_an_envelope(adapter: kl.Kling) -> None:
    with pytest.raises(ProviderUnavailableError):
        adapter.raise_for_error(httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(AuthenticationError):
        adapter.raise_for_error(httpx.Response(401))


def test_success_without_data_is_an_error(adapter: kl.Kling) -> None:
    with pytest.raises(ProviderUnavailableError):
        adapter.parse_job(envelope(None), job())


# --- download and cancel ----------------------------------------------------------------------

def test_download_is_a_plain_get_without_the_jwt(adapter: kl.Kling) -> None:
    request = adapter.build_download(job(status="succeeded", output_url=CDN), CREDS)
    assert request is not None
    assert (request.method, str(request.url)) == ("GET", CDN)
    assert "authorization" not in request.headers
    assert adapter.build_download(job(), CREDS) is None


def test_a_streamed_download_is_not_read_for_an_envelope(adapter: kl.Kling) -> None:
    streamed = httpx.Response(200, stream=httpx.ByteStream(b"\0\0\0\x18ftypmp42"),
                              headers={"content-type": "video/mp4"})
    adapter.raise_for_error(streamed)  # the engine checks it after streaming the body away


def test_no_cancel_endpoint(adapter: kl.Kling) -> None:
    assert adapter.build_cancel(job(), CREDS) is None


# --- bad input before any HTTP, and the whole flow --------------------------------------------

def refuse_all(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no HTTP expected, got {request.method} {request.url}")


def client_for(server: Any, creds: Credentials = CREDS) -> VideoClient:
    pm = new_plugin_manager(load_entry_points=False)
    register(kl, name="kling-test", pm=pm)
    return VideoClient(credentials={"kling": creds}, pm=pm,
                       transport=httpx.MockTransport(server), sleep=lambda s: None)


@pytest.mark.parametrize(("image", "named"), [
    (png(fmt="WEBP"), "image/webp images are not accepted"),
    (png(fmt="GIF"), "image/gif images are not accepted"),
    (png(299, 400), "sides of at least 300 px"),
    (png(1300, 500), "between 0.4 and 2.5"),
    (png(300, 800), "between 0.4 and 2.5"),
    (ImageInput(data=b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024), mime_type="image/png"),
     f"at most {10 * 1024 * 1024} bytes"),
])
def test_image_limits_before_any_http(image: ImageInput, named: str) -> None:
    with client_for(refuse_all) as client, pytest.raises(CapabilityError) as refused:
        client.generate({"prompt": PROMPT, "image": image}, model="kling:kling-v2-6:std")
    assert named in str(refused.value)


def test_missing_secret_before_any_http() -> None:
    half = Credentials(name="half", api_key=SecretStr(ACCESS))
    with client_for(refuse_all, half) as client, pytest.raises(ConfigError, match="secret key"):
        client.generate({"prompt": PROMPT}, model="kling:kling-v2-6:std")


def test_text_only_on_an_image_only_model_before_any_http() -> None:
    with client_for(refuse_all) as client, pytest.raises(CapabilityError):
        client.generate({"prompt": PROMPT}, model="kling:kling-v2-1:pro")


def test_generate_end_to_end(tmp_path: Any) -> None:
    seen: list[httpx.Request] = []
    url = CDN.replace("text2video", "image2video")
    polls = iter([task("processing"), task(
        "succeed", final_unit_deduction="1.5",
        task_result={"videos": [{"id": "v", "url": url, "duration": "5.1"}]})])

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "cdn.klingai.com":
            return httpx.Response(200, content=b"\0\0\0\x18ftypmp42video",
                                  headers={"content-type": "video/mp4"})
        if request.method == "POST":
            return envelope(task("submitted"))
        return envelope(next(polls))

    with client_for(server) as client:
        result = client.generate({"prompt": PROMPT, "image": png(), "duration": 5},
                                 model="kling:kling-v2-6:std", output=tmp_path / "out.mp4")
    assert result.job.status == "succeeded" and result.job.credential == "kling-main"
    assert result.job.backend == "global"
    assert result.job.reported_cost_usd == pytest.approx(0.21)
    assert [r.url.path for r in seen[1:-1]] == [f"/v1/videos/image2video/{TASK}"] * 2
    assert "authorization" not in seen[-1].headers
    assert (tmp_path / "out.mp4").read_bytes().startswith(b"\0\0\0\x18ftyp")
    assert len({r.headers["authorization"] for r in seen[:-1]}) == 1  # one cached token


def test_plugin_registers_the_adapter() -> None:
    assert [a.name for a in kl.video_providers()] == ["kling"]
    assert kl.video_providers()[0] is kl.video_providers()[0]  # one token cache per process
    assert kl.Kling().credential_env == {"api_key": "KLING_ACCESS_KEY",
                                         "secret_key": "KLING_SECRET_KEY"}
