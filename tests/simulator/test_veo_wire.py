"""Veo on the Gemini API and on Vertex AI, through raw HTTP."""
from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient

from vidbridge.simulator import SimulatorSettings

from .conftest import GEMINI, VERTEX, VERTEX_MODEL, inspect_mp4, make_client

GEMINI_MODEL = "/gemini/v1beta/models/veo-3.1-generate-preview"


def _gemini_submit(client: TestClient, parameters: dict, headers: dict | None = None,
                   prompt: str = "a potter at the wheel") -> dict:
    response = client.post(f"{GEMINI_MODEL}:predictLongRunning",
                           headers={**GEMINI, **(headers or {})},
                           json={"instances": [{"prompt": prompt}], "parameters": parameters})
    assert response.status_code == 200, response.text
    return response.json()


def _gemini_wait(client: TestClient, name: str) -> dict:
    for _ in range(10):
        operation = client.get(f"/gemini/v1beta/{name}", headers=GEMINI).json()
        if operation.get("done"):
            return operation
        assert operation == {"name": name}  # running: name only, "done" omitted
    raise AssertionError("operation never finished")


def test_gemini_text_to_video_end_to_end(client: TestClient) -> None:
    operation = _gemini_submit(client, {"durationSeconds": 8, "resolution": "1080p",
                                        "aspectRatio": "9:16", "personGeneration": "allow_all"})
    assert operation["name"].startswith("models/veo-3.1-generate-preview/operations/")
    done = _gemini_wait(client, operation["name"])
    response = done["response"]
    assert response["@type"].endswith("v1beta.PredictLongRunningResponse")
    uri = response["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"]
    file_id = uri.split("/files/")[1].split(":")[0]
    assert file_id.isalnum() and file_id == file_id.lower() and uri.endswith(":download?alt=media")
    redirect = client.get(uri, headers=GEMINI, follow_redirects=False)
    assert redirect.status_code == 302
    video = client.get(uri, headers=GEMINI, follow_redirects=True)
    clip = inspect_mp4(video.content)
    assert (clip.width, clip.height, clip.audio) == (1080, 1920, True)
    assert clip.seconds == pytest.approx(8, abs=0.1)


def test_gemini_key_as_query_parameter(client: TestClient) -> None:
    response = client.post(f"{GEMINI_MODEL}:predictLongRunning?key=AIza-query",
                           json={"instances": [{"prompt": "x"}]})
    assert response.status_code == 200


@pytest.mark.parametrize(("parameters", "message"), [
    ({"durationSeconds": 5}, "The number value for `durationSeconds` is out of bound. Please "
     "provide a value between 4 and 8, inclusive."),
    ({"durationSeconds": 12}, "The number value for `durationSeconds` is out of bound. Please "
     "provide a value between 4 and 8, inclusive."),
    ({"personGeneration": "allow_adult"},
     "allow_adult for personGeneration is currently not supported."),
])
def test_gemini_validation(client: TestClient, parameters: dict, message: str) -> None:
    response = client.post(f"{GEMINI_MODEL}:predictLongRunning", headers=GEMINI,
                           json={"instances": [{"prompt": "x"}], "parameters": parameters})
    assert response.status_code == 400
    assert response.json() == {"error": {"code": 400, "message": message,
                                         "status": "INVALID_ARGUMENT"}}


def test_gemini_1080p_needs_8_seconds(client: TestClient) -> None:
    response = client.post(f"{GEMINI_MODEL}:predictLongRunning", headers=GEMINI, json={
        "instances": [{"prompt": "x"}], "parameters": {"durationSeconds": 4,
                                                         "resolution": "1080p"}})
    assert response.status_code == 400 and "must be 8" in response.json()["error"]["message"]


def test_gemini_retired_model_and_credentials(settings: SimulatorSettings) -> None:
    client = make_client(settings, require_key="AIza-right")
    retired = client.post("/gemini/v1beta/models/veo-3.0-generate-001:predictLongRunning",
                          headers={"x-goog-api-key": "AIza-right"},
                          json={"instances": [{"prompt": "x"}]})
    assert retired.status_code == 404 and retired.json()["error"]["status"] == "NOT_FOUND"
    assert retired.json()["error"]["message"].startswith(
        "models/veo-3.0-generate-001 is not found for API version v1beta")
    wrong = client.post(f"{GEMINI_MODEL}:predictLongRunning", headers=GEMINI,
                        json={"instances": [{"prompt": "x"}]})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    missing = client.post(f"{GEMINI_MODEL}:predictLongRunning", json={"instances": [{}]})
    assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"


def test_gemini_rate_limit_carries_retry_info(client: TestClient) -> None:
    response = client.post(f"{GEMINI_MODEL}:predictLongRunning",
                           json={"instances": [{"prompt": "x"}]},
                           headers={**GEMINI, "X-Vidbridge-Scenario": "rate_limit=37"})
    assert response.status_code == 429 and response.headers["retry-after"] == "37"
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"} in error[
        "details"]


def test_gemini_filtered_and_failed_operations(client: TestClient) -> None:
    filtered = _gemini_wait(client, _gemini_submit(
        client, {}, prompt="x [[scenario:content_policy]]")["name"])
    body = filtered["response"]["generateVideoResponse"]
    assert body["raiMediaFilteredCount"] == 1 and body["raiMediaFilteredReasons"]
    assert "generatedSamples" not in body
    failed = _gemini_wait(client, _gemini_submit(
        client, {}, headers={"X-Vidbridge-Scenario": "job_failed"})["name"])
    assert failed["done"] is True and set(failed["error"]) == {"code", "message"}
    assert "response" not in failed


def test_vertex_inline_bytes_and_audio_switch(client: TestClient) -> None:
    path = f"{VERTEX_MODEL}/veo-3.1-fast-generate-001"
    created = client.post(f"{path}:predictLongRunning", headers=VERTEX, json={
        "instances": [{"prompt": "rice terraces"}],
        "parameters": {"durationSeconds": 6, "aspectRatio": "16:9", "resolution": "720p",
                       "generateAudio": False, "sampleCount": 2}}).json()
    name = created["name"]
    assert name.startswith("projects/acme/locations/us-central1/publishers/google/models/"
                           "veo-3.1-fast-generate-001/operations/")
    for _ in range(10):
        operation = client.post(f"{path}:fetchPredictOperation", headers=VERTEX,
                                json={"operationName": name}).json()
        if operation.get("done"):
            break
    response = operation["response"]
    assert response["@type"] == ("type.googleapis.com/cloud.ai.large_models.vision."
                                 "GenerateVideoResponse")
    assert len(response["videos"]) == 2
    clip = inspect_mp4(base64.b64decode(response["videos"][0]["bytesBase64Encoded"],
                                        validate=True))
    assert (clip.width, clip.height, clip.audio) == (1280, 720, False)
    assert clip.seconds == pytest.approx(6, abs=0.1)


def test_vertex_storage_uri_gives_gcs_uris(client: TestClient) -> None:
    path = f"{VERTEX_MODEL}/veo-3.1-generate-001"
    name = client.post(f"{path}:predictLongRunning", headers=VERTEX, json={
        "instances": [{"prompt": "x"}],
        "parameters": {"storageUri": "gs://bucket/run/"}}).json()["name"]
    for _ in range(5):
        operation = client.post(f"{path}:fetchPredictOperation", headers=VERTEX,
                                json={"operationName": name}).json()
    video = operation["response"]["videos"][0]
    assert video["gcsUri"].startswith("gs://bucket/run/") and video["mimeType"] == "video/mp4"


def test_vertex_v1beta1_retired_and_auth(client: TestClient) -> None:
    base = VERTEX_MODEL.replace("/v1/", "/v1beta1/")
    retired = client.post(f"{base}/veo-3.0-generate-001:predictLongRunning", headers=VERTEX,
                          json={"instances": [{"prompt": "x"}]})
    assert retired.status_code == 404
    assert retired.json()["error"]["message"] == (
        "Publisher Model `projects/acme/locations/us-central1/publishers/google/models/"
        "veo-3.0-generate-001` is no longer available.")
    anonymous = client.post(f"{base}/veo-3.1-generate-001:predictLongRunning",
                            json={"instances": [{"prompt": "x"}]})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["status"] == "UNAUTHENTICATED"
    unknown = client.post(f"{base}/veo-3.1-generate-001:fetchPredictOperation", headers=VERTEX,
                          json={"operationName": "projects/acme/nope/operations/1"})
    assert unknown.status_code == 404
