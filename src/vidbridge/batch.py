"""Batch render queues: one request per JSONL line, resumable, never submitting a line twice.

Each line is a JSON object of ``VideoRequest`` fields plus an optional ``id`` and an optional
``route`` or ``model`` (a route, an alias or ``provider:model``). Every line is validated
before anything is sent, so a typo on line 400 stops the batch before line 1 costs money.

A line's ledger key is derived from the output folder and the line id, so running the same
file into the same folder again resumes it: a line with a result is skipped, a line the
ledger shows accepted is polled by its job id (never resubmitted), a line whose submit may
have landed is reported failed (not sent blindly), and only a line no provider ever saw is
submitted. Results go to ``results.jsonl`` in the output folder, one object per line id,
appended as each line ends (a crash loses no finished line).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .errors import ConfigError
from .models import VideoRequest, VideoResult

if TYPE_CHECKING:
    from .client import AsyncVideoClient

RESULTS = "results.jsonl"
TARGET_FIELDS = ("route", "model")
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class Line:
    """One validated batch line."""

    number: int
    id: str
    request: VideoRequest
    target: str | None


@dataclass
class Tally:
    """What the progress bar shows."""

    total: int
    done: int = 0
    failed: int = 0
    running: int = 0
    spend_usd: float = 0.0

    @property
    def queued(self) -> int:
        return self.total - self.done - self.failed - self.running

    def describe(self) -> str:
        return (f"done {self.done} · failed {self.failed} · running {self.running} · "
                f"queued {self.queued} · spent ${self.spend_usd:.2f}")


@dataclass
class BatchRun:
    """The outcome of one ``run_batch`` call."""

    results: Path
    tally: Tally
    skipped: int = 0  # lines already finished by an earlier run
    lines: list[dict[str, Any]] = field(default_factory=list)


def parse_lines(text: str, source: str = "<batch>") -> list[Line]:
    """Every line validated; ``ConfigError`` naming the line and field otherwise."""
    lines: list[Line] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            fields = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(fields, dict):
            problems.append(f"line {number}: expected a JSON object, got "
                            f"{type(fields).__name__}")
            continue
        line_id = fields.pop("id", None)
        line_id = f"line-{number}" if line_id is None else line_id
        if not isinstance(line_id, str | int) or isinstance(line_id, bool) or not str(line_id):
            problems.append(f"line {number}: 'id' must be a non-empty string")
            continue
        line_id = str(line_id)
        if line_id in seen:
            problems.append(f"line {number}: id {line_id!r} is used twice")
            continue
        seen.add(line_id)
        targets = [fields.pop(name) for name in TARGET_FIELDS if name in fields]
        if len(targets) > 1:
            problems.append(f"line {number}: give 'route' or 'model', not both")
            continue
        target = targets[0] if targets else None
        if target is not None and not isinstance(target, str):
            problems.append(f"line {number}: 'route'/'model' must be a string")
            continue
        try:
            request = VideoRequest.model_validate(fields)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or "request"
            problems.append(f"line {number}: {where}: {error['msg']}")
            continue
        lines.append(Line(number, line_id, request, target))
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ConfigError(f"{source}: " + "; ".join(problems[:5]) + more)
    if not lines:
        raise ConfigError(f"{source}: no requests (one JSON object per line)")
    return lines


def check_targets(core: Any, lines: Iterable[Line], source: str = "<batch>") -> None:
    """Every line's ``model`` resolves to a plan (a route is checked when it runs), with no
    HTTP: a misspelt model on line 400 stops the batch before line 1 costs money."""
    from .errors import CapabilityError

    problems = []
    for line in lines:
        if line.target is None:
            if core.config is None or not core.config.routes:
                problems.append(f"line {line.number}: no 'route' or 'model', and no config "
                                "with a default route")
            continue
        if core.is_route(line.target):
            continue
        try:
            core.plan(line.request, line.target)
        except (ConfigError, CapabilityError) as exc:
            problems.append(f"line {line.number}: {exc}")
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ConfigError(f"{source}: " + "; ".join(problems[:5]) + more)


def request_key(out_dir: Path, line_id: str) -> str:
    """The ledger key of one line in one batch folder: stable across runs, unique across
    folders (so two batches using the same ids never adopt each other's jobs)."""
    digest = hashlib.sha256(f"{out_dir.resolve()}\0{line_id}".encode()).hexdigest()
    return f"batch_{digest[:24]}"


def finished_ids(results: Path) -> dict[str, dict[str, Any]]:
    """Lines an earlier run already ended (a torn last line from a crash is ignored)."""
    done: dict[str, dict[str, Any]] = {}
    if not results.exists():
        return done
    for raw in results.read_text().splitlines():
        try:
            row = json.loads(raw)
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("status") in ("completed", "failed"):
            done[str(row.get("id"))] = row
    return done


async def run_batch(client: AsyncVideoClient, lines: Iterable[Line], out_dir: Path, *,
                    concurrency: int = DEFAULT_CONCURRENCY,
                    on_change: Callable[[Tally], None] | None = None) -> BatchRun:
    """Run every line not yet finished in ``out_dir``; returns the tally and results path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / RESULTS
    earlier = finished_ids(results)
    todo = [line for line in lines if line.id not in earlier]
    tally = Tally(total=len(todo))
    run = BatchRun(results, tally, skipped=len(earlier))
    gate = asyncio.Semaphore(max(1, concurrency))
    writing = asyncio.Lock()
    tell = on_change or (lambda _tally: None)
    tell(tally)

    async def one(line: Line) -> None:
        async with gate:
            tally.running += 1
            tell(tally)
            row = await _run_line(client, line, out_dir)
            tally.running -= 1
            if row["status"] == "completed":
                tally.done += 1
                tally.spend_usd += row.get("cost_usd") or 0.0
            else:
                tally.failed += 1
            async with writing:  # one whole line per write: a crash tears at most the last
                with results.open("a") as handle:
                    handle.write(json.dumps(row) + "\n")
            run.lines.append(row)
            tell(tally)

    await asyncio.gather(*(one(line) for line in todo))
    return run


async def _run_line(client: AsyncVideoClient, line: Line, out_dir: Path) -> dict[str, Any]:
    key = request_key(out_dir, line.id)
    target = out_dir / f"{_safe(line.id)}.mp4"
    row: dict[str, Any] = {"id": line.id, "line": line.number}
    try:
        result = await _generate_once(client, line, key, target)
    except Exception as exc:  # every failure is that line's result, never the batch's end
        attempts = getattr(exc, "attempts", ())
        last = attempts[-1] if attempts else None
        row |= {"status": "failed", "model": f"{last.provider}:{last.model}" if last else None,
                "error": {"kind": _kind(exc), "message": str(exc)}}
        return row
    plan = result.plan
    row |= {"status": "completed", "model": f"{result.job.provider}:{result.job.model}",
            "job_id": result.job.id,
            "adjustments": [a.model_dump(mode="json") for a in plan.adjustments] if plan else [],
            "cost_usd": plan.estimated_cost_usd if plan else None,
            "file": str(result.path) if result.path else None}
    return row


async def _generate_once(client: AsyncVideoClient, line: Line, key: str,
                         target: Path) -> VideoResult:
    """Run the line under its stable request key: the ledger's rows for that key decide
    (a finished file is returned, an accepted job polled, an unanswered submit looked up,
    never resent), so a re-run of the batch pays for nothing twice."""
    return await client.generate(line.request, model=line.target, output=target,
                                 request_id=key)


def _kind(exc: BaseException) -> str:
    from .errors import error_kind

    return error_kind(exc) or type(exc).__name__


def _safe(line_id: str) -> str:
    """A file name from a line id (ids are the user's; never let one escape the folder)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in line_id).strip(".")
    digest = hashlib.sha256(line_id.encode()).hexdigest()[:8]
    changed = cleaned != line_id or not cleaned or len(cleaned) > 80  # 80: below NAME_MAX
    return cleaned[:80] + "-" + digest if changed else cleaned


def run_with_progress(file: Path, out_dir: Path | None, config: Path | None,
                      concurrency: int, console: Any,
                      client: AsyncVideoClient | None = None) -> BatchRun:
    """The ``vidbridge batch`` command: validate, run with a Rich progress bar, summarise.

    ``client`` replaces the one built from ``config`` (tests inject fast polling)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .client import AsyncVideoClient

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the batch file {file}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read the batch file {file}: not UTF-8 text (byte "
                          f"{exc.start}); JSONL files are UTF-8") from None
    lines = parse_lines(text, str(file))
    out_dir = out_dir or file.with_suffix("")
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"the batch output folder {out_dir} is a file; name a folder with "
                          "--out")
    client = client or AsyncVideoClient.from_config(config)
    try:
        check_targets(client.core, lines, str(file))
    except ConfigError:
        asyncio.run(client.aclose())
        raise

    progress = Progress(TextColumn("[bold]batch"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), console=console, transient=False)
    task = progress.add_task("", total=len(lines))

    def show(tally: Tally) -> None:
        progress.update(task, completed=tally.done + tally.failed + skipped,
                        description=tally.describe())

    skipped = len(finished_ids(out_dir / RESULTS).keys() & {line.id for line in lines})

    async def main() -> BatchRun:
        try:
            return await run_batch(client, lines, out_dir, concurrency=concurrency,
                                   on_change=show)
        finally:
            await client.aclose()

    with progress:
        run = asyncio.run(main())
    return run
