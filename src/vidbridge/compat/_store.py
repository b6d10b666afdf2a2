"""Videos as the OpenAI-shaped surface knows them, in standard-library SQLite.

One row per video id: what was asked (so a restart can run it again and a remix can reuse
it), where it stands, and where its file is. Provider jobs are not here: the job ledger has
them, keyed by the same id, and is read alongside. Nothing here holds a key; ``owner`` is a
digest of the gateway key, never the key.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import _sql

SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    model TEXT NOT NULL,            -- the model name the caller sent (e.g. sora-2)
    target TEXT NOT NULL,           -- the route, alias or provider:model it resolved to
    prompt TEXT,
    seconds TEXT NOT NULL,
    size TEXT NOT NULL,
    status TEXT NOT NULL,           -- queued | in_progress | completed | failed
    progress INTEGER NOT NULL DEFAULT 0,
    completed_at INTEGER,
    expires_at INTEGER,
    error TEXT,                     -- {"code", "message"} as JSON
    remixed_from TEXT,
    request TEXT NOT NULL,          -- VideoRequest as JSON, images apart
    image BLOB,
    image_mime TEXT,
    image_url TEXT,
    info TEXT,                      -- VidbridgeInfo as JSON
    output TEXT
);
CREATE INDEX IF NOT EXISTS videos_by_owner ON videos (owner, seq);
CREATE INDEX IF NOT EXISTS videos_by_status ON videos (status);
"""
UNFINISHED = ("queued", "in_progress")


@dataclass
class VideoRecord:
    id: str
    owner: str
    created_at: int
    model: str
    target: str
    prompt: str | None
    seconds: str
    size: str
    request: str
    status: str = "queued"
    progress: int = 0
    completed_at: int | None = None
    expires_at: int | None = None
    error: str | None = None
    remixed_from: str | None = None
    image: bytes | None = None
    image_mime: str | None = None
    image_url: str | None = None
    info: str | None = None
    output: str | None = None


_COLUMNS = tuple(field.name for field in dataclasses.fields(VideoRecord))


class VideoStore:
    """The videos table; safe to share between the threads of one process."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        location = str(path)
        self.path = location
        self._lock = threading.Lock()
        # A path (SQLite, WAL) or a postgresql:// URL shared by several gateway workers.
        self._db = _sql.open_with(location, SCHEMA, "video store")

    def _rows(self, sql: str, *args: Any) -> list[VideoRecord]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM videos {sql}",
                                    args).fetchall()
        return [VideoRecord(*row) for row in rows]

    def insert(self, record: VideoRecord) -> None:
        values = dataclasses.astuple(record)
        with self._lock:
            self._db.execute(f"INSERT INTO videos ({', '.join(_COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(_COLUMNS))})", values)

    def get(self, video_id: str) -> VideoRecord | None:
        found = self._rows("WHERE id=?", video_id)
        return found[0] if found else None

    def update(self, video_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown video fields: {', '.join(sorted(unknown))}")
        assignments = ", ".join(f"{name}=?" for name in fields)
        with self._lock:
            self._db.execute(f"UPDATE videos SET {assignments} WHERE id=?",
                             (*fields.values(), video_id))

    def reopen(self, video_id: str) -> bool:
        """A failed video back to ``in_progress``; True for the one caller whose UPDATE
        changed it (readers on several workers race; exactly one restarts it)."""
        with self._lock:
            changed = self._db.execute(
                "UPDATE videos SET status='in_progress', progress=0, error=NULL, "
                "completed_at=NULL WHERE id=? AND status='failed'", (video_id,)).rowcount
        return int(changed) == 1

    def uncertain(self) -> list[VideoRecord]:
        """Failed videos whose submit got no answer (the ones ``reconcile`` can settle)."""
        return self._rows("WHERE status='failed' AND error LIKE ? ORDER BY seq",
                          '%"submit_uncertain"%')

    def delete(self, video_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM videos WHERE id=?", (video_id,))

    def page(self, owner: str, *, after: str | None, limit: int,
             order: str) -> tuple[list[VideoRecord], bool]:
        """One page of ``owner``'s videos by creation order, and whether more follow."""
        descending = order == "desc"
        where, args = "WHERE owner=?", [owner]
        if after is not None:
            with self._lock:
                row = self._db.execute("SELECT seq FROM videos WHERE id=? AND owner=?",
                                       (after, owner)).fetchone()
            if row is None:
                return [], False
            where += " AND seq < ?" if descending else " AND seq > ?"
            args.append(row[0])
        found = self._rows(f"{where} ORDER BY seq {'DESC' if descending else 'ASC'} LIMIT ?",
                           *args, limit + 1)
        return found[:limit], len(found) > limit

    def active(self, owner: str) -> int:
        """How many of ``owner``'s videos are still being made."""
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM videos WHERE owner=? AND status IN "
                                   "(?, ?)", (owner, *UNFINISHED)).fetchone()
        return int(row[0])

    def unfinished(self) -> list[VideoRecord]:
        return self._rows("WHERE status IN (?, ?) ORDER BY seq", *UNFINISHED)

    def expired(self, now: int) -> list[VideoRecord]:
        """Completed videos past ``expires_at`` whose file is still recorded."""
        return self._rows("WHERE expires_at IS NOT NULL AND expires_at <= ? AND output IS NOT "
                          "NULL", now)

    def close(self) -> None:
        with self._lock:
            self._db.close()
