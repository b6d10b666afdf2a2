"""What the dashboard shows, read with indexed, paginated queries.

Jobs are paged by keyset (``seq`` below a cursor) over the ``usage`` table, whose indexes
match each filter, so a page costs the same with ten jobs or ten thousand; only the page's
rows are then read from the videos table and the ledger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...storage import is_url
from ..budgets import COLUMNS, UsageStore

if TYPE_CHECKING:
    from ...compat._service import VideoService
    from ...config import Config

PAGE_SIZE = 50
STATUSES = ("unfinished", "completed", "failed")
SPEND_DAYS = 30


@dataclass
class JobRow:
    usage: dict[str, Any]
    status: str = ""
    prompt: str | None = None
    error: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    has_video: bool = False
    progress: int = 0

    @property
    def id(self) -> str:
        return str(self.usage["video_id"])


@dataclass
class JobsPage:
    rows: list[JobRow]
    next_cursor: int | None
    filters: dict[str, str]


class DashboardData:
    """Reads for the dashboard pages: the usage table, the video store, the ledger."""

    def __init__(self, usage: UsageStore, service: VideoService, config: Config) -> None:
        self.usage = usage
        self.service = service
        self.config = config

    # -- jobs ------------------------------------------------------------------------------
    def jobs(self, *, status: str = "", key: str = "", provider: str = "",
             before: int | None = None, limit: int = PAGE_SIZE) -> JobsPage:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("status", status), ("key", key), ("provider", provider)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if before is not None:
            where.append("seq < ?")
            args.append(before)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.usage.query(f"SELECT {', '.join(COLUMNS)} FROM usage {clause} "
                                "ORDER BY seq DESC LIMIT ?", *args, limit + 1)
        found = [self.job_row(dict(zip(COLUMNS, row, strict=True))) for row in rows[:limit]]
        more = len(rows) > limit
        return JobsPage(found, found[-1].usage["seq"] if more and found else None,
                        {"status": status, "key": key, "provider": provider})

    def job_row(self, usage: dict[str, Any]) -> JobRow:
        row = JobRow(usage=usage, status=str(usage["status"]))
        record = self.service.store.get(row.id)
        if record is None:
            return row
        video = self.service.view(record)
        row.status, row.progress, row.prompt = video.status, video.progress, record.prompt
        row.error = json.loads(record.error) if record.error else None
        row.info = json.loads(record.info) if record.info else {}
        # A video in remote storage is trusted to be there (a HEAD per row would make a page
        # cost fifty round trips); the sweep clears ``output`` when it expires.
        row.has_video = (record.status == "completed" and bool(record.output)
                         and (is_url(record.output) or Path(str(record.output)).exists()))
        return row

    def job(self, video_id: str) -> tuple[JobRow, list[dict[str, Any]]] | None:
        """A job with its ledger rows (every provider job tried for it), or None."""
        rows = self.usage.query(f"SELECT {', '.join(COLUMNS)} FROM usage WHERE video_id=?",
                                video_id)
        if not rows:
            return None
        row = self.job_row(dict(zip(COLUMNS, rows[0], strict=True)))
        ledger = [{"state": state, **job.model_dump(mode="json", exclude={"meta"})}
                  for state, job in self.service.core.ledger.by_request(video_id)]
        return row, ledger

    def choices(self) -> dict[str, list[str]]:
        """The values the filters offer (each a scan of one index)."""
        return {"key": [r[0] for r in self.usage.query("SELECT DISTINCT key FROM usage "
                                                       "ORDER BY key")],
                "provider": [r[0] for r in self.usage.query("SELECT DISTINCT provider FROM "
                                                            "usage ORDER BY provider")],
                "status": list(STATUSES)}

    # -- spend -----------------------------------------------------------------------------
    def spend(self, now: float) -> dict[str, list[tuple[Any, ...]]]:
        since = now - SPEND_DAYS * 86400
        group = ("SELECT {0}, COUNT(*), ROUND(SUM(spent_usd), 4), ROUND(SUM(estimated_usd), 4),"
                 " ROUND(SUM(reported_usd), 4) FROM usage {1} GROUP BY 1 ORDER BY {2}")
        return {
            "key": self.usage.query(group.format("key", "", "3 DESC")),
            "provider": self.usage.query(group.format("provider", "", "3 DESC")),
            "day": self.usage.query(group.format(
                "date(created_at, 'unixepoch')", "WHERE created_at >= ?", "1 DESC"), since),
        }

    # -- reconciliation --------------------------------------------------------------------
    def uncertain(self) -> list[dict[str, Any]]:
        return list(self.service.core.ledger.uncertain())

    # -- routes ----------------------------------------------------------------------------
    def capability_matrix(self, today: date | None = None) -> list[dict[str, Any]]:
        """One row per candidate of every configured route: what it serves, its lifecycle."""
        matrix = []
        for route_name, route in self.config.routes.items():
            for index, candidate in enumerate(route.candidates):
                provider, _, model = candidate.partition(":")
                core = self.service.core
                caps = core.adapter(provider).models.get(model)
                if caps is None:
                    continue
                # Not served by the configured backend: the router skips it, so say so here
                # (a retired row stays retired, as everywhere).
                status = caps.lifecycle.status(today)
                unserved = core.unserved(provider, model, caps) if status != "retired" else None
                aliases = sorted(a for a, t in self.config.aliases.items() if t == route_name)
                matrix.append({
                    "route": route_name, "aliases": aliases, "order": index + 1,
                    "candidate": candidate, "label": caps.label,
                    "durations": ", ".join(f"{d}s" for d in caps.durations),
                    "resolutions": ", ".join(caps.resolutions),
                    "ratios": ", ".join(caps.sizes), "audio": caps.audio,
                    "text": caps.supports_text, "image": caps.supports_image,
                    "last_frame": caps.supports_last_frame,
                    "reference_images": caps.max_reference_images,
                    "price": _price(caps.price.per_second, caps.price.unit),
                    "lifecycle": "unserved" if unserved else status,
                    "lifecycle_text": unserved or caps.lifecycle.describe(today),
                })
        return matrix


def _price(per_second: dict[str, float], unit: str) -> str:
    if not per_second:
        return "unknown"
    return ", ".join(f"{res}: {rate:g} {unit}/s" for res, rate in per_second.items())
