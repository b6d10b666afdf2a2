"""Runway ``POST /v1/video_to_video`` (aleph2) on the simulator, through raw HTTP."""
from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient

from vidbridge.simulator.media import make_mp4

from .conftest import RUNWAY, inspect_mp4


def _poll(client: TestClient, task_id: str) -> dict:
    for _ in range(10):
        task = client.get(f"/runway/v1/tasks/{task_id}", headers=RUNWAY).json()
        if task["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return task
    raise AssertionError("task never finished")


def _data_uri(data: bytes) -> str:
    return "data:video/mp4;base64," + base64.b64encode(data).decode()


def test_aleph2_edits_a_data_uri_video_into_a_new_clip_of_its_shape(
        client: TestClient) -> None:
    source = make_mp4(3, 640, 480, False, prompt="a red kite", label="runway:gen4.5")
    created = client.post("/runway/v1/video_to_video", headers=RUNWAY, json={
        "model": "aleph2", "videoUri": _data_uri(source), "promptText": "make it night",
        "seed": 7})
    assert created.status_code == 200, created.text
    assert "estimatedCost" not in created.json()  # aleph2's price is not in the reference
    done = _poll(client, created.json()["id"])
    assert done["status"] == "SUCCEEDED"
    output = client.get(done["output"][0]).content
    clip = inspect_mp4(output)
    assert (clip.width, clip.height) == (640, 480)
    assert clip.seconds == pytest.approx(3, abs=0.1)
    assert output != source


def test_aleph2_takes_an_https_url_and_needs_no_prompt(client: TestClient) -> None:
    created = client.post("/runway/v1/video_to_video", headers=RUNWAY, json={
        "model": "aleph2", "videoUri": "https://media.example.com/plates/street-day.mp4"})
    assert created.status_code == 200, created.text
    assert _poll(client, created.json()["id"])["status"] == "SUCCEEDED"


@pytest.mark.parametrize(("body", "path"), [
    ({"model": "aleph2"}, ["videoUri"]),
    ({"model": "aleph2", "videoUri": "http://media.example.com/a.mp4"}, ["videoUri"]),
    ({"model": "aleph2", "videoUri": "data:video/mp4;base64," + "A" * 16_000_000},
     ["videoUri"]),
    ({"model": "aleph2", "videoUri": "https://m.example/a.mp4", "promptText": ""},
     ["promptText"]),
    ({"model": "aleph2", "videoUri": "https://m.example/a.mp4", "targetAspectRatio": "5:4"},
     ["targetAspectRatio"]),
    ({"model": "gen4.5", "videoUri": "https://m.example/a.mp4"}, ["model"]),
])
def test_aleph2_refuses_bad_bodies_by_field(client: TestClient, body: dict,
                                            path: list[str]) -> None:
    answer = client.post("/runway/v1/video_to_video", headers=RUNWAY, json=body)
    assert answer.status_code == 400
    assert answer.json()["issues"][0]["path"] == path
