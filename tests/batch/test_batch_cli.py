"""`vidbridge batch`: every line validated first, results per line, resumable without a
second submit (counted upstream), and a line the ledger shows accepted is polled, not sent."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from vidbridge.batch import parse_lines, request_key, run_batch, run_with_progress
from vidbridge.errors import ConfigError
from vidbridge.simulator import SimulatorSettings
from vidbridge.simulator import create_app as create_simulator
from vidbridge.simulator import serve_in_thread as serve_simulator

from ..compat.simenv import Counter, async_client, config


@pytest.fixture(scope="module")
def sim() -> Iterator[str]:
    with serve_simulator(create_simulator(SimulatorSettings(fast=True, seed=5))) as base:
        yield base


def write_batch(tmp: Path, rows: list[dict[str, Any]]) -> Path:
    path = tmp / "renders.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


ROWS = [
    {"id": "a", "prompt": "a red kite over dunes", "duration": 5, "aspect_ratio": "16:9"},
    {"id": "b", "prompt": "a blue kite over snow", "duration": 7, "route": "kling-only"},
    {"prompt": "a green kite at dusk", "duration": 5},  # no id: line-3
]


def results(out: Path) -> dict[str, dict[str, Any]]:
    rows = [json.loads(raw) for raw in (out / "results.jsonl").read_text().splitlines()]
    return {row["id"]: row for row in rows}


def test_batch_writes_one_result_per_line_and_a_rerun_sends_nothing(sim: str,
                                                                     tmp_path: Path) -> None:
    cfg, counter = config(sim, tmp_path), Counter()
    file, out = write_batch(tmp_path, ROWS), tmp_path / "out"
    console = Console(file=open(tmp_path / "progress.txt", "w"), width=200)  # noqa: SIM115
    run = run_with_progress(file, out, None, 2, console, client=async_client(cfg, counter))
    console.file.close()
    got = results(out)
    assert set(got) == {"a", "b", "line-3"}
    assert all(row["status"] == "completed" for row in got.values()), got
    assert got["b"]["model"].startswith("kling:")
    assert got["b"]["adjustments"][0]["field"] == "duration"  # 7 s is not a Kling length
    assert all(Path(row["file"]).read_bytes()[4:8] == b"ftyp" for row in got.values())
    assert run.tally.spend_usd == pytest.approx(sum(r["cost_usd"] for r in got.values()))
    assert "done 3 · failed 0 · running 0 · queued 0" in (tmp_path / "progress.txt").read_text()
    submits = counter.count("POST", "/v1/")
    assert submits == 3

    again = run_with_progress(file, out, None, 2, Console(quiet=True),
                              client=async_client(cfg, counter))
    assert again.skipped == 3 and again.tally.total == 0
    assert counter.count("POST", "/v1/") == submits  # nothing sent twice


def test_a_line_accepted_before_a_crash_is_polled_not_resubmitted(sim: str,
                                                                  tmp_path: Path) -> None:
    cfg, counter = config(sim, tmp_path), Counter()
    out = tmp_path / "out"
    [line] = parse_lines(json.dumps({"id": "x", "prompt": "a crash mid-poll",
                                     "route": "kling-only", "duration": 5}))

    async def accept_only() -> Any:  # the first run: submit accepted, then the process died
        client = async_client(cfg, counter)
        try:
            return await client.submit(line.request, model="kling:kling-v2-6:std")
        finally:
            await client.aclose()

    job = asyncio.run(accept_only())
    with sqlite3.connect(cfg.ledger_path()) as db:  # key it as the crashed batch run did
        db.execute("UPDATE ledger SET request_key=? WHERE job_id=?",
                   (request_key(out, "x"), job.id))
    assert counter.count("POST", "/kling/") == 1

    async def rerun() -> Any:
        client = async_client(cfg, counter)
        try:
            return await run_batch(client, [line], out)
        finally:
            await client.aclose()

    run = asyncio.run(rerun())
    assert run.tally.done == 1, run.lines
    assert results(out)["x"]["job_id"] == job.id
    assert counter.count("POST", "/kling/") == 1  # polled by id, never sent again


def test_every_line_is_validated_before_anything_is_sent(tmp_path: Path) -> None:
    text = "\n".join([json.dumps({"id": "ok", "prompt": "fine"}),
                      json.dumps({"id": "bad", "prompt": "x", "duration": -3}),
                      "{not json",
                      json.dumps({"id": "ok", "prompt": "again"}),
                      json.dumps({"prompt": "both", "route": "a", "model": "b"})])
    with pytest.raises(ConfigError) as caught:
        parse_lines(text, "f.jsonl")
    message = str(caught.value)
    assert "line 2: duration" in message and "line 3: not JSON" in message
    assert "line 4: id 'ok' is used twice" in message and "line 5: give 'route'" in message


def no_http_client(tmp_path: Path) -> Any:
    import httpx

    from vidbridge import AsyncVideoClient
    from vidbridge.ledger import Ledger

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"HTTP before validation: {request.url}")

    cfg = config("http://127.0.0.1:9", tmp_path)
    return AsyncVideoClient(config=cfg, transport=httpx.MockTransport(refuse),
                            ledger=Ledger(cfg.ledger_path()))


def test_an_unknown_model_on_any_line_stops_the_batch_before_line_1_is_sent(
        tmp_path: Path) -> None:
    file = write_batch(tmp_path, [{"id": "one", "prompt": "a", "route": "kling-only"},
                                  {"id": "two", "prompt": "b", "model": "nosuch:model"},
                                  {"id": "three", "prompt": "c", "model": "kling:nosuch"}])
    with pytest.raises(ConfigError) as caught:
        run_with_progress(file, tmp_path / "out", None, 2, Console(quiet=True),
                          client=no_http_client(tmp_path))
    message = str(caught.value)
    assert message.startswith(f"{file}: line 2: ") and "nosuch" in message
    assert "line 3: " in message and "line 1" not in message
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_a_retired_model_on_a_line_stops_the_batch_before_line_1_is_sent(
        tmp_path: Path) -> None:
    file = write_batch(tmp_path, [{"id": "one", "prompt": "a", "route": "kling-only"},
                                  {"id": "two", "prompt": "b", "model": "sora:sora-2"}])
    with pytest.raises(ConfigError) as caught:
        run_with_progress(file, tmp_path / "out", None, 2, Console(quiet=True),
                          client=no_http_client(tmp_path))
    assert str(caught.value).startswith(f"{file}: line 2: sora:sora-2 is retired since ")
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_a_long_line_id_makes_a_short_file_name() -> None:
    from vidbridge.batch import _safe

    name = _safe("a" * 300)
    assert len(name) <= 89 and name.startswith("a" * 80)
    assert _safe("a" * 300) != _safe("a" * 301)


def test_a_batch_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    file = tmp_path / "renders.jsonl"
    file.write_bytes(b'\xff\xfe{"prompt": "a"}\n')
    with pytest.raises(ConfigError, match=f"batch file {file}: not UTF-8"):
        run_with_progress(file, None, None, 1, Console(quiet=True),
                          client=no_http_client(tmp_path))


def test_an_output_folder_that_is_a_file_is_named(tmp_path: Path) -> None:
    file = tmp_path / "renders"  # no .jsonl: the default folder would be the file itself
    file.write_text(json.dumps({"prompt": "a", "route": "kling-only"}) + "\n")
    with pytest.raises(ConfigError, match=f"output folder {file} is a file; name a folder"):
        run_with_progress(file, None, None, 1, Console(quiet=True),
                          client=no_http_client(tmp_path))
