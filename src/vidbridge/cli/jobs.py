"""``jobs``: the ledger's open rows (jobs to finish, submits without an answer) and their
reconciliation. States and transitions are documented in ``vidbridge.ledger``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from .app import group
from .failures import CliError
from .output import ConfigOption, JsonOption, client_for, console, emit, say

jobs_app = group("jobs", "The job ledger: jobs to finish and submits without an answer.")


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


@jobs_app.command("list")
def jobs_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Jobs accepted but not finished, submits that may have been accepted, stale parts."""
    from ..files import STALE_PART_AGE_S, leftover_parts

    ledger = client_for(config).core.ledger
    now = time.time()
    unanswered = {entry.key for entry in ledger.unanswered()}
    rows: list[dict[str, Any]] = []
    for entry in ledger.open():
        if entry.state == "intent" and entry.key not in unanswered:
            continue  # a live process is waiting for this answer right now
        job = ledger.live(entry)
        uncertain = entry.key in unanswered
        rows.append({"key": entry.key, "state": "uncertain" if uncertain else entry.state,
                     "provider": entry.provider, "model": entry.model,
                     "id": entry.job_id, "status": job.status if job else None,
                     "request_key": entry.request_key, "credential": entry.credential,
                     "created": entry.created, "error": entry.error})
    folders = {Path(path).parent for path in ledger.paths()}
    parts = [str(path) for folder in sorted(folders) for path in leftover_parts(folder, now)]

    def lines() -> str:
        out = []
        for row in rows:
            since = _age(now - row["created"])
            if row["state"] == "uncertain":
                out.append(f"uncertain {row['key']} {row['provider']}:{row['model']} request "
                           f"{row['request_key']} ({since} ago): may exist upstream; "
                           f"`vidbridge jobs reconcile {row['key']} --adopt ID | --abandon`")
            else:
                out.append(f"{row['state']:<9} {row['key']} {row['provider']}:{row['model']} "
                           f"{row['id']} ({row['status']}, {since} ago) "
                           f"credential={row['credential']}: `vidbridge resume {row['key']}`")
        if parts:
            out.append(f"{len(parts)} part file(s) no download will finish (their writer is "
                       f"gone, or untouched for {_age(STALE_PART_AGE_S)}; removed at the next "
                       "write in their folder): " + ", ".join(parts))
        return "\n".join(out) or "no jobs"

    if as_json:
        emit(rows + [{"state": "stale_part", "path": path} for path in parts], True, lines)
    else:
        # Ids are never wrapped: soft_wrap keeps each job on one line whatever the width.
        console().print(lines(), soft_wrap=True, markup=False)


@jobs_app.command("reconcile")
def jobs_reconcile(
    key: Annotated[str, typer.Argument(help="the ledger key `jobs list` shows (vb_...)")],
    adopt: Annotated[str | None, typer.Option(
        "--adopt", help="the provider job id that is this submit's (seen in its console)")] = None,
    abandon: Annotated[bool, typer.Option(
        "--abandon", help="never wait for this submit (it made no job, or you let it go)")] = False,
    family: Annotated[str | None, typer.Option(
        "--family", help="with --adopt, where the ledger row cannot tell: the endpoint family "
        "the job was made on (Kling: text2video, image2video, omni-video, video-extend)")] = None,
    config: ConfigOption = None,
) -> None:
    """Resolve a submit without an answer: adopt its job, abandon it, or (neither) look it up."""
    from ..drivers import drive

    if adopt is not None and abandon:
        raise CliError("give --adopt PROVIDER_JOB_ID or --abandon, not both", 2)
    if family is not None and adopt is None:
        raise CliError("--family goes with --adopt PROVIDER_JOB_ID", 2)
    with client_for(config) as client:
        core = client.core
        entry = core.ledger.get(key)
        if abandon:
            core.ledger.abandoned(key)
            say(f"{key}: abandoned ({entry.provider}:{entry.model} request "
                f"{entry.request_key}); it will never be waited for or resent")
            return
        adapter = core.adapter(entry.provider)
        creds = core.creds_for(entry.provider, entry.credential or None)
        if adopt is None:
            found = drive(core.lifecycle.look_up(adapter, entry, creds), client.http,
                          client.sleep)
            if found is None:
                raise CliError(f"{key}: no lookup proves which {entry.provider} job is this "
                               "submit's; adopt one with --adopt PROVIDER_JOB_ID or --abandon")
            say(f"{key}: found and adopted {entry.provider} job {found.id}; "
                f"finish it with `vidbridge resume {key}`")
            return
        job = drive(core.lifecycle.check_adoptable(adapter, entry, creds, adopt, family),
                    client.http, client.sleep)
        core.ledger.adopt(key, job, "person")
        say(f"{key}: adopted {entry.provider} job {job.id} ({job.status}); "
            f"finish it with `vidbridge resume {key}`")
