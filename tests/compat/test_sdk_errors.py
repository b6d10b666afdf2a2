"""Compat errors are the official SDK's classes too (when it is installed), and still ours."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import openai
import pytest

from vidbridge import VidbridgeError
from vidbridge.compat import _errors as e
from vidbridge.compat.openai import OpenAI

from .simenv import config, sync_client

SDK_NAMED = ["APIError", "APIStatusError", "APIConnectionError", "APITimeoutError",
             "BadRequestError", "AuthenticationError", "PermissionDeniedError", "NotFoundError",
             "ConflictError", "UnprocessableEntityError", "RateLimitError",
             "InternalServerError", "OpenAIError"]


@pytest.mark.parametrize("name", SDK_NAMED)
def test_every_compat_class_derives_from_the_sdk_class_of_its_name(name: str) -> None:
    ours = getattr(e, name)
    assert issubclass(ours, getattr(openai, name)) and issubclass(ours, VidbridgeError)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422, 429, 500, 503])
def test_status_errors_carry_the_attributes_the_sdk_exposes(status: int) -> None:
    error = e.status_error(status, "it went wrong", param="size", code="invalid_value",
                           request_id="req_1", headers={"retry-after": "3"})
    assert isinstance(error, openai.APIStatusError) and isinstance(error, VidbridgeError)
    assert error.status_code == status and error.request_id == "req_1"
    assert error.body == {"message": "it went wrong", "type": error.type, "param": "size",
                          "code": "invalid_value"}
    assert (error.code, error.param) == ("invalid_value", "size")
    assert error.response.status_code == status
    assert error.response.headers["retry-after"] == "3"
    assert error.response.json() == {"error": error.body}
    assert str(error.request.url).startswith("vidbridge://")


def test_except_clauses_written_for_the_sdk_catch_the_swapped_client(
        sim: str, tmp_path: Path) -> None:
    with OpenAI(client=sync_client(config(sim, tmp_path)), output_dir=tmp_path / "o") as client:
        try:
            client.videos.retrieve("video_missing")
        except openai.NotFoundError as caught:
            assert caught.status_code == 404 and "video_missing" in caught.body["message"]
        else:
            pytest.fail("no NotFoundError")
        with pytest.raises(openai.BadRequestError) as bad:
            client.videos.create(prompt="x", seconds="abc")
        assert bad.value.param == "seconds" and bad.value.code == "invalid_value"
        with pytest.raises(openai.NotFoundError) as unknown:
            client.videos.create(prompt="x", model="no-such-model")
        assert unknown.value.code == "model_not_found"


# The same steps in a child process in which ``import openai`` fails.
WITHOUT_SDK = textwrap.dedent("""
    import importlib.abc, json, sys
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "openai" or name.startswith("openai."):
                raise ImportError("openai is blocked in this test")
    sys.meta_path.insert(0, Block())
    from pathlib import Path
    from vidbridge.compat import openai as compat
    from vidbridge.config import parse_config
    from vidbridge.errors import VidbridgeError
    from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread
    tmp = Path(sys.argv[1])
    with serve_in_thread(create_app(SimulatorSettings(fast=True, seed=3))) as base:
        raw = json.loads(sys.argv[2].replace("SIM", base))
        from vidbridge import VideoClient, PollPolicy
        client = VideoClient(config=parse_config(raw), sleep=lambda s: None,
                             poll=PollPolicy(first=0.01, cap=0.01, jitter=0))
        with compat.OpenAI(client=client, output_dir=tmp / "out") as api:
            video = api.videos.create_and_poll(prompt="a kite", seconds="4",
                                               poll_interval_ms=10)
            try:
                api.videos.retrieve("video_missing")
            except compat.NotFoundError as err:
                caught = [isinstance(err, VidbridgeError), err.status_code, err.code]
    print(json.dumps({"status": video.status, "caught": caught,
                      "sdk_loaded": "openai" in sys.modules and sys.modules["openai"] is not None,
                      "bases": [c.__module__ for c in compat.NotFoundError.__mro__]}))
""")


def test_without_the_sdk_compat_works_as_before(tmp_path: Path) -> None:
    from .simenv import raw_config

    raw = raw_config("SIM", tmp_path)
    done = subprocess.run([sys.executable, "-c", WITHOUT_SDK, str(tmp_path), json.dumps(raw)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == "completed"
    assert report["caught"] == [True, 404, None]
    assert not report["sdk_loaded"]
    assert not any(module.startswith("openai") for module in report["bases"])
