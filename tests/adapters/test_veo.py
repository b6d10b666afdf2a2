"""Veo adapter: both backends, with bodies alone, and shapes compared with google-genai."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

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
    SubmitUncertainError,
    VideoClient,
    VideoRequest,
    normalise,
)
from vidbridge.engine import failure_of
from vidbridge.testing import sample_png
from vidbridge_veo import Veo
from vidbridge_veo_models import MODELS, SERVED_BY

VEO = Veo()
KEY = "AIza-unit-test-key-000000000000000000"
TOKEN = "ya29.unit-test-token"
GEMINI = Credentials(name="studio", api_key=SecretStr(KEY), options={"backend": "gemini"})
VERTEX = Credentials(name="gcp", token=lambda: SecretStr(TOKEN),
                     options={"backend": "vertex", "project": "acme-video",
                              "location": "us-central1"})
GB = "https://generativelanguage.googleapis.com/v1beta"
VB = "https://us-central1-aiplatform.googleapis.com/v1"
MODEL_PATH = "projects/acme-video/locations/us-central1/publishers/google/models"
GOP = "models/veo-3.1-generate-preview/operations/6iqjvgunitht"
VOP = f"{MODEL_PATH}/veo-3.1-generate-001/operations/d6339b05-e0ae-4f6c-ba99-845b38364f42"
PNG = ImageInput(data=sample_png(), mime_type="image/png")
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def plan(model: str = "veo-3.1-generate-preview", **changes: Any) -> Plan:
    base: dict[str, Any] = dict(provider="veo", model=model, prompt="A potter at the wheel",
                                duration=8, aspect_ratio="16:9", resolution="1080p",
                                size="1920x1080", audio=True)
    base.update(changes)
    return Plan(**base)


def body_of(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.content)  # type: ignore[no-any-return]


def reply(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def job(name: str = GOP, backend: str = "gemini", **changes: Any) -> Job:
    return Job(provider="veo", model="veo-3.1-generate-preview", backend=backend,
               credential="studio", id=name, status="running", **changes)


# --- capability data ----------------------------------------------------------------------------

def test_every_veo3_model_id_is_in_the_table_with_its_backend() -> None:
    assert set(MODELS) == set(SERVED_BY) == {
        "veo-3.1-generate-preview", "veo-3.1-fast-generate-preview",
        "veo-3.1-lite-generate-preview", "veo-3.1-generate-001", "veo-3.1-fast-generate-001",
        "veo-3.1-lite-generate-001", "veo-3.0-generate-001", "veo-3.0-fast-generate-001",
        "veo-3.0-generate-preview", "veo-3.0-fast-generate-preview", "veo-2.0-generate-001"}
    assert SERVED_BY["veo-3.0-generate-001"] == ("gemini", "vertex")
    # Audio is a switch on Vertex 3.1 only; the Gemini API always made it; Veo 2 never did.
    optional = {m for m, caps in MODELS.items() if caps.audio == "optional"}
    assert optional == {"veo-3.1-generate-001", "veo-3.1-fast-generate-001",
                        "veo-3.1-lite-generate-001"}
    assert MODELS["veo-2.0-generate-001"].audio == "never"
    assert all(caps.source and caps.verified_on for caps in MODELS.values())


def test_the_gemini_api_serves_no_live_veo_model() -> None:
    today = date(2026, 12, 2)
    live = [m for m, backends in SERVED_BY.items()
            if "gemini" in backends and MODELS[m].lifecycle.status(today) != "retired"]
    assert live == []


def test_no_backend_is_refused_before_http_naming_the_two_ways_on() -> None:
    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no HTTP expected")

    only_key = Credentials(name="env", api_key=SecretStr(KEY))
    with pytest.raises(ConfigError) as refused:
        VEO.check_credentials(only_key)
    message = str(refused.value)
    assert "left the Gemini API" in message
    assert 'backend = "vertex"' in message and "omni provider" in message
    client = VideoClient(credentials={"veo": only_key}, transport=httpx.MockTransport(never))
    with pytest.raises(ConfigError, match="left the Gemini API"):
        client.generate(VideoRequest(prompt="x"), model="veo:veo-3.1-generate-001")


def test_vertex_sends_generate_audio_false_and_prices_the_silent_variant() -> None:
    caps = MODELS["veo-3.1-fast-generate-001"]
    silent = normalise(VideoRequest(prompt="x", duration=8, resolution="720p", audio=False),
                       caps, provider="veo", model="veo-3.1-fast-generate-001")
    loud = normalise(VideoRequest(prompt="x", duration=8, resolution="720p", audio=True),
                     caps, provider="veo", model="veo-3.1-fast-generate-001")
    assert body_of(VEO.build_submit(silent, VERTEX))["parameters"]["generateAudio"] is False
    assert body_of(VEO.build_submit(loud, VERTEX))["parameters"]["generateAudio"] is True
    assert silent.estimated_cost_usd is not None and loud.estimated_cost_usd is not None
    # No silent rate is published that we could read: the estimate never undercounts.
    assert silent.estimated_cost_usd <= loud.estimated_cost_usd
    assert "unverified" in caps.price.source


def test_vertex_takes_4_and_6_seconds_at_1080p_but_8_with_reference_images() -> None:
    caps = MODELS["veo-3.1-generate-001"]
    short = normalise(VideoRequest(prompt="x", duration=4, resolution="1080p"), caps,
                      provider="veo", model="veo-3.1-generate-001")
    assert short.duration == 4
    refs = normalise(VideoRequest(prompt="x", duration=4, reference_images=(PNG,)), caps,
                     provider="veo", model="veo-3.1-generate-001")
    assert refs.duration == 8


@pytest.mark.parametrize(("model", "on", "status"), [
    ("veo-3.1-generate-preview", date(2026, 10, 21), "available"),
    ("veo-3.1-generate-preview", date(2026, 10, 22), "retired"),
    ("veo-3.0-generate-001", date(2026, 6, 30), "retired"),
    ("veo-3.0-fast-generate-001", date(2026, 6, 29), "available"),
    ("veo-3.0-generate-preview", date(2026, 7, 1), "retired"),
    ("veo-3.1-generate-001", date(2026, 11, 17), "available"),
    ("veo-3.1-fast-generate-001", date(2027, 1, 1), "available"),
    ("veo-3.1-lite-generate-001", date(2027, 1, 1), "available"),
])
def test_lifecycle_dates(model: str, on: date, status: str) -> None:
    assert MODELS[model].lifecycle.status(on) == status
    assert MODELS["veo-3.0-generate-001"].lifecycle.successor == "veo-3.1-generate-001"


def test_prices_per_second() -> None:
    assert MODELS["veo-3.1-generate-preview"].price.usd(8, "4k", True) == pytest.approx(4.8)
    assert MODELS["veo-3.1-fast-generate-001"].price.usd(8, "1080p", True) == pytest.approx(0.96)
    assert MODELS["veo-3.1-lite-generate-preview"].price.usd(4, "720p", True) == pytest.approx(
        0.2)


@pytest.mark.parametrize("resolution", ["1080p", "4k"])
def test_the_eight_second_rule_at_high_resolution(resolution: str) -> None:
    caps = MODELS["veo-3.1-generate-preview"]
    asked = VideoRequest(prompt="x", duration=4, resolution=resolution, aspect_ratio="16:9")
    made = normalise(asked, caps)
    assert made.duration == 8
    assert made.adjustments[0].reason == "Veo makes 1080p and 4k clips of 8 s only"
    with pytest.raises(CapabilityError) as refused:
        normalise(asked, caps, policy="strict")
    assert refused.value.allowed == (8,)
    assert normalise(asked.model_copy(update={"resolution": "720p"}), caps).duration == 4


def test_the_eight_second_rule_with_reference_images_and_vertex_16_9() -> None:
    asked = VideoRequest(prompt="x", duration=4, aspect_ratio="9:16", reference_images=(PNG,))
    made = normalise(asked, MODELS["veo-3.1-generate-001"])
    assert made.duration == 8 and made.aspect_ratio == "16:9"  # Vertex R2V: 16:9 only
    assert normalise(asked, MODELS["veo-3.1-generate-preview"]).aspect_ratio == "9:16"
    # Fast takes reference images too (the Vertex reference page lists it), 16:9 as well.
    assert normalise(asked, MODELS["veo-3.1-fast-generate-001"]).aspect_ratio == "16:9"
    with pytest.raises(CapabilityError, match="reference images"):
        normalise(asked, MODELS["veo-3.1-lite-generate-001"])


def test_a_plan_the_table_rejects_never_reaches_the_wire() -> None:
    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no HTTP expected")

    client = VideoClient(credentials={"veo": GEMINI}, transport=httpx.MockTransport(never),
                         allow_retired=True)
    with pytest.raises(CapabilityError, match="last frame"):
        client.generate(VideoRequest(prompt="x", image=PNG, last_frame=PNG),
                        model="veo:veo-3.1-lite-generate-preview")
    # Refused like a value the model cannot take (the backend does not serve it), naming the
    # ids it does serve; the adapter's own ModelUnavailableError is never reached.
    with pytest.raises(CapabilityError, match="served by vertex, not by the configured gemini "
                                              "backend; nothing was sent") as refused:
        client.generate(VideoRequest(prompt="x"), model="veo:veo-3.1-generate-001")
    assert refused.value.field == "model"
    assert "veo:veo-3.1-generate-preview" in refused.value.allowed  # allow_retired=True here
    assert "veo:veo-3.1-generate-001" not in refused.value.allowed
    vertex = VideoClient(credentials={"veo": Credentials(api_key=SecretStr(TOKEN), options={
        "backend": "vertex"})}, transport=httpx.MockTransport(never))
    with pytest.raises(ConfigError, match="project and location"):
        vertex.generate(VideoRequest(prompt="x"), model="veo:veo-3.1-generate-001")


# --- credentials --------------------------------------------------------------------------------

@pytest.mark.parametrize(("creds", "message"), [
    (Credentials(options={"backend": "vertex", "project": "p"}), "needs location"),
    (Credentials(options={"backend": "vertex", "location": "us-central1"}), "needs project"),
    (Credentials(options={"backend": "vertex", "project": "p", "location": "l"}), "OAuth token"),
    (Credentials(options={"backend": "gemini"}), r"no API key for gemini \(set \$GEMINI_API_KEY"),
    (Credentials(api_key=SecretStr(KEY), options={"backend": "aistudio"}), "backend must be"),
    (Credentials(token=lambda: SecretStr(TOKEN), options={
        "backend": "vertex", "project": "p", "location": "evil.example/x?"}),
     "location 'evil.example/x\\?' of credential 'default' is not a region"),
])
def test_bad_credentials_are_config_errors(creds: Credentials, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        VEO.check_credentials(creds)


def test_a_region_read_from_a_job_id_cannot_name_another_host() -> None:
    # A Vertex poll goes to the region in the operation's name; with our bearer token, so a
    # name whose "region" is a host of its own is refused (the engine: a ProviderError).
    job = Job(provider="veo", model="veo-3.1-generate-001", status="running", backend="vertex",
              id="projects/p/locations/evil.example#/publishers/google/models/veo-3.1-"
                 "generate-001/operations/op1")
    with pytest.raises(httpx.InvalidURL, match="not a region"):
        VEO.build_poll(job, VERTEX)
    fine = job.model_copy(update={"id": job.id.replace("evil.example#", "europe-west4")})
    assert VEO.build_poll(fine, VERTEX).url.host == "europe-west4-aiplatform.googleapis.com"


def test_backend_comes_from_the_options() -> None:
    assert VEO.backend(GEMINI) == "gemini" and VEO.backend(VERTEX) == "vertex"
    VEO.check_credentials(GEMINI)
    VEO.check_credentials(VERTEX)


# --- Gemini API requests ------------------------------------------------------------------------

def test_gemini_text_request() -> None:
    request = VEO.build_submit(plan(negative_prompt="text overlays"), GEMINI)
    assert str(request.url) == f"{GB}/models/veo-3.1-generate-preview:predictLongRunning"
    assert request.headers["x-goog-api-key"] == KEY and "authorization" not in request.headers
    assert body_of(request) == {
        "instances": [{"prompt": "A potter at the wheel"}],
        "parameters": {"aspectRatio": "16:9", "resolution": "1080p", "durationSeconds": 8,
                       "sampleCount": 1, "negativePrompt": "text overlays",
                       "personGeneration": "allow_all"}}


def test_gemini_first_and_last_frame_and_reference_images() -> None:
    frames = body_of(VEO.build_submit(plan(image=PNG, last_frame=PNG), GEMINI))
    encoded = {"bytesBase64Encoded": base64.b64encode(sample_png()).decode(),
               "mimeType": "image/png"}
    assert frames["instances"][0] == {"prompt": "A potter at the wheel", "image": encoded,
                                      "lastFrame": encoded}
    assert frames["parameters"]["personGeneration"] == "allow_adult"
    refs = body_of(VEO.build_submit(plan(reference_images=(PNG, PNG)), GEMINI))
    assert refs["instances"][0]["referenceImages"] == [
        {"image": encoded, "referenceType": "ASSET"}] * 2
    assert refs["parameters"]["personGeneration"] == "allow_adult"


def test_person_generation_from_extra_is_checked_not_guessed() -> None:
    chosen = body_of(VEO.build_submit(plan(extra={"personGeneration": "dont_allow"}), GEMINI))
    assert chosen["parameters"]["personGeneration"] == "dont_allow"
    with pytest.raises(InvalidRequestError) as refused:
        VEO.build_submit(plan(extra={"personGeneration": "ALLOW_EVERYONE"}), GEMINI)
    assert refused.value.param == "personGeneration"


def test_extras_are_per_backend_and_unknown_ones_are_refused_by_name() -> None:
    hook = {"uris": ["https://hooks.example.com/veo"], "user_metadata": {"job": "42"}}
    sent = body_of(VEO.build_submit(plan(extra={"webhookConfig": hook,
                                                "enhancePrompt": False}), GEMINI))
    assert sent["webhookConfig"] == hook and sent["parameters"]["enhancePrompt"] is False
    with pytest.raises(InvalidRequestError, match="storageUri") as refused:
        VEO.build_submit(plan(extra={"storageUri": "gs://b/"}), GEMINI)
    assert refused.value.param == "storageUri"
    with pytest.raises(InvalidRequestError, match="webhookConfig"):
        VEO.build_submit(plan("veo-3.1-generate-001", extra={"webhookConfig": hook}), VERTEX)


def test_seed_is_refused_on_the_gemini_api_never_dropped() -> None:
    with pytest.raises(CapabilityError, match="gemini backend takes no seed"):
        VEO.build_submit(plan("veo-3.0-generate-001", seed=7), GEMINI)
    # On a Gemini-only model the table says no seed: normalisation reports dropping it.
    made = normalise(VideoRequest(prompt="x", seed=7), MODELS["veo-3.1-generate-preview"])
    assert made.seed is None and made.adjustments[0].field == "seed"
    assert body_of(VEO.build_submit(plan("veo-3.0-generate-001", seed=7), VERTEX))[
        "parameters"]["seed"] == 7


def test_url_images_are_refused_before_the_wire() -> None:
    with pytest.raises(CapabilityError, match="bytes, not URLs"):
        VEO.build_submit(plan(image=ImageInput(url="https://x.example/a.png")), GEMINI)


def test_a_model_the_backend_does_not_serve_is_refused() -> None:
    with pytest.raises(ModelUnavailableError, match="served by gemini"):
        VEO.build_submit(plan("veo-3.1-generate-preview"), VERTEX)


# --- Vertex requests ----------------------------------------------------------------------------

def test_vertex_request_with_token_audio_and_top_level_labels() -> None:
    request = VEO.build_submit(plan("veo-3.1-generate-001", seed=1234567, extra={
        "storageUri": "gs://acme-outputs/veo/", "labels": {"team": "creative"},
        "resizeMode": "pad"}), VERTEX)
    assert str(request.url) == (f"{VB}/{MODEL_PATH}/veo-3.1-generate-001:predictLongRunning")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    body = body_of(request)
    assert body["labels"] == {"team": "creative"}
    assert body["parameters"] == {
        "aspectRatio": "16:9", "resolution": "1080p", "durationSeconds": 8, "sampleCount": 1,
        "seed": 1234567, "generateAudio": True, "storageUri": "gs://acme-outputs/veo/",
        "resizeMode": "pad"}  # no personGeneration: Vertex keeps its own default


@pytest.mark.parametrize(("location", "host"), [
    ("global", "https://aiplatform.googleapis.com"),
    ("us", "https://aiplatform.us.rep.googleapis.com"),
    ("europe-west4", "https://europe-west4-aiplatform.googleapis.com")])
def test_vertex_hosts_follow_the_location(location: str, host: str) -> None:
    creds = Credentials(api_key=SecretStr(TOKEN), options={
        "backend": "vertex", "project": "p", "location": location})
    request = VEO.build_submit(plan("veo-3.1-generate-001"), creds)
    assert str(request.url).startswith(f"{host}/v1/projects/p/locations/{location}/")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"  # api_key holding a token


def test_base_url_override() -> None:
    creds = Credentials(api_key=SecretStr(KEY), base_url="http://127.0.0.1:9000/",
                        options={"backend": "gemini"})
    assert str(VEO.build_submit(plan(), creds).url).startswith("http://127.0.0.1:9000/v1beta/")


@pytest.fixture
def genai_vertex() -> Any:
    """google-genai in Vertex mode with a mock transport: (client, captured requests)."""
    httpx2 = pytest.importorskip("httpx2")
    genai = pytest.importorskip("google.genai")
    oauth = pytest.importorskip("google.oauth2.credentials")
    seen: list[Any] = []

    def handler(request: Any) -> Any:
        seen.append(request)
        if request.url.path.endswith(":predictLongRunning"):
            return httpx2.Response(200, json={"name": VOP})
        return httpx2.Response(200, json={"name": VOP, "done": True, "response": {
            "videos": [{"gcsUri": "gs://b/run/sample_0.mp4", "mimeType": "video/mp4"}]}})

    client = genai.Client(vertexai=True, project="acme-video", location="us-central1",
                          credentials=oauth.Credentials(token=TOKEN),
                          http_options=genai.types.HttpOptions(httpx_client=httpx2.Client(
                              transport=httpx2.MockTransport(handler))))
    return client, seen


def test_vertex_requests_have_the_sdk_shapes(genai_vertex: Any) -> None:
    client, seen = genai_vertex
    types = pytest.importorskip("google.genai.types")
    frame = types.Image(image_bytes=sample_png(), mime_type="image/png")
    operation = client.models.generate_videos(
        model="veo-3.1-generate-001",
        source=types.GenerateVideosSource(prompt="A potter at the wheel", image=frame),
        config=types.GenerateVideosConfig(
            aspect_ratio="16:9", resolution="1080p", duration_seconds=8, number_of_videos=1,
            generate_audio=True, seed=7, negative_prompt="text", last_frame=frame))
    client.operations.get(operation)
    ours = VEO.build_submit(plan("veo-3.1-generate-001", image=PNG, last_frame=PNG, seed=7,
                                 negative_prompt="text"), VERTEX)
    theirs = seen[0]
    # google-genai speaks v1beta1, the REST docs v1; both serve Veo.
    assert str(ours.url) == str(theirs.url).replace("/v1beta1/", "/v1/")
    assert body_of(ours) == json.loads(theirs.content)
    poll = VEO.build_poll(job(VOP, "vertex"), VERTEX)
    assert (poll.method, str(poll.url)) == (seen[1].method,
                                            str(seen[1].url).replace("/v1beta1/", "/v1/"))
    assert body_of(poll) == json.loads(seen[1].content) == {"operationName": VOP}


# --- polling and outcomes -----------------------------------------------------------------------

def test_polls_use_the_create_calls_backend() -> None:
    gemini_poll = VEO.build_poll(job(), GEMINI)
    assert (gemini_poll.method, str(gemini_poll.url)) == ("GET", f"{GB}/{GOP}")
    # A Vertex job keeps going to Vertex, to the location in its operation name.
    europe = VOP.replace("us-central1", "europe-west4")
    vertex_poll = VEO.build_poll(job(europe, "vertex"), VERTEX)
    assert str(vertex_poll.url).startswith("https://europe-west4-aiplatform.googleapis.com/v1/")
    assert str(vertex_poll.url).endswith("veo-3.1-generate-001:fetchPredictOperation")


@pytest.mark.parametrize("running", [{"name": GOP}, {"name": GOP, "done": False}])
def test_running_operations(running: dict[str, Any]) -> None:
    polled = VEO.parse_job(reply(200, running), job())
    assert polled.status == "running" and polled.credential == "studio"


def test_submit_returns_the_operation_as_the_job_id() -> None:
    accepted = VEO.parse_submit(reply(200, {"name": VOP}))
    assert accepted.id == VOP and accepted.model == "veo-3.1-generate-001"
    # A 200 without an operation name may still be an accepted (billed) job.
    with pytest.raises(SubmitUncertainError, match="not an operation .name"):
        VEO.parse_submit(reply(200, {}))
    with pytest.raises(ProviderUnavailableError, match="not an operation .name"):
        VEO.parse_job(reply(200, {}), job())


def test_gemini_success_points_at_the_file() -> None:
    uri = f"{GB}/files/782udawnig0v:download?alt=media"
    done = {"name": GOP, "done": True, "response": {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
                 "PredictLongRunningResponse",
        "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}}}
    finished = VEO.parse_job(reply(200, done), job())
    assert finished.status == "succeeded" and finished.output_url == uri
    download = VEO.build_download(finished, GEMINI)
    assert download is not None and str(download.url) == uri
    assert download.headers["x-goog-api-key"] == KEY
    # The key goes to our configured base, never to a host a response names.
    elsewhere = finished.model_copy(update={
        "output_url": "https://evil.example/v1beta/files/782udawnig0v:download?alt=media"})
    moved = VEO.build_download(elsewhere, Credentials(api_key=SecretStr(KEY),
                                                      base_url="http://127.0.0.1:9000"))
    assert moved is not None
    assert str(moved.url) == "http://127.0.0.1:9000/v1beta/files/782udawnig0v:download?alt=media"


def test_vertex_gcs_output_downloads_through_the_json_api_with_the_token() -> None:
    done = {"name": VOP, "done": True, "response": {"raiMediaFilteredCount": 0, "videos": [
        {"gcsUri": "gs://acme-outputs/veo/run-0142/1587/sample_0.mp4", "mimeType": "video/mp4"},
        {"gcsUri": "gs://acme-outputs/veo/run-0142/1587/sample_1.mp4", "mimeType": "video/mp4"}]}}
    finished = VEO.parse_job(reply(200, done), job(VOP, "vertex"))
    assert finished.output_url == "gs://acme-outputs/veo/run-0142/1587/sample_0.mp4"
    download = VEO.build_download(finished, VERTEX)
    assert download is not None and str(download.url) == (
        "https://storage.googleapis.com/storage/v1/b/acme-outputs/o/"
        "veo%2Frun-0142%2F1587%2Fsample_0.mp4?alt=media")
    assert download.headers["authorization"] == f"Bearer {TOKEN}"


def test_inline_output_needs_no_download() -> None:
    done = {"name": VOP, "done": True, "response": {"videos": [
        {"bytesBase64Encoded": base64.b64encode(MP4).decode(), "mimeType": "video/mp4"}]}}
    finished = VEO.parse_job(reply(200, done), job(VOP, "vertex"))
    assert finished.output_inline == MP4 and finished.output_url is None
    assert VEO.build_download(finished, VERTEX) is None
    gemini = {"name": GOP, "done": True, "response": {"generateVideoResponse": {
        "generatedSamples": [{"video": {"encodedVideo": base64.b64encode(MP4).decode(),
                                        "encoding": "video/mp4"}}]}}}
    assert VEO.parse_job(reply(200, gemini), job()).output_inline == MP4
    with pytest.raises(ValueError, match="variant"):
        VEO.build_download(finished, VERTEX, "thumbnail")


REASON = ("The video could not be generated because the prompt may violate the usage "
          "guidelines. You will not be charged. Support codes: 17301594")


@pytest.mark.parametrize("response", [
    {"generateVideoResponse": {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [REASON]}},
    {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [REASON]},  # probed directly
])
def test_filtered_results_are_content_policy_errors_with_reasons(
        response: dict[str, Any]) -> None:
    with pytest.raises(ContentPolicyError) as refused:
        VEO.parse_job(reply(200, {"name": GOP, "done": True, "response": response}), job())
    assert refused.value.reasons == (REASON,)


def test_partly_filtered_results_still_succeed_and_empty_ones_fail() -> None:
    partial = {"name": VOP, "done": True, "response": {"raiMediaFilteredCount": 1, "videos": [
        {"gcsUri": "gs://b/o.mp4", "mimeType": "video/mp4"}]}}
    assert VEO.parse_job(reply(200, partial), job(VOP, "vertex")).status == "succeeded"
    with pytest.raises(ContentPolicyError, match="1 video"):
        VEO.parse_job(reply(200, {"name": VOP, "done": True, "response": {
            "raiMediaFilteredCount": 1}}), job(VOP, "vertex"))
    empty = VEO.parse_job(reply(200, {"name": GOP, "done": True, "response": {}}), job())
    assert empty.status == "failed" and type(failure_of(empty)) is JobFailedError


@pytest.mark.parametrize(("code", "message", "failure", "error"), [
    (3, "The prompt could not be submitted. It contains content that is blocked by the safety "
        "policy.", "content_policy", ContentPolicyError),
    (3, "Invalid resolution for this model.", None, JobFailedError),
    (4, "Deadline exceeded.", "transient", JobFailedError),
    (8, "Resource exhausted.", "transient", JobFailedError),
    (13, "Internal error encountered.", "transient", JobFailedError),
    (14, "The service is currently unavailable.", "transient", JobFailedError),
])
def test_failed_operations_keep_their_code(code: int, message: str, failure: str | None,
                                           error: type[Exception]) -> None:
    failed = VEO.parse_job(reply(200, {"name": GOP, "done": True, "error": {
        "code": code, "message": message}}), job())
    assert failed.status == "failed" and failed.error_code == str(code)
    assert failed.meta.get("failure") == failure
    assert type(failure_of(failed)) is error


# --- error bodies (reference section 6.2) -------------------------------------------------------

def google(code: int, message: str, status: str | None,
           *details: dict[str, Any]) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if status:
        error["status"] = status
    if details:
        error["details"] = list(details)
    return {"error": error}


def info(reason: str, **metadata: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
            "domain": "googleapis.com", "metadata": metadata}


BAD_KEY = google(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
                 info("API_KEY_INVALID", service="generativelanguage.googleapis.com"))
NO_KEY = google(403, "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.", "PERMISSION_DENIED")
EXPIRED = google(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                 "token, login cookie or other valid authentication credential.",
                 "UNAUTHENTICATED", info("ACCESS_TOKEN_EXPIRED"))
IAM = google(403, "Permission 'aiplatform.endpoints.predict' denied on resource "
             "'//aiplatform.googleapis.com/projects/acme-video/locations/us-central1/publishers/"
             "google/models/veo-3.1-generate-001' (or it may not exist).", "PERMISSION_DENIED",
             info("IAM_PERMISSION_DENIED", permission="aiplatform.endpoints.predict"))
GEMINI_429 = google(
    429, "You exceeded your current quota, please check your plan and billing details.",
    "RESOURCE_EXHAUSTED",
    {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
        {"quotaMetric": "generativelanguage.googleapis.com/predict_long_running_requests_per_"
                        "model_per_minute", "quotaValue": "10"}]},
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"})
VERTEX_429 = google(429, "Quota exceeded for aiplatform.googleapis.com/online_prediction_"
                    "requests_per_base_model with base model: veo-3.1-generate. Please submit "
                    "a quota increase request.", "RESOURCE_EXHAUSTED")
DURATION = google(400, "The number value for `durationSeconds` is out of bound. Please provide "
                  "a value between 4 and 8, inclusive.", "INVALID_ARGUMENT")
PERSON = google(400, "allow_adult for personGeneration is currently not supported.",
                "INVALID_ARGUMENT")
UNSAFE_IMAGE = google(400, "The input image contains content that violates the usage "
                      "guidelines. Support codes: 58061214", "INVALID_ARGUMENT")
GEMINI_RETIRED = google(404, "models/veo-3.0-generate-001 is not found for API version v1beta, "
                        "or is not supported for predictLongRunning. Call ListModels to see "
                        "the list of available models and their supported methods.",
                        "NOT_FOUND")
VERTEX_RETIRED = google(404, "Publisher Model `projects/acme-video/locations/us-central1/"
                        "publishers/google/models/veo-3.0-generate-001` is no longer "
                        "available.", "NOT_FOUND")
EXPIRED_OPERATION = google(404, "Operation models/veo-3.1-generate-preview/operations/"
                           "6iqjvgunitht not found.", "NOT_FOUND")


@pytest.mark.parametrize(("status", "body", "expected"), [
    (400, BAD_KEY, AuthenticationError),
    (403, NO_KEY, AuthenticationError),
    (401, EXPIRED, AuthenticationError),
    (403, IAM, AuthenticationError),
    (402, google(402, "Prepaid credit depleted.", None), InsufficientCreditsError),
    (400, DURATION, InvalidRequestError),
    (400, PERSON, InvalidRequestError),
    (400, UNSAFE_IMAGE, ContentPolicyError),
    (404, GEMINI_RETIRED, ModelUnavailableError),
    (404, VERTEX_RETIRED, ModelUnavailableError),
    (404, EXPIRED_OPERATION, JobFailedError),  # the body tells an operation from a model
    (429, VERTEX_429, RateLimitError),
    (500, google(500, "Internal error encountered.", "INTERNAL"), ProviderUnavailableError),
    (503, google(503, "The service is currently unavailable.", "UNAVAILABLE"),
     ProviderUnavailableError),
    (504, google(504, "Deadline exceeded.", "DEADLINE_EXCEEDED"), ProviderUnavailableError),
])
def test_submit_errors_map(status: int, body: Any, expected: type[Exception]) -> None:
    with pytest.raises(expected) as raised:
        VEO.parse_submit(reply(status, body))
    assert raised.value.provider == "veo"  # type: ignore[attr-defined]
    assert KEY not in str(raised.value) and TOKEN not in str(raised.value)


def test_codes_and_params_are_read_from_the_envelope() -> None:
    with pytest.raises(AuthenticationError) as bad_key:
        VEO.parse_submit(reply(400, BAD_KEY))
    assert bad_key.value.code == "API_KEY_INVALID" and bad_key.value.status == 400
    for body, param in ((DURATION, "durationSeconds"), (PERSON, "personGeneration")):
        with pytest.raises(InvalidRequestError) as invalid:
            VEO.parse_submit(reply(400, body))
        assert invalid.value.param == param and invalid.value.code == "INVALID_ARGUMENT"


def test_a_vertex_error_wrapped_in_a_list_is_unwrapped() -> None:
    with pytest.raises(InvalidRequestError, match="durationSeconds"):
        VEO.parse_submit(reply(400, [DURATION]))


@pytest.mark.parametrize(("body", "headers", "wait"), [
    (GEMINI_429, {}, 37.0), (VERTEX_429, {}, None), (VERTEX_429, {"retry-after": "12"}, 12.0)])
def test_rate_limits_with_and_without_a_wait(body: Any, headers: dict[str, str],
                                             wait: float | None) -> None:
    with pytest.raises(RateLimitError) as raised:
        VEO.parse_submit(reply(429, body, **headers))
    assert raised.value.retry_after == wait


def test_a_404_on_a_poll_is_the_job_not_the_model() -> None:
    with pytest.raises(JobFailedError):
        VEO.parse_job(reply(404, google(404, "Requested entity was not found.", "NOT_FOUND")),
                      job())
    with pytest.raises(ModelUnavailableError):
        VEO.parse_submit(reply(404, google(404, "Requested entity was not found.",
                                           "NOT_FOUND")))
    with pytest.raises(JobFailedError):
        VEO.raise_for_error(reply(404, google(404, "File 782udawnig0v not found.", "NOT_FOUND")))


# --- end to end through the client with a mock transport -----------------------------------------

def test_gemini_download_follows_the_storage_redirect(tmp_path: Path) -> None:
    uri = f"{GB}/files/782udawnig0v:download?alt=media"
    replies = iter([{"name": GOP}, {"name": GOP}, {"name": GOP, "done": True, "response": {
        "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}}}])
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "storage.example":
            return httpx.Response(200, content=MP4, headers={"content-type": "video/mp4"})
        if request.url.path.endswith(":download"):
            return httpx.Response(302, headers={"location": "https://storage.example/f/1"})
        return reply(200, next(replies))

    client = VideoClient(credentials={"veo": GEMINI}, transport=httpx.MockTransport(server),
                         sleep=lambda seconds: None, allow_retired=True)
    result = client.generate(VideoRequest(prompt="x", duration=4),
                             model="veo:veo-3.1-fast-generate-preview",
                             output=tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == MP4
    assert result.job.backend == "gemini" and result.job.credential == "studio"
    assert [r.method for r in seen] == ["POST", "GET", "GET", "GET", "GET"]
    assert seen[-1].url.host == "storage.example"


def test_vertex_inline_output_is_written_without_a_download(tmp_path: Path) -> None:
    replies = iter([{"name": VOP}, {"name": VOP, "done": True, "response": {"videos": [
        {"bytesBase64Encoded": base64.b64encode(MP4).decode(), "mimeType": "video/mp4"}]}}])
    methods: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        return reply(200, next(replies))

    client = VideoClient(credentials={"veo": VERTEX}, transport=httpx.MockTransport(server),
                         sleep=lambda seconds: None)
    result = client.generate(VideoRequest(prompt="x"), model="veo:veo-3.1-generate-001",
                             output=tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == MP4 and methods == ["POST", "POST"]
    assert result.job.backend == "vertex"
    assert result.plan is not None and not result.plan.warnings  # no sourced deprecation


def test_the_adapter_is_registered_and_meets_the_protocol() -> None:
    from vidbridge import VideoProvider, providers

    assert isinstance(providers()["veo"], Veo) and isinstance(VEO, VideoProvider)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_each_rows_backends_are_the_ones_the_adapter_sends_to(model: str) -> None:
    assert MODELS[model].backends == SERVED_BY[model]
    for creds in (GEMINI, VERTEX):
        backend = VEO.backend(creds)
        assert MODELS[model].served_on(backend) == (backend in SERVED_BY[model])
        if backend in SERVED_BY[model]:
            VEO.build_submit(plan(model, **_fits(model)), creds)
        else:
            with pytest.raises(ModelUnavailableError, match="served by"):
                VEO.build_submit(plan(model, **_fits(model)), creds)


def _fits(model: str) -> dict[str, Any]:
    """Plan fields every row takes (Veo 2: silent, 720p)."""
    caps = MODELS[model]
    return dict(resolution="720p", size="1280x720", audio=caps.audio != "never")


@pytest.mark.parametrize(("creds", "still_served"), [
    (GEMINI, []),
    (VERTEX, ["veo:veo-3.1-fast-generate-001", "veo:veo-3.1-generate-001",
              "veo:veo-3.1-lite-generate-001"]),
], ids=["gemini", "vertex"])
def test_a_retired_id_names_only_the_models_its_backend_still_serves(
        creds: Credentials, still_served: list[str]) -> None:
    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no HTTP expected")

    client = VideoClient(credentials={"veo": creds}, transport=httpx.MockTransport(never))
    with pytest.raises(CapabilityError) as refused:
        client.generate(VideoRequest(prompt="x"), model="veo:veo-3.0-generate-001")
    assert sorted(refused.value.allowed) == still_served
    if not still_served:
        assert "still served: none" in str(refused.value)
