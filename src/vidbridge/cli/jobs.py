"""``jobs``: the ledger's accepted-but-unfinished jobs and uncertain submits."""

from __future__ import annotations

from typing import Any

from .app import group
from .output import ConfigOption, JsonOption, client_for, console, emit

jobs_app = group("jobs", "The job ledger: accepted and uncertain jobs.")


@jobs_app.command("list")
def jobs_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Jobs accepted but not finished, and submits that may have been accepted."""
    ledger = client_for(config).core.ledger
    rows: list[dict[str, Any]] = [
        {"state": "pending", "provider": job.provider, "model": job.model, "id": job.id,
         "status": job.status, "credential": job.credential} for job in ledger.pending()]
    rows += [{"state": "uncertain", "provider": row["provider"], "model": row["job"]["model"],
              "request_key": row["request_key"]} for row in ledger.uncertain()]

    def lines() -> str:
        if not rows:
            return "no jobs"
        out = []
        for row in rows:
            if row["state"] == "pending":
                out.append(f"pending   {row['provider']}:{row['model']} {row['id']} "
                           f"({row['status']}) credential={row['credential']}")
            else:
                out.append(f"uncertain {row['provider']}:{row['model']} request "
                           f"{row['request_key']}: may exist upstream, reconcile before retrying")
        return "\n".join(out)

    # Ids are never wrapped: soft_wrap keeps each job on one line whatever the width.
    if as_json:
        emit(rows, True, lines)
    else:
        console().print(lines(), soft_wrap=True, markup=False)
