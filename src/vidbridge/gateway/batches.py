"""The OpenAI Batch API shape over the gateway's videos, so existing batch code keeps its calls.

``POST /v1/files`` (``purpose=batch``) stores a JSONL file; ``POST /v1/batches`` with
``endpoint="/v1/videos"`` validates every line first (``{"custom_id", "method": "POST",
"url": "/v1/videos", "body": {prompt, model, seconds, size}}``) and then feeds the lines to
the same create path as ``POST /v1/videos`` (so each line is a video, on the provider queues
when jobs are durable). A line refused for the key's concurrency cap waits for a free slot
instead of failing: a batch is a queue. ``GET /v1/batches/{id}`` counts the lines' videos;
once all ended it writes the output file (one line per request: the final Video object as
the response body), readable at ``GET /v1/files/{id}/content``.

Files and batches live in the gateway database (SQLite, or the workers' PostgreSQL), so any
worker answers reads. The task feeding a batch's lines runs in the worker that accepted it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import _sql
from ..compat import _errors as e
from .bodies import parse_json_object

log = logging.getLogger("vidbridge.gateway.batches")

ENDPOINT = "/v1/videos"
MAX_FILE_BYTES = 50 * 1024 * 1024  # OpenAI's batch input limit was 200 MB; videos need less
MAX_LINES = 10_000
BODY_FIELDS = ("prompt", "model", "seconds", "size")
SLOT_WAIT_S = 0.5  # how long a line waits before retrying a full concurrency cap
SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_files (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    purpose TEXT NOT NULL,          -- batch (input) | batch_output
    filename TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    content BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    input_file_id TEXT NOT NULL,
    completion_window TEXT NOT NULL,
    metadata TEXT,
    total INTEGER NOT NULL,
    output_file_id TEXT,
    created_at INTEGER NOT NULL,
    completed_at INTEGER
);
CREATE TABLE IF NOT EXISTS batch_lines (
    batch_id TEXT NOT NULL,
    line INTEGER NOT NULL,
    custom_id TEXT NOT NULL,
    body TEXT NOT NULL,
    video_id TEXT,                  -- set once the line's video is created
    error TEXT,                     -- a create refusal, as {"code", "message"}
    PRIMARY KEY (batch_id, line)
);
"""
View = Any  # AsyncVideos for one owner
Handler = Callable[[Request, View], Awaitable[Response]]


class Batches:
    """The files and batches tables, and the tasks feeding accepted batches."""

    def __init__(self, location: str) -> None:
        self.db = _sql.open_with(location, SCHEMA, "batch store")
        self.tasks: set[asyncio.Task[None]] = set()

    # -- files ---------------------------------------------------------------------------------
    def add_file(self, owner: str, filename: str, content: bytes, purpose: str) -> dict[str, Any]:
        file_id = "file-" + secrets.token_hex(12)
        now = int(time.time())
        self.db.execute("INSERT INTO batch_files (id, owner, purpose, filename, bytes, content,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (file_id, owner, purpose, filename, len(content), content, now))
        return _file_object(file_id, purpose, filename, len(content), now)

    def file(self, owner: str, file_id: str) -> tuple[dict[str, Any], bytes]:
        row = self.db.execute("SELECT purpose, filename, bytes, created_at, content FROM "
                              "batch_files WHERE id=? AND owner=?", (file_id, owner)).fetchone()
        if row is None:
            raise e.NotFoundError(f"No such File object: {file_id}", param="id")
        return _file_object(file_id, *row[:4]), bytes(row[4])

    # -- batches -------------------------------------------------------------------------------
    def create(self, owner: str, body: dict[str, Any]) -> str:
        endpoint = body.get("endpoint")
        if endpoint != ENDPOINT:
            raise e.BadRequestError(f"Invalid 'endpoint': this gateway batches only "
                                    f"'{ENDPOINT}', not {endpoint!r}.", param="endpoint",
                                    code="invalid_value")
        window = body.get("completion_window", "24h")
        if window != "24h":
            raise e.BadRequestError("Invalid 'completion_window': only '24h' is supported.",
                                    param="completion_window", code="invalid_value")
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise e.BadRequestError("Invalid 'metadata': expected an object.",
                                    param="metadata", code="invalid_type")
        file_id = body.get("input_file_id")
        if not isinstance(file_id, str):
            raise e.BadRequestError("Missing required parameter: 'input_file_id'.",
                                    param="input_file_id", code="missing_required_parameter")
        info, content = self.file(owner, file_id)
        if info["purpose"] != "batch":
            raise e.BadRequestError(f"File {file_id} has purpose {info['purpose']!r}, not "
                                    "'batch'.", param="input_file_id", code="invalid_value")
        lines = parse_input(content)
        batch_id = "batch_" + secrets.token_hex(12)
        self.db.execute("INSERT INTO batches (id, owner, input_file_id, completion_window, "
                        "metadata, total, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (batch_id, owner, file_id, window,
                         json.dumps(metadata) if metadata else None, len(lines),
                         int(time.time())))
        for number, (custom_id, fields) in enumerate(lines):
            self.db.execute("INSERT INTO batch_lines (batch_id, line, custom_id, body) VALUES "
                            "(?, ?, ?, ?)", (batch_id, number, custom_id, json.dumps(fields)))
        return batch_id

    def start(self, batch_id: str, view: View) -> None:
        task = asyncio.create_task(self.feed(batch_id, view), name=f"vidbridge-{batch_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def feed(self, batch_id: str, view: View) -> None:
        """Create each line's video in order, waiting for a slot when the key is at its cap."""
        rows = self.db.execute("SELECT line, body FROM batch_lines WHERE batch_id=? AND "
                               "video_id IS NULL AND error IS NULL ORDER BY line",
                               (batch_id,)).fetchall()
        for line, body in rows:
            fields = json.loads(body)
            while True:
                try:
                    video = await view.create(**{k: fields.get(k) for k in BODY_FIELDS})
                except e.RateLimitError:
                    await asyncio.sleep(SLOT_WAIT_S)  # the key's cap: wait for a free slot
                    continue
                except e.APIStatusError as exc:
                    self._fail_line(batch_id, line, exc.to_body()["error"])
                    break
                except Exception:  # a bug of ours: this line fails, the batch goes on
                    log.exception("%s: line %d could not be created", batch_id, line)
                    self._fail_line(batch_id, line, {
                        "code": "internal_error", "param": None, "type": "server_error",
                        "message": "The gateway had an error while creating this request's "
                                   "video."})
                    break
                self.db.execute("UPDATE batch_lines SET video_id=? WHERE batch_id=? AND line=?",
                                (video.id, batch_id, line))
                break

    def _fail_line(self, batch_id: str, line: int, error: dict[str, Any]) -> None:
        self.db.execute("UPDATE batch_lines SET error=? WHERE batch_id=? AND line=?",
                        (json.dumps(error), batch_id, line))

    def resume(self, view_for: Callable[[str], View]) -> int:
        """Feed the batches a stopped worker left part-fed (their lines not yet created)."""
        rows = self.db.execute("SELECT DISTINCT b.id, b.owner FROM batches b JOIN batch_lines "
                               "l ON l.batch_id = b.id WHERE l.video_id IS NULL AND l.error "
                               "IS NULL").fetchall()
        for batch_id, owner in rows:
            self.start(batch_id, view_for(owner))
        return len(rows)

    async def view(self, owner: str, batch_id: str, videos: View) -> dict[str, Any]:
        row = self.db.execute("SELECT input_file_id, completion_window, metadata, total, "
                              "output_file_id, created_at, completed_at FROM batches WHERE id=? "
                              "AND owner=?", (batch_id, owner)).fetchone()
        if row is None:
            raise e.NotFoundError(f"No such Batch object: {batch_id}", param="batch_id")
        input_id, window, metadata, total, output_id, created, completed_at = row
        lines = self.db.execute("SELECT custom_id, video_id, error FROM batch_lines WHERE "
                                "batch_id=? ORDER BY line", (batch_id,)).fetchall()
        done, failed, results = 0, 0, []
        for custom_id, video_id, error in lines:
            if error is not None:
                failed += 1
                results.append({"custom_id": custom_id, "response": None,
                                "error": json.loads(error)})
                continue
            if video_id is None:
                continue
            video = await videos.retrieve(video_id)
            if video.status == "completed":
                done += 1
            elif video.status == "failed":
                failed += 1
            else:
                continue
            results.append({"custom_id": custom_id, "error": None,
                            "response": {"status_code": 200,
                                         "request_id": "req_" + secrets.token_hex(12),
                                         "body": video.to_wire()}})
        status = "in_progress"
        if done + failed == total:
            status = "completed"
            if output_id is None:
                output_id, completed_at = self._write_output(owner, batch_id, results)
        return {"id": batch_id, "object": "batch", "endpoint": ENDPOINT, "errors": None,
                "input_file_id": input_id, "completion_window": window, "status": status,
                "output_file_id": output_id, "error_file_id": None, "created_at": created,
                "in_progress_at": created, "expires_at": created + 24 * 3600,
                "finalizing_at": completed_at, "completed_at": completed_at,
                "failed_at": None, "expired_at": None, "cancelling_at": None,
                "cancelled_at": None,
                "request_counts": {"total": total, "completed": done, "failed": failed},
                "metadata": json.loads(metadata) if metadata else None}

    def _write_output(self, owner: str, batch_id: str,
                      results: list[dict[str, Any]]) -> tuple[str, int]:
        content = "".join(json.dumps({"id": f"batch_req_{n:06d}_{batch_id[6:]}", **result})
                          + "\n" for n, result in enumerate(results)).encode()
        made = self.add_file(owner, f"{batch_id}_output.jsonl", content, "batch_output")
        now = int(time.time())
        self.db.execute("UPDATE batches SET output_file_id=?, completed_at=? WHERE id=? AND "
                        "output_file_id IS NULL", (made["id"], now, batch_id))
        row = self.db.execute("SELECT output_file_id, completed_at FROM batches WHERE id=?",
                              (batch_id,)).fetchone()
        return str(row[0]), int(row[1])  # another worker may have written it first

    def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()


def parse_input(content: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Every line of a batch input file, or a 400 naming the first bad line."""
    try:
        text = content.decode()
    except UnicodeDecodeError:
        raise e.BadRequestError("The batch input file is not UTF-8 text.",
                                param="input_file_id", code="invalid_file") from None
    lines: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    # JSONL lines end at "\n" only: str.splitlines() also cuts at U+2028, U+0085, \x1c...,
    # which JSON strings may hold as they are.
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        row: Any = None
        try:  # the request bodies' own limits: depth, numbers, lone surrogates
            row = parse_json_object(raw.encode())
            problem = _problem(row, seen)
        except e.BadRequestError as exc:
            problem = _problem(None, seen) if exc.code == "invalid_json" else exc.message
        if problem:
            raise e.BadRequestError(f"Line {number} of the batch input file: {problem}",
                                    param="input_file_id", code="invalid_request")
        seen.add(row["custom_id"])
        lines.append((row["custom_id"], {k: row["body"].get(k) for k in BODY_FIELDS}))
        if len(lines) > MAX_LINES:
            raise e.BadRequestError(f"A batch holds at most {MAX_LINES} requests.",
                                    param="input_file_id", code="invalid_request")
    if not lines:
        raise e.BadRequestError("The batch input file has no requests.",
                                param="input_file_id", code="invalid_request")
    return lines


def _problem(row: Any, seen: set[str]) -> str | None:
    if not isinstance(row, dict):
        return "not a JSON object."
    custom_id = row.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return "'custom_id' must be a non-empty string."
    if custom_id in seen:
        return f"custom_id {custom_id!r} is used twice."
    if row.get("method", "POST") != "POST" or row.get("url") != ENDPOINT:
        return f"each request must be POST {ENDPOINT}."
    body = row.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
        return "'body' must be an object with a 'prompt'."
    unknown = sorted(set(body) - set(BODY_FIELDS))
    if unknown:
        return f"'body' has unsupported field(s) {', '.join(unknown)}; allowed: " \
               f"{', '.join(BODY_FIELDS)}."
    return None


def _file_object(file_id: str, purpose: str, filename: str, size: int,
                 created: int) -> dict[str, Any]:
    return {"id": file_id, "object": "file", "bytes": size, "created_at": created,
            "filename": filename, "purpose": purpose, "status": "processed",
            "expires_at": None, "status_details": None}


# --- the routes ----------------------------------------------------------------------------------

def routes(batches: Batches, endpoint: Callable[[Handler], Any],
           owner_of: Callable[[View], str]) -> list[Route]:
    """``/v1/files`` and ``/v1/batches`` behind the gateway's own key check (``endpoint``)."""

    async def upload(request: Request, view: View) -> Response:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise e.BadRequestError("Upload the file as multipart/form-data.", param="file",
                                    code="invalid_request")
        form = await request.form(max_files=1, max_fields=4,
                                  max_part_size=MAX_FILE_BYTES)
        purpose, upload_ = form.get("purpose"), form.get("file")
        if purpose != "batch":
            given = repr(purpose) if not isinstance(purpose, UploadFile) else "a file part"
            raise e.BadRequestError(f"Invalid 'purpose': this gateway accepts 'batch' files "
                                    f"only, not {given}.", param="purpose",
                                    code="invalid_value")
        if not isinstance(upload_, UploadFile):
            raise e.BadRequestError("Missing required parameter: 'file'.", param="file",
                                    code="missing_required_parameter")
        content = await upload_.read()
        if len(content) > MAX_FILE_BYTES:
            raise e.BadRequestError(f"The file is over {MAX_FILE_BYTES} bytes.", param="file",
                                    code="file_too_large")
        return JSONResponse(batches.add_file(owner_of(view), upload_.filename or "input.jsonl",
                                             content, "batch"))

    async def file_content(request: Request, view: View) -> Response:
        _info, content = batches.file(owner_of(view), request.path_params["file_id"])
        return Response(content, media_type="application/jsonl")

    async def retrieve_file(request: Request, view: View) -> Response:
        info, _content = batches.file(owner_of(view), request.path_params["file_id"])
        return JSONResponse(info)

    async def create(request: Request, view: View) -> Response:
        body = parse_json_object(await request.body())
        batch_id = batches.create(owner_of(view), body)
        batches.start(batch_id, view)
        return JSONResponse(await batches.view(owner_of(view), batch_id, view))

    async def retrieve(request: Request, view: View) -> Response:
        return JSONResponse(await batches.view(owner_of(view), request.path_params["batch_id"],
                                               view))

    return [Route("/v1/files", endpoint(upload), methods=["POST"]),
            Route("/v1/files/{file_id}", endpoint(retrieve_file), methods=["GET"]),
            Route("/v1/files/{file_id}/content", endpoint(file_content), methods=["GET"]),
            Route("/v1/batches", endpoint(create), methods=["POST"]),
            Route("/v1/batches/{batch_id}", endpoint(retrieve), methods=["GET"])]
