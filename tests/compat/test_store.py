"""The compat store persists by default beside the ledger: ids outlive the process and are
shared with any other process using the same config."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vidbridge.compat import openai as compat
from vidbridge.compat.openai import OpenAI
from vidbridge.config import parse_config

from .simenv import raw_config, sync_client

CHILD = textwrap.dedent("""
    import json, sys
    from vidbridge import PollPolicy, VideoClient
    from vidbridge.compat.openai import OpenAI, NotFoundError
    from vidbridge.config import parse_config
    raw, theirs = json.loads(sys.argv[1]), sys.argv[2]
    client = VideoClient(config=parse_config(raw), sleep=lambda s: None,
                         poll=PollPolicy(first=0.01, cap=0.01, jitter=0))
    with OpenAI(client=client, output_dir=sys.argv[3]) as api:
        seen = api.videos.retrieve(theirs)
        size = len(api.videos.download_content(theirs).read())
        mine = api.videos.create_and_poll(prompt="a second process", seconds="4",
                                          poll_interval_ms=10)
        listed = [v.id for v in api.videos.list()]
    print(json.dumps({"seen": seen.status, "bytes": size, "mine": mine.id, "listed": listed}))
""")


def _open(raw: dict[str, object], tmp: Path) -> OpenAI:
    return OpenAI(client=sync_client(parse_config(raw)), output_dir=tmp / "out")


def test_ids_survive_a_restart_and_are_shared_with_another_process(
        sim: str, tmp_path: Path) -> None:
    raw = raw_config(sim, tmp_path)
    with _open(raw, tmp_path) as first:
        video = first.videos.create_and_poll(prompt="a first process", seconds="4",
                                             poll_interval_ms=10)
        assert video.status == "completed"
    assert (tmp_path / "compat.sqlite3").exists()  # beside the ledger (tmp/jobs.sqlite3)
    with _open(raw, tmp_path) as restarted:  # a new process would build exactly this
        again = restarted.videos.retrieve(video.id)
        assert (again.status, again.expires_at) == ("completed", video.expires_at)
        original = restarted.videos.download_content(video.id).read()
    child = subprocess.run([sys.executable, "-c", CHILD, json.dumps(raw), video.id,
                            str(tmp_path / "out")], capture_output=True, text=True,
                           timeout=60, check=False)
    assert child.returncode == 0, child.stderr[-2000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["seen"] == "completed" and report["bytes"] == len(original)
    assert report["listed"][:2] == [report["mine"], video.id]  # newest first, both seen
    with _open(raw, tmp_path) as back:
        theirs = back.videos.retrieve(report["mine"])
        assert theirs.status == "completed" and theirs.prompt == "a second process"
        back.videos.delete(report["mine"])
    with _open(raw, tmp_path) as after, pytest.raises(compat.NotFoundError):
        after.videos.retrieve(report["mine"])


def test_compat_store_can_be_moved_or_kept_in_memory(sim: str, tmp_path: Path) -> None:
    moved = raw_config(sim, tmp_path, compat={"store": str(tmp_path / "elsewhere" / "v.db")})
    with _open(moved, tmp_path) as client:
        video = client.videos.create(prompt="moved", seconds="4")
        client.videos.poll(video.id, poll_interval_ms=10)
    assert (tmp_path / "elsewhere" / "v.db").exists()
    memory = raw_config(sim, tmp_path, compat={"store": ":memory:"})
    with _open(memory, tmp_path) as client:
        kept = client.videos.create_and_poll(prompt="memory", seconds="4", poll_interval_ms=10)
    with _open(memory, tmp_path) as client, pytest.raises(compat.NotFoundError):
        client.videos.retrieve(kept.id)


def test_retention_follows_the_gateway_setting(sim: str, tmp_path: Path) -> None:
    raw = raw_config(sim, tmp_path, gateway={"retention_s": 120})
    with _open(raw, tmp_path) as client:
        video = client.videos.create_and_poll(prompt="short-lived", seconds="4",
                                              poll_interval_ms=10)
    assert video.completed_at is not None and video.expires_at == video.completed_at + 120
