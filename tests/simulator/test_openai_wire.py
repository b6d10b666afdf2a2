"""The OpenAI Videos wire, through raw HTTP."""
from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from vidbridge.simulator import SimulatorSettings, create_app

from .conftest import OPENAI, inspect_mp4, make_client


def _create(client: TestClient, headers: dict[str, str] | None = None, **fields: str) -> dict:
    response = client.post("/openai/v1/videos", headers={**OPENAI, **(headers or {})},
                           json={"prompt": "a paper boat", **fields})
    assert response.status_code == 200, response.text
    return response.json()


def _poll_to_end(client: TestClient, video_id: str) -> list[dict]:
    seen = []
    for _ in range(10):
        video = client.get(f"/openai/v1/videos/{video_id}", headers=OPENAI).json()
        seen.append(video)
        if video["status"] in ("completed", "failed"):
            return seen
    raise AssertionError(f"never finished: {seen[-1]}")


def test_sora_retired_by_default_answers_model_not_found() -> None:
    client = TestClient(create_app(SimulatorSettings()))
    for method, path in [("POST", "/openai/v1/videos"), ("GET", "/openai/v1/videos"),
                         ("GET", "/openai/v1/videos/video_1/content")]:
        response = client.request(method, path, headers=OPENAI, json={"prompt": "x"})
        assert response.status_code == 404
        assert response.json() == {"error": {
            "message": "The model `sora-2` does not exist or you do not have access to it.",
            "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}


def test_json_create_poll_download(client: TestClient) -> None:
    created = _create(client, model="sora-2-pro", seconds="8", size="1792x1024")
    assert created["status"] == "queued" and created["progress"] == 0
    assert created["id"].startswith("video_") and len(created["id"]) == 6 + 48
    assert (created["seconds"], created["size"], created["error"]) == ("8", "1792x1024", None)
    seen = _poll_to_end(client, created["id"])
    assert [v["status"] for v in seen] == ["in_progress", "in_progress", "completed"]
    progress = [v["progress"] for v in seen]
    assert progress == sorted(progress) and progress[-1] == 100 and 0 < progress[0] < 100
    done = seen[-1]
    assert done["completed_at"] is not None and done["expires_at"] == done["completed_at"] + 3600
    response = client.get(f"/openai/v1/videos/{created['id']}/content", headers=OPENAI)
    assert response.headers["content-type"] == "video/mp4"
    clip = inspect_mp4(response.content)
    assert (clip.width, clip.height, clip.audio) == (1792, 1024, True)
    assert clip.seconds == pytest.approx(8, abs=0.1)


def test_multipart_create_with_image_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/openai/v1/videos", headers=OPENAI,
        data={"prompt": "the boat drifts", "model": "sora-2", "seconds": "4", "size": "1280x720"},
        files={"input_reference": ("first.png", b"\x89PNG\r\n\x1a\n", "image/png")})
    assert response.status_code == 200
    assert response.json()["size"] == "1280x720"


@pytest.mark.parametrize(("fields", "param", "message"), [
    ({"seconds": "10"}, "seconds",
     "Invalid value: '10'. Supported values are: '4', '8', '12', '16', and '20'."),
    ({"size": "1920x1080"}, "size",
     "Invalid value: '1920x1080'. Supported values are: '720x1280' and '1280x720'."),
])
def test_invalid_values_get_the_reference_body(client: TestClient, fields: dict, param: str,
                                               message: str) -> None:
    response = client.post("/openai/v1/videos", headers=OPENAI,
                           json={"prompt": "x", **fields})
    assert response.status_code == 400
    assert response.json() == {"error": {"message": message, "type": "invalid_request_error",
                                         "param": param, "code": "invalid_value"}}


def test_unknown_model_and_video(client: TestClient) -> None:
    response = client.post("/openai/v1/videos", headers=OPENAI,
                           json={"prompt": "x", "model": "sora-3"})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "model_not_found")
    response = client.get("/openai/v1/videos/video_0000", headers=OPENAI)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Video with id 'video_0000' not found."


def test_bad_and_missing_key(settings: SimulatorSettings) -> None:
    client = make_client(settings, require_key="sk-right-key-0000")
    response = client.get("/openai/v1/videos", headers=OPENAI)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert "sk-test-0123456789abcdef" not in response.text  # the key is masked
    assert client.get("/openai/v1/videos").status_code == 401
    ok = client.get("/openai/v1/videos", headers={"Authorization": "Bearer sk-right-key-0000"})
    assert ok.status_code == 200


def test_list_paginates_with_cursor(client: TestClient) -> None:
    ids = [_create(client)["id"] for _ in range(5)]
    page = client.get("/openai/v1/videos?limit=2&order=asc", headers=OPENAI).json()
    assert [v["id"] for v in page["data"]] == ids[:2] and page["has_more"] is True
    assert page["first_id"] == ids[0] and page["last_id"] == ids[1]
    rest = client.get(f"/openai/v1/videos?limit=10&order=asc&after={page['last_id']}",
                      headers=OPENAI).json()
    assert [v["id"] for v in rest["data"]] == ids[2:] and rest["has_more"] is False
    newest = client.get("/openai/v1/videos?limit=1", headers=OPENAI).json()
    assert newest["data"][0]["id"] == ids[-1]


def test_delete_only_when_finished(client: TestClient) -> None:
    video = _create(client)
    assert client.delete(f"/openai/v1/videos/{video['id']}", headers=OPENAI).status_code == 400
    _poll_to_end(client, video["id"])
    response = client.delete(f"/openai/v1/videos/{video['id']}", headers=OPENAI)
    assert response.json() == {"id": video["id"], "object": "video.deleted", "deleted": True}
    assert client.get(f"/openai/v1/videos/{video['id']}", headers=OPENAI).status_code == 404


def test_content_variants_and_not_ready(client: TestClient) -> None:
    video = _create(client)
    early = client.get(f"/openai/v1/videos/{video['id']}/content", headers=OPENAI)
    assert early.status_code == 404
    _poll_to_end(client, video["id"])
    thumb = client.get(f"/openai/v1/videos/{video['id']}/content?variant=thumbnail",
                       headers=OPENAI)
    assert thumb.headers["content-type"] == "image/webp" and thumb.content[8:12] == b"WEBP"
    sprite = client.get(f"/openai/v1/videos/{video['id']}/content?variant=spritesheet",
                        headers=OPENAI)
    assert sprite.headers["content-type"] == "image/jpeg"
    bad = client.get(f"/openai/v1/videos/{video['id']}/content?variant=gif", headers=OPENAI)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "variant"


def test_remix_makes_a_new_job_from_a_completed_one(client: TestClient) -> None:
    source = _create(client, seconds="8", size="1280x720")
    _poll_to_end(client, source["id"])
    remix = client.post(f"/openai/v1/videos/{source['id']}/remix", headers=OPENAI,
                        json={"prompt": "now it snows"}).json()
    assert remix["id"] != source["id"] and remix["remixed_from_video_id"] == source["id"]
    assert (remix["seconds"], remix["size"], remix["status"]) == ("8", "1280x720", "queued")


def test_rate_limit_once_then_success(client: TestClient) -> None:
    header = {"X-Vidbridge-Scenario": "rate_limit_once=7"}
    first = client.post("/openai/v1/videos", headers={**OPENAI, **header}, json={"prompt": "x"})
    assert first.status_code == 429 and first.headers["retry-after"] == "7"
    assert first.json()["error"]["code"] == "rate_limit_exceeded"
    second = client.post("/openai/v1/videos", headers={**OPENAI, **header}, json={"prompt": "x"})
    assert second.status_code == 200


def test_content_policy_at_submit_and_as_failed_job(client: TestClient) -> None:
    refused = client.post("/openai/v1/videos", headers=OPENAI,
                          json={"prompt": "x [[scenario:content_policy]]"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "moderation_blocked"
    job = _create(client, headers={"X-Vidbridge-Scenario": "content_policy_job"})
    failed = _poll_to_end(client, job["id"])[-1]
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "moderation_blocked" and failed["error"]["message"]


def test_job_failed_has_code_and_message(client: TestClient) -> None:
    job = _create(client, headers={"X-Vidbridge-Scenario": "job_failed"})
    failed = _poll_to_end(client, job["id"])[-1]
    assert failed["status"] == "failed" and set(failed["error"]) == {"code", "message"}
    assert client.get(f"/openai/v1/videos/{job['id']}/content",
                      headers=OPENAI).status_code == 404


def test_malformed_json_once_on_poll(client: TestClient) -> None:
    job = _create(client)
    header = {**OPENAI, "X-Vidbridge-Scenario": "malformed_json_once"}
    broken = client.get(f"/openai/v1/videos/{job['id']}", headers=header)
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.text)
    assert client.get(f"/openai/v1/videos/{job['id']}", headers=header).json()["id"] == job["id"]


@pytest.mark.parametrize(("scenario", "status"), [("server_error", 500), ("unavailable", 503),
                                                  ("insufficient_credits", 429)])
def test_error_scenarios(client: TestClient, scenario: str, status: int) -> None:
    response = client.post("/openai/v1/videos", json={"prompt": "x"},
                           headers={**OPENAI, "X-Vidbridge-Scenario": scenario})
    assert response.status_code == status
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_unknown_scenario_is_a_simulator_error(client: TestClient) -> None:
    response = client.post("/openai/v1/videos", json={"prompt": "x"},
                           headers={**OPENAI, "X-Vidbridge-Scenario": "explode"})
    assert response.status_code == 400 and "unknown scenario" in response.json()["simulator_error"]
