"""The OpenAI Batch API shape (files + batches, endpoint /v1/videos) with the official SDK."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import openai
import pytest

from ..compat.simenv import Counter
from ..gateway.conftest import KEY, gateway


def batch_file(count: int) -> bytes:
    return "".join(json.dumps({"custom_id": f"req-{n}", "method": "POST", "url": "/v1/videos",
                               "body": {"model": "sora-2", "prompt": f"a kite, take {n}",
                                        "seconds": "4", "size": "1280x720"}}) + "\n"
                   for n in range(count)).encode()


def wait_for(client: openai.OpenAI, batch_id: str) -> object:
    deadline = time.monotonic() + 60
    while True:
        batch = client.batches.retrieve(batch_id)
        if batch.status == "completed":
            return batch
        assert time.monotonic() < deadline, batch.request_counts
        time.sleep(0.05)


def test_a_batch_of_videos_through_the_official_sdk(sim: str, tmp_path: Path) -> None:
    counter = Counter()
    # Over the key's concurrency cap (2): the batch queues the rest instead of failing them.
    with gateway(sim, tmp_path, counter=counter,
                 gateway_table={"max_concurrent_per_key": 2}) as running:
        client = openai.OpenAI(base_url=running.v1, api_key=KEY, max_retries=0)
        upload = client.files.create(file=("renders.jsonl", io.BytesIO(batch_file(7))),
                                     purpose="batch")
        assert upload.purpose == "batch" and upload.bytes > 0
        batch = client.batches.create(input_file_id=upload.id,
                                      endpoint="/v1/videos",  # type: ignore[arg-type]
                                      completion_window="24h", metadata={"team": "a"})
        assert batch.status == "in_progress" and batch.request_counts.total == 7
        done = wait_for(client, batch.id)
        assert done.request_counts.completed == 7 and done.metadata == {"team": "a"}
        assert done.output_file_id
        lines = [json.loads(raw) for raw in
                 client.files.content(done.output_file_id).text.splitlines()]
        assert sorted(line["custom_id"] for line in lines) == [f"req-{n}" for n in range(7)]
        video_id = lines[0]["response"]["body"]["id"]
        assert lines[0]["response"]["body"]["status"] == "completed"
        assert client.videos.download_content(video_id).read()[4:8] == b"ftyp"
        other = openai.OpenAI(base_url=running.v1, api_key="gw-test-key-bob", max_retries=0)
        with pytest.raises(openai.NotFoundError):  # another key's batch does not exist
            other.batches.retrieve(batch.id)
    assert counter.count("POST", "/runway/v1/") == 7  # one submit per line


def test_a_bad_line_or_endpoint_is_refused_before_anything_runs(sim: str,
                                                                tmp_path: Path) -> None:
    counter = Counter()
    with gateway(sim, tmp_path, counter=counter) as running:
        client = openai.OpenAI(base_url=running.v1, api_key=KEY, max_retries=0)
        bad = batch_file(2) + b'{"custom_id": "x", "url": "/v1/chat/completions", "body": {}}\n'
        upload = client.files.create(file=("bad.jsonl", io.BytesIO(bad)), purpose="batch")
        with pytest.raises(openai.BadRequestError, match="Line 3"):
            client.batches.create(input_file_id=upload.id, endpoint="/v1/videos",  # type: ignore[arg-type]
                                  completion_window="24h")
        with pytest.raises(openai.BadRequestError, match="endpoint"):
            client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions",
                                  completion_window="24h")
        with pytest.raises(openai.BadRequestError, match="purpose"):
            client.files.create(file=("x.jsonl", io.BytesIO(b"{}")), purpose="fine-tune")
    assert counter.calls == []
