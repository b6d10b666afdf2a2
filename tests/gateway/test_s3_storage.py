"""Finished videos on S3 (``[gateway] output_dir = "s3://..."``), against a real S3 API on
loopback: moto's server mode, a separate HTTP server that s3fs talks to like AWS.

One worker makes the video and publishes it; a second worker on the same database serves it,
streamed from S3 (it never stages a copy). A multipart upload is invisible until it is
complete, and one that fails is aborted. Credentials come from the environment and appear in
no log line and no database row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from vidbridge import storage
from vidbridge.storage import (
    CHUNK_BYTES,
    UPLOAD_PART_BYTES,
    RemoteStorage,
    StorageError,
    open_storage,
)

from .conftest import KEY, gateway

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")
SECRET = "s3-secret-canary-7f3a9c"  # the AWS secret key the test environment carries
BUCKET = "vidbridge-test"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (ephemeral port) and the AWS environment pointing at
    it; yields the endpoint."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"AWS_ACCESS_KEY_ID": "AKIDVIDBRIDGETEST",
                            "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1",
                            "AWS_ENDPOINT_URL": endpoint}.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        import boto3

        boto3.client("s3").create_bucket(Bucket=BUCKET)
        try:
            yield endpoint
        finally:
            server.stop()


def _objects(prefix: str) -> dict[str, int]:
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"]: item["Size"] for item in listed.get("Contents", [])}


def test_one_worker_publishes_to_s3_and_another_streams_it(
        s3: str, sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the staging folder
    caplog.set_level(logging.DEBUG)
    url = f"s3://{BUCKET}/{tmp_path.name}/videos"
    with gateway(sim, tmp_path, output_dir=url) as first:
        client = openai.OpenAI(base_url=first.v1, api_key=KEY, max_retries=0)
        video = client.videos.create_and_poll(model="sora-2", prompt="gulls over a pier",
                                              seconds="4", size="1280x720")
        assert video.status == "completed", video.error
    stored = _objects(f"{tmp_path.name}/videos/")
    assert list(stored) == [f"{tmp_path.name}/videos/{video.id}.mp4"]
    staging = tmp_path / "cache" / "vidbridge" / "staging"
    assert not list(staging.rglob("*.mp4"))  # published, and the local copy removed

    with gateway(sim, tmp_path, output_dir=url) as second:  # the same database, no local file
        client = openai.OpenAI(base_url=second.v1, api_key=KEY, max_retries=0)
        with client.with_streaming_response.videos.download_content(video.id) as response:
            assert response.headers["content-length"] == str(stored[next(iter(stored))])
            body = b"".join(response.iter_bytes())
    assert body[4:8] == b"ftyp" and len(body) == stored[next(iter(stored))]
    assert not (staging / "served").exists()  # streamed from S3, not copied here first
    with gateway(sim, tmp_path, output_dir=url) as third:  # the dashboard's view of it
        from vidbridge.gateway.dashboard.queries import DashboardData

        data = DashboardData(third.app.state.ops.usage, third.app.state.service, None)  # type: ignore[arg-type]
        assert data.job_row({"video_id": video.id, "status": ""}).has_video
    assert SECRET not in caplog.text
    for database in tmp_path.glob("*.sqlite3"):
        assert SECRET.encode() not in database.read_bytes()


def _staged(remote: RemoteStorage, video_id: str, size: int) -> Path:
    local = remote.staging_path(video_id)
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(b"v" * size)
    return local


def test_a_multipart_upload_is_invisible_until_complete_and_aborted_on_failure(
        s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote = open_storage(f"s3://{BUCKET}/{tmp_path.name}", tmp_path / "staging")
    assert isinstance(remote, RemoteStorage) and not remote.renames
    size = 2 * UPLOAD_PART_BYTES + 4 * CHUNK_BYTES + 7  # a multipart upload of 3 parts
    local = _staged(remote, "video_big", size)
    key = f"{tmp_path.name}/video_big.mp4"
    seen_midway: list[dict[str, int]] = []
    writes: list[int] = []
    copy = storage.copy_chunks

    def watching(source: Any, out: Any, chunk: int = CHUNK_BYTES) -> int:
        original = out.write

        def write(data: bytes) -> int:
            writes.append(len(data))
            if len(writes) == 2 * UPLOAD_PART_BYTES // CHUNK_BYTES + 1:  # 2 parts sent
                seen_midway.append(_objects(key))
            return int(original(data))

        out.write = write
        return copy(source, out, chunk)

    monkeypatch.setattr(storage, "copy_chunks", watching)
    ref = remote.publish("video_big", local)
    assert seen_midway == [{}]  # parts uploaded, no object yet
    assert max(writes) <= CHUNK_BYTES and len(writes) == -(-size // CHUNK_BYTES)
    assert ref == f"s3://{BUCKET}/{key}" and _objects(key) == {key: size}
    assert sum(len(chunk) for chunk in remote.chunks(ref)) == size

    def failing(source: Any, out: Any, chunk: int = CHUNK_BYTES) -> int:
        for _ in range(2 * UPLOAD_PART_BYTES // CHUNK_BYTES + 1):  # 2 parts uploaded
            out.write(source.read(chunk))
        raise OSError("connection reset")

    monkeypatch.setattr(storage, "copy_chunks", failing)
    local = _staged(remote, "video_lost", size)
    with pytest.raises(StorageError, match=r"storing video_lost .* failed \(OSError\)"):
        remote.publish("video_lost", local)
    import boto3

    uploads = boto3.client("s3").list_multipart_uploads(Bucket=BUCKET, Prefix=tmp_path.name)
    assert _objects(f"{tmp_path.name}/video_lost") == {}
    assert not uploads.get("Uploads")  # aborted, not left to bill for its parts
    assert local.exists()  # kept for the next attempt


def test_a_durable_workflow_publishes_its_download_to_s3(
        s3: str, sim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dbos")
    from ..compat.simenv import Counter
    from ..scale.test_durable_gateway import durable_gateway

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url = f"s3://{BUCKET}/{tmp_path.name}/durable"
    with durable_gateway(sim, tmp_path, Counter(), f"sqlite:///{tmp_path}/dbos.sqlite3",
                         output_dir=url) as (client, _app):
        video = client.videos.create(model="sora-2", prompt="a tide pool", seconds="4",
                                     size="1280x720")
        done = client.videos.poll(video.id, poll_interval_ms=10)
        assert done.status == "completed", done.error
        body = client.videos.download_content(video.id).read()
    key = f"{tmp_path.name}/durable/{video.id}.mp4"
    assert _objects(key) == {key: len(body)} and body[4:8] == b"ftyp"
    assert not list((tmp_path / "cache").rglob("*.mp4"))  # nothing left in staging
