"""Gemini Omni adapter: both backends with bodies alone, and the cassettes checked against the
official google-genai interaction types (test-only dependency)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import BaseModel, SecretStr

from vidbridge import (
    AuthenticationError,
    CapabilityError,
    ConfigError,
    ContentPolicyError,
    Credentials,
    ImageInput,
    InvalidRequestError,
    Job,
    ModelUnavailableError,
    ProviderError,
    VidbridgeError,
    VideoClient,
    normalise,
)
from vidbridge.config import parse_config
from vidbridge.engine import failure_of
from vidbridge.models import VideoRequest
from vidbridge.testing import sample_png
from vidbridge_omni import Omni
from vidbridge_omni_models import MODELS, SERVED_BY

OMNI = Omni()
GEMINI = Credentials(name="g", api_key=SecretStr("AIza-unit-test-key-0000000000000000000"))
VERTEX = Credentials(name="v", api_key=SecretStr("ya29-unit-token"),
                     options={"backend": "vertex", "project": "acme"})
CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "omni"
PNG = ImageInput(data=sample_png(), mime_type="image/png")


def plan(model: str = "gemini-omni-1.2-flash", **fields: Any) -> Any:
    request = VideoRequest(**{"prompt": "a fox", "duration": 6, **fields})
    return normalise(request, MODELS[model], provider="omni", model=model)


def body_of(request: httpx.Request) -> dict[str, Any]:
    return dict(json.loads(request.content))


# -- submit ------------------------------------------------------------------------------------
def test_text_to_video_body_follows_the_interaction_types() -> None:
    request = OMNI.build_submit(plan(resolution="1080p", aspect_ratio="9:16"), GEMINI)
    assert str(request.url) == "https://generativelanguage.googleapis.com/v1beta/interactions"
    assert request.headers["x-goog-api-key"].startswith("AIza")
    assert body_of(request) == {
        "model": "gemini-omni-1.2-flash", "input": "a fox", "background": True,
        "generation_config": {"video_config": {"task": "text_to_video"}},
        "response_format": {"type": "video", "aspect_ratio": "9:16", "resolution": "1080p",
                            "duration": "6s"}}


def test_first_and_last_frame_go_in_order_after_the_text() -> None:
    body = body_of(OMNI.build_submit(plan(image=PNG, last_frame=PNG), GEMINI))
    assert body["generation_config"]["video_config"]["task"] == "image_to_video"
    assert [block["type"] for block in body["input"]] == ["text", "image", "image"]
    assert body["input"][1] == {"type": "image", "mime_type": "image/png",
                                "data": base64.b64encode(sample_png()).decode()}


def test_reference_images_use_the_reference_task_and_refuse_a_first_frame_too() -> None:
    body = body_of(OMNI.build_submit(plan(reference_images=(PNG, PNG)), GEMINI))
    assert body["generation_config"]["video_config"]["task"] == "reference_to_video"
    assert len(body["input"]) == 3
    with pytest.raises(CapabilityError, match="first frame or reference images"):
        OMNI.build_submit(plan(image=PNG, reference_images=(PNG,)), GEMINI)


def test_vertex_uses_the_global_host_and_a_list_of_formats() -> None:
    request = OMNI.build_submit(plan(), VERTEX)
    assert str(request.url) == ("https://aiplatform.googleapis.com/v1beta1/projects/acme/"
                                "locations/global/interactions")
    assert request.headers["authorization"] == "Bearer ya29-unit-token"
    assert isinstance(body_of(request)["response_format"], list)
    regional = VERTEX.model_copy(update={"options": {**VERTEX.options,
                                                     "location": "us-central1"}})
    assert str(OMNI.build_submit(plan(), regional).url).startswith(
        "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/acme/locations/"
        "us-central1/")


def test_gcs_output_sets_uri_delivery_on_vertex_only() -> None:
    body = body_of(OMNI.build_submit(plan(extra={"gcs_uri": "gs://bucket/out/"}), VERTEX))
    assert body["response_format"][0]["delivery"] == "uri"
    with pytest.raises(InvalidRequestError, match="gcs_uri"):
        OMNI.build_submit(plan(extra={"gcs_uri": "gs://bucket/out/"}), GEMINI)
    with pytest.raises(InvalidRequestError, match="delivery must be"):
        OMNI.build_submit(plan(extra={"delivery": "email"}), GEMINI)


def test_each_id_is_sent_only_to_a_backend_that_serves_it() -> None:
    assert {model: caps.backends for model, caps in MODELS.items()} == SERVED_BY
    for model, backends in SERVED_BY.items():
        for creds in (GEMINI, VERTEX):
            backend = OMNI.backend(creds)
            assert MODELS[model].served_on(backend) == (backend in backends)
            if backend in backends:
                OMNI.build_submit(plan(model), creds)
            else:
                with pytest.raises(ModelUnavailableError, match="served by"):
                    OMNI.build_submit(plan(model), creds)


def test_url_images_and_bad_credentials_fail_before_http() -> None:
    with pytest.raises(CapabilityError, match="bytes"):
        OMNI.build_submit(plan(image=ImageInput(url="https://x.example/a.png")), GEMINI)
    with pytest.raises(ConfigError, match="project"):
        OMNI.check_credentials(Credentials(api_key=SecretStr("t"),
                                           options={"backend": "vertex"}))
    with pytest.raises(ConfigError, match="backend must be"):
        OMNI.check_credentials(Credentials(api_key=SecretStr("t"), options={"backend": "x"}))


def test_table_durations_are_the_documented_3_to_10_seconds() -> None:
    assert {caps.durations for caps in MODELS.values()} == {tuple(range(3, 11))}
    assert all(caps.source and caps.verified_on for caps in MODELS.values())
    assert MODELS["gemini-omni-flash-preview"].resolutions == ("720p",)


# -- poll and results --------------------------------------------------------------------------
def response(body: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def previous(backend: str = "gemini") -> Job:
    return Job(provider="omni", model="gemini-omni-1.2-flash", backend=backend,
               credential="g", id="v1_abc", status="running")


def test_poll_reads_the_model_output_step_and_keeps_the_create_context() -> None:
    video = base64.b64encode(b"\x00\x00\x00\x20ftypisom").decode()
    done = {"id": "v1_abc", "status": "completed", "steps": [
        {"type": "user_input", "content": [{"type": "text", "text": "a fox"}]},
        {"type": "model_output", "content": [{"type": "text", "text": "here"},
                                             {"type": "video", "mime_type": "video/mp4",
                                              "data": video}]}]}
    job = OMNI.parse_job(response(done), previous())
    assert job.status == "succeeded" and job.output_inline == base64.b64decode(video)
    assert (job.model, job.credential, job.backend) == ("gemini-omni-1.2-flash", "g", "gemini")
    assert OMNI.build_download(job, GEMINI) is None
    poll = OMNI.build_poll(job, GEMINI)
    assert (poll.method, str(poll.url)) == (
        "GET", "https://generativelanguage.googleapis.com/v1beta/interactions/v1_abc")


def test_file_uri_downloads_from_our_own_base_url_with_the_key() -> None:
    uri = "https://attacker.example/v1beta/files/abc123:download?alt=media"
    done = {"id": "v1_abc", "status": "completed", "steps": [{"type": "model_output", "content": [
        {"type": "video", "mime_type": "video/mp4", "uri": uri}]}]}
    job = OMNI.parse_job(response(done), previous())
    download = OMNI.build_download(job, GEMINI)
    assert download is not None and download.url.host == "generativelanguage.googleapis.com"
    assert str(download.url).endswith("/v1beta/files/abc123:download?alt=media")


def test_gcs_output_downloads_from_storage_with_the_token() -> None:
    done = {"id": "v1_abc", "status": "completed", "steps": [{"type": "model_output", "content": [
        {"type": "video", "mime_type": "video/mp4", "uri": "gs://bucket/out/123.mp4"}]}]}
    job = OMNI.parse_job(response(done), previous("vertex"))
    download = OMNI.build_download(job, VERTEX)
    assert download is not None
    assert str(download.url) == ("https://storage.googleapis.com/storage/v1/b/bucket/o/"
                                 "out%2F123.mp4?alt=media")
    assert download.headers["authorization"] == "Bearer ya29-unit-token"


@pytest.mark.parametrize(("status", "expected"), [("in_progress", "running"),
                                                  ("queued", "queued"),
                                                  ("cancelled", "cancelled")])
def test_pending_and_cancelled_statuses(status: str, expected: str) -> None:
    assert OMNI.parse_job(response({"id": "v1_abc", "status": status}), previous()).status == (
        expected)


def test_failures_are_jobs_with_their_reason() -> None:
    blocked = {"id": "v1_abc", "status": "failed",
               "errors": [{"message": "Blocked: it may violate the usage policies."}]}
    job = OMNI.parse_job(response(blocked), previous())
    assert job.status == "failed" and isinstance(failure_of(job), ContentPolicyError)
    transient = {"id": "v1_abc", "status": "failed", "steps": [
        {"type": "model_output", "error": {"code": 13, "message": "internal"}}]}
    assert failure_of(OMNI.parse_job(response(transient), previous())).transient
    empty = {"id": "v1_abc", "status": "completed", "steps": [{"type": "user_input"}]}
    assert "without a video" in str(OMNI.parse_job(response(empty), previous()).error_message)


@pytest.mark.parametrize("body", [{"id": "v1_abc", "status": "exploded"}, [1, 2], "nope",
                                  {"id": "v1_abc", "status": "completed", "steps": [
                                      {"type": "model_output", "content": [
                                          {"type": "video", "data": "%%%not base64"}]}]}])
def test_garbage_answers_are_typed_provider_errors(body: Any) -> None:
    with pytest.raises(ProviderError):
        OMNI.parse_job(response(body), previous())


def test_error_bodies_map_by_status_and_wording() -> None:
    with pytest.raises(AuthenticationError):
        OMNI.parse_submit(response({"error": {"message": "API key not valid."}}, 401))
    with pytest.raises(ContentPolicyError):
        OMNI.parse_submit(response({"error": {"message": "Prompt blocked by safety."}}, 400))
    with pytest.raises(InvalidRequestError) as bad:
        OMNI.parse_submit(response({"error": {"code": 400, "message": "Bad `duration`.",
                                              "status": "INVALID_ARGUMENT"}}, 400))
    assert bad.value.param == "duration"
    with pytest.raises(ModelUnavailableError):
        OMNI.parse_submit(response({"error": {"message": "models/x is not found"}}, 404))


def test_cancel_posts_to_the_cancel_method() -> None:
    cancel = OMNI.build_cancel(previous("vertex"), VERTEX)
    assert cancel is not None and cancel.method == "POST"
    assert str(cancel.url).endswith("/locations/global/interactions/v1_abc/cancel")


# -- the cassettes against google-genai's own interaction types --------------------------------
def _unknown(value: Any, where: str, allowed_extra: frozenset[str]) -> list[str]:
    """Fields the SDK type does not declare, and enum values it does not list."""
    from google.genai._gaos.types.basemodel import UnrecognizedStr

    found: list[str] = []
    if isinstance(value, UnrecognizedStr):
        found.append(f"{where}={value!r} (not in the SDK enum)")
    elif isinstance(value, BaseModel):
        extra = set(value.__pydantic_extra__ or {}) - allowed_extra
        found += [f"{where}.{name} (no such SDK field)" for name in sorted(extra)]
        if getattr(value, "is_unknown", False):
            found.append(f"{where} (a variant the SDK does not know)")
        for name in type(value).model_fields:
            found += _unknown(value.__dict__.get(name), f"{where}.{name}", frozenset())
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += _unknown(item, f"{where}[{index}]", frozenset())
    return found


def _cassette_bodies() -> list[tuple[str, str, int, Any]]:
    bodies = []
    for path in sorted(CASSETTES.rglob("*.yaml")):
        name = str(path.relative_to(CASSETTES))
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            request, answer = interaction["request"], interaction["response"]
            if request["body"]:
                bodies.append((name, "request", 0, json.loads(request["body"])))
            bodies.append((name, "response", answer["status"]["code"],
                           json.loads(answer["body"]["string"])))
    return bodies


@pytest.mark.parametrize(("cassette", "side", "status", "body"), _cassette_bodies(),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_cassette_bodies_validate_against_google_genai(cassette: str, side: str, status: int,
                                                       body: Any) -> None:
    interactions = pytest.importorskip("google.genai.interactions")
    from google.genai._gaos.errors.createinteraction import CreateInteractionClientErrorData

    # ``object: "interaction"`` is in every documented response but not in the SDK type.
    if side == "request":
        model: BaseModel = interactions.CreateModelInteraction.model_validate(body)
        extra = frozenset()
        # ResponseFormat's union ends in a plain dict, which would take anything: check the
        # video format against its own type.
        formats = body["response_format"]
        for index, item in enumerate(formats if isinstance(formats, list) else [formats]):
            video = interactions.VideoResponseFormat.model_validate(item)
            assert _unknown(video, f"response_format[{index}]", frozenset()) == []
    elif status < 300:
        model = interactions.Interaction.model_validate(body)
        extra = frozenset({"object"})
    else:
        model = CreateInteractionClientErrorData.model_validate(body)
        extra = frozenset()
    assert _unknown(model, side, extra) == []


def test_the_sdk_check_catches_invented_fields_and_values() -> None:
    interactions = pytest.importorskip("google.genai.interactions")
    invented = interactions.VideoResponseFormat.model_validate(
        {"type": "video", "aspect_ratio": "1:1", "duration_seconds": 4})
    found = _unknown(invented, "request", frozenset())
    assert any("duration_seconds" in item for item in found)
    assert any("'1:1'" in item for item in found)


def test_a_config_row_like_a_table_row_sends_its_own_id() -> None:
    base = plan()
    row = base.model_copy(update={"model": "gemini-omni-1.3-flash",
                                  "base_model": "gemini-omni-1.2-flash"})
    assert body_of(OMNI.build_submit(row, GEMINI))["model"] == "gemini-omni-1.3-flash"
    unknown = base.model_copy(update={"model": "gemini-omni-9-flash"})
    with pytest.raises(ModelUnavailableError, match="no backend"):
        OMNI.build_submit(unknown, GEMINI)


@pytest.mark.parametrize("junk", [True, 3, "steps", {"type": "model_output"}])
def test_steps_errors_or_content_that_are_not_arrays_are_a_failed_job(junk: Any) -> None:
    # Found by the parser fuzz suite: `steps: true` raised TypeError out of parse_job.
    previous = Job(provider="omni", model="gemini-omni-1.2-flash", id="v1_x", status="running")
    for body in ({"steps": junk}, {"errors": junk},
                 {"steps": [{"type": "model_output", "content": junk}]}):
        answer = {"id": "v1_x", "status": "completed", "object": "interaction", **body}
        job = OMNI.parse_job(httpx.Response(200, json=answer), previous)
        assert job.status == "failed" and job.output_url is None


def test_a_route_skips_an_id_its_backend_does_not_serve_before_any_http(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNI_TOKEN", "ya29-unit-token")
    config = parse_config({
        "ledger": str(tmp_path / "jobs.sqlite3"),
        "providers": {"omni": {"api_key_env": "OMNI_TOKEN",
                               "options": {"backend": "vertex", "project": "acme"}}},
        "routes": {"default": {"candidates": ["omni:gemini-omni-1.1-flash",
                                              "omni:gemini-omni-1.2-flash"]}}})
    sent: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(body_of(request)["model"])
        return httpx.Response(401, json={"error": {"code": 401, "message": "no",
                                                   "status": "UNAUTHENTICATED"}})

    client = VideoClient(config=config, transport=httpx.MockTransport(refuse))
    first, second = client.check(VideoRequest(prompt="a fox", duration=6))
    assert (first.ok, second.ok) == (False, True)  # the pre-flight says so: no surprise later
    assert first.reason == ("omni:gemini-omni-1.1-flash is served by gemini, not by the "
                            "configured vertex backend")
    with pytest.raises(VidbridgeError):
        client.generate(VideoRequest(prompt="a fox", duration=6), route="default")
    assert sent == ["gemini-omni-1.2-flash"]
