"""Runway tasks and Kling tasks, through raw HTTP."""
from __future__ import annotations

import base64
import struct
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from vidbridge.simulator import SimulatorSettings

from .conftest import RUNWAY, inspect_mp4, kling_headers, kling_token, make_client

GEN4 = {"model": "gen4_turbo", "promptImage": "https://assets.example.com/a.jpg",
        "ratio": "1280:720", "duration": 5}


def _runway_poll(client: TestClient, task_id: str) -> list[dict]:
    seen = []
    for _ in range(10):
        task = client.get(f"/runway/v1/tasks/{task_id}", headers=RUNWAY).json()
        seen.append(task)
        if task["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return seen
    raise AssertionError("task never finished")


def test_runway_image_to_video_end_to_end(client: TestClient) -> None:
    created = client.post("/runway/v1/image_to_video", headers=RUNWAY, json=GEN4).json()
    assert created["estimatedCost"] == {"credits": 25}
    seen = _runway_poll(client, created["id"])
    assert [t["status"] for t in seen] == ["RUNNING", "RUNNING", "SUCCEEDED"]
    assert all(0 < t["progress"] < 1 for t in seen[:-1])
    done = seen[-1]
    assert done["createdAt"].endswith("Z") and done["cost"] == {"credits": 25}
    url = done["output"][0]
    assert "_jwt=" in url
    clip = inspect_mp4(client.get(url).content)  # no Authorization: like the CDN
    assert (clip.width, clip.height, clip.audio) == (1280, 720, False)
    assert clip.seconds == pytest.approx(5, abs=0.1)
    assert client.get(url.split("_jwt=")[0] + "_jwt=forged").status_code == 403


def test_runway_veo31_audio_switch(client: TestClient) -> None:
    created = client.post("/runway/v1/text_to_video", headers=RUNWAY, json={
        "model": "veo3.1", "promptText": "waves", "ratio": "720:1280", "duration": 4,
        "audio": True}).json()
    assert created["estimatedCost"] == {"credits": 160}
    url = _runway_poll(client, created["id"])[-1]["output"][0]
    clip = inspect_mp4(client.get(url).content)
    assert (clip.width, clip.height, clip.audio) == (720, 1280, True)


def test_runway_needs_version_header_and_key(client: TestClient) -> None:
    no_version = client.post("/runway/v1/image_to_video", json=GEN4,
                             headers={"Authorization": "Bearer key_test"})
    assert no_version.status_code == 400
    assert no_version.json()["error"] == ("The API version that was provided in the "
                                          "X-Runway-Version header is not valid.")
    no_key = client.post("/runway/v1/image_to_video", json=GEN4,
                         headers={"X-Runway-Version": "2024-11-06"})
    assert no_key.status_code == 401 and set(no_key.json()) == {"error"}


def test_runway_zod_issues(client: TestClient) -> None:
    response = client.post("/runway/v1/image_to_video", headers=RUNWAY,
                           json={**GEN4, "ratio": "1920:1080", "duration": 11})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Validation of body failed" and body["docUrl"]
    ratio, duration = body["issues"]
    assert ratio["path"] == ["ratio"] and ratio["code"] == "invalid_value"
    assert ratio["message"].startswith('Invalid option: expected one of "1280:720"|')
    assert duration["code"] == "too_big" and duration["maximum"] == 10
    unknown = client.post("/runway/v1/text_to_video", headers=RUNWAY,
                          json={**GEN4, "promptText": "x"})  # gen4_turbo is image-only
    assert unknown.json()["issues"][0]["path"] == ["model"]


def test_runway_failures_and_throttling(client: TestClient) -> None:
    def run(scenario: str) -> list[dict]:
        task = client.post("/runway/v1/image_to_video", json=GEN4,
                           headers={**RUNWAY, "X-Vidbridge-Scenario": scenario}).json()
        return _runway_poll(client, task["id"])

    policy = run("content_policy")[-1]
    assert (policy["status"], policy["failureCode"]) == ("FAILED", "SAFETY.INPUT.TEXT")
    assert run("job_failed")[-1]["failureCode"] == "INTERNAL.BAD_OUTPUT.CODE01"
    assert [t["status"] for t in run("throttled")][:2] == ["THROTTLED", "RUNNING"]
    limited = client.post("/runway/v1/image_to_video", json=GEN4,
                          headers={**RUNWAY, "X-Vidbridge-Scenario": "rate_limit"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert set(limited.json()) == {"error"}


def test_runway_delete_cancels_then_deletes(client: TestClient) -> None:
    task_id = client.post("/runway/v1/image_to_video", headers=RUNWAY, json=GEN4).json()["id"]
    assert client.delete(f"/runway/v1/tasks/{task_id}", headers=RUNWAY).status_code == 204
    cancelled = client.get(f"/runway/v1/tasks/{task_id}", headers=RUNWAY).json()
    assert cancelled["status"] == "CANCELLED" and cancelled["cost"] == {"credits": 0}
    assert client.delete(f"/runway/v1/tasks/{task_id}", headers=RUNWAY).status_code == 204
    gone = client.get(f"/runway/v1/tasks/{task_id}", headers=RUNWAY)
    assert gone.status_code == 404 and gone.json() == {"error": "Could not find Task"}


def _png(width: int, height: int) -> str:
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(
        ">II", width, height) + b"\x08\x02\x00\x00\x00"
    return base64.b64encode(header).decode()


def test_kling_text_to_video_with_sound(client: TestClient) -> None:
    headers = kling_headers()
    created = client.post("/kling/v1/videos/text2video", headers=headers, json={
        "model_name": "kling-v2-6", "prompt": "waves on black rocks", "mode": "pro",
        "duration": "10", "aspect_ratio": "9:16", "sound": "on",
        "external_task_id": "shot-1"}).json()
    assert (created["code"], created["message"]) == (0, "SUCCEED") and created["request_id"]
    assert created["data"]["task_status"] == "submitted"
    assert created["data"]["task_info"] == {"external_task_id": "shot-1"}
    statuses = []
    for _ in range(5):  # queried by external_task_id, as the docs allow
        task = client.get("/kling/v1/videos/text2video/shot-1", headers=headers).json()["data"]
        statuses.append(task["task_status"])
    assert statuses[:3] == ["processing", "processing", "succeed"]
    assert task["final_unit_deduction"] == "10"
    video = task["task_result"]["videos"][0]
    assert video["duration"] == "10.0"
    clip = inspect_mp4(client.get(video["url"]).content)
    assert (clip.width, clip.height, clip.audio) == (1080, 1920, True)
    assert clip.seconds == pytest.approx(10, abs=0.1)
    listed = client.get("/kling/v1/videos/text2video?pageNum=1&pageSize=10",
                        headers=headers).json()
    assert [t["task_id"] for t in listed["data"]] == [task["task_id"]]


def test_kling_image_to_video_follows_the_image(client: TestClient) -> None:
    headers = kling_headers()
    task_id = client.post("/kling/v1/videos/image2video", headers=headers, json={
        "model_name": "kling-v2-1", "mode": "std", "duration": "5",
        "image": _png(1000, 1000)}).json()["data"]["task_id"]
    for _ in range(3):
        task = client.get(f"/kling/v1/videos/image2video/{task_id}", headers=headers).json()
    clip = inspect_mp4(client.get(task["data"]["task_result"]["videos"][0]["url"]).content)
    assert (clip.width, clip.height, clip.audio) == (720, 720, False)
    # Queried in the wrong family it does not exist.
    assert client.get(f"/kling/v1/videos/text2video/{task_id}", headers=headers).status_code == 404


@pytest.mark.parametrize(("body", "fragment"), [
    ({"prompt": "x", "duration": "7"}, "duration value '7' is invalid, must be one of [5, 10]"),
    ({"prompt": "x", "duration": 5}, "duration value '5' is invalid"),
    ({"prompt": "x", "sound": "on", "model_name": "kling-v2-6"}, "pro mode"),
    ({"prompt": "x", "cfg_scale": 0.5, "model_name": "kling-v2-master"}, "cfg_scale"),
    ({"duration": "5"}, "prompt is required"),
])
def test_kling_1201(client: TestClient, body: dict, fragment: str) -> None:
    response = client.post("/kling/v1/videos/text2video", headers=kling_headers(), json=body)
    assert response.status_code == 400
    assert response.json()["code"] == 1201 and fragment in response.json()["message"]


# Tokens are made when the test runs, not at collection: a "not yet valid" token made at
# collection turns valid once a long suite reaches this test.
@pytest.mark.parametrize(("authorization", "code"), [
    (lambda: None, 1001),
    (lambda: "Bearer not-a-jwt", 1002),
    (lambda: f"Bearer {kling_token(access_key='')}", 1002),
    (lambda: f"Bearer {kling_token(ttl=-10)}", 1004),
    (lambda: f"Bearer {kling_token(skew=-600)}", 1003),
])
def test_kling_jwt_is_checked(client: TestClient, authorization: Callable[[], str | None],
                              code: int) -> None:
    value = authorization()
    headers = {} if value is None else {"Authorization": value}
    response = client.post("/kling/v1/videos/text2video", headers=headers, json={"prompt": "x"})
    assert response.status_code == 401 and response.json()["code"] == code


def test_kling_signature_and_access_key_when_strict(settings: SimulatorSettings) -> None:
    client = make_client(settings, kling_secret="right-secret", require_key="ak-right")
    body = {"prompt": "x"}
    good = kling_headers(access_key="ak-right", secret="right-secret")
    assert client.post("/kling/v1/videos/text2video", headers=good, json=body).status_code == 200
    forged = kling_headers(access_key="ak-right", secret="wrong-secret")
    assert client.post("/kling/v1/videos/text2video", headers=forged,
                       json=body).json()["code"] == 1002
    other = kling_headers(access_key="ak-other", secret="right-secret")
    assert client.post("/kling/v1/videos/text2video", headers=other,
                       json=body).json()["code"] == 1000
    api_key = {"Authorization": "Bearer ak-right"}  # the newer single-key scheme
    assert client.post("/kling/v1/videos/text2video", headers=api_key,
                       json=body).status_code == 200


@pytest.mark.parametrize(("scenario", "status", "code"), [
    ("rate_limit", 429, 1302), ("concurrency_limit", 429, 1303), ("content_policy", 400, 1301),
    ("insufficient_credits", 429, 1102), ("server_error", 500, 5000),
])
def test_kling_error_scenarios(client: TestClient, scenario: str, status: int,
                               code: int) -> None:
    response = client.post("/kling/v1/videos/text2video", json={"prompt": "x"},
                           headers={**kling_headers(), "X-Vidbridge-Scenario": scenario})
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.json()["request_id"]


def test_kling_failed_task_has_a_reason(client: TestClient) -> None:
    headers = kling_headers()
    task_id = client.post("/kling/v1/videos/text2video", json={
        "prompt": "x [[scenario:content_policy_job]]"}, headers=headers).json()["data"]["task_id"]
    for _ in range(3):
        task = client.get(f"/kling/v1/videos/text2video/{task_id}", headers=headers).json()
    assert task["data"]["task_status"] == "failed" and task["data"]["task_status_msg"]
    assert "task_result" not in task["data"]
