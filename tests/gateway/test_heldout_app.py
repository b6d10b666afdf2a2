"""A Sora application written against the official ``openai`` SDK, unchanged but for one
import line (the swap) or for OPENAI_BASE_URL (the gateway): its ``except openai.NotFoundError``
catches, its webhook receiver verifies every event with the official SDK, and a second
process reads the id the first one printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openai

from vidbridge.webhooks import new_secret

from ..receiver import Receiver, receiver
from .conftest import KEY, gateway

APP = '''
import sys
import openai
from openai import OpenAI

client = OpenAI()
if sys.argv[1] == "create":
    video = client.videos.create_and_poll(model="sora-2", prompt="a lighthouse at dawn",
                                          seconds="4")
    print(video.id, video.status)
else:
    try:
        client.videos.retrieve("video_0000000000000000")
    except openai.NotFoundError as err:
        print("missing", err.status_code)
    video = client.videos.retrieve(sys.argv[2])
    data = client.videos.download_content(sys.argv[2]).read()
    print(video.id, video.status, len(data))
'''
SWAPPED = APP.replace("from openai import OpenAI", "from vidbridge.compat.openai import OpenAI")
# Harness only (the app is untouched): the simulator needs no polite 5 s between polls.
FAST_POLLS = '''
import runpy, sys
import vidbridge.client as c
from vidbridge.engine import PollPolicy
fast = PollPolicy(first=0.02, factor=1.0, cap=0.02, jitter=0, provider_guidance=False)
original = c.VideoClient.__init__
def init(self, *args, **kwargs):
    kwargs.setdefault("poll", fast)
    original(self, *args, **kwargs)
c.VideoClient.__init__ = init
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
'''


def _run(app: Path, env: dict[str, str], *args: str, harness: bool = False) -> list[str]:
    command = [sys.executable, "-c", FAST_POLLS, str(app), *args] if harness else \
        [sys.executable, str(app), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


def _check(hook: Receiver, secret: str, video_id: str, first: list[str],
           second: list[str]) -> None:
    assert first == [video_id, "completed"]
    assert second[:5] == ["missing", "404", video_id, "completed", second[4]]
    assert int(second[4]) > 1000
    got = hook.wait_for(1)
    sdk = openai.OpenAI(api_key="unused", webhook_secret=secret)
    events = [sdk.webhooks.unwrap(r.body, r.headers) for r in got]  # verify_signature inside
    assert [(e.type, e.data.id) for e in events] == [("video.completed", video_id)]


def _toml(sim: str, tmp: Path, hook_url: str) -> str:
    return f'''
ledger = "{tmp / 'jobs.sqlite3'}"
[providers.runway]
base_url = "{sim}/runway"
api_key = "sim-runway-key"
[routes.default]
candidates = ["runway:gen4.5"]
retries = 0
[aliases]
sora-2 = "default"
[gateway]
output_dir = "{tmp / 'videos'}"
[[gateway.webhooks]]
url = "{hook_url}"
secret_env = "HOOK_SECRET"
'''


def test_the_app_runs_with_the_import_swap(sim: str, tmp_path: Path) -> None:
    secret = new_secret()
    app = tmp_path / "app.py"
    app.write_text(SWAPPED)
    with receiver() as hook:
        config = tmp_path / "vidbridge.toml"
        config.write_text(_toml(sim, tmp_path, hook.url))
        env = {"VIDBRIDGE_CONFIG": str(config), "HOOK_SECRET": secret}
        first = _run(app, env, "create", harness=True)
        second = _run(app, env, "read", first[0], harness=True)
        _check(hook, secret, first[0], first, second)


def test_the_app_runs_unchanged_against_the_gateway(sim: str, tmp_path: Path) -> None:
    secret = new_secret()
    app = tmp_path / "app.py"
    app.write_text(APP)
    with receiver() as hook:
        table = {"webhooks": [{"url": hook.url, "secret_env": "HOOK_SECRET"}]}
        with gateway(sim, tmp_path, gateway_table=table, environ={"HOOK_SECRET": secret}) as gw:
            env = {"OPENAI_BASE_URL": gw.v1, "OPENAI_API_KEY": KEY}
            first = _run(app, env, "create")
            second = _run(app, env, "read", first[0])
            _check(hook, secret, first[0], first, second)
