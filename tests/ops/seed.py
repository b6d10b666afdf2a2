"""Thousands of finished videos written straight into the gateway database (no provider)."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

from vidbridge.compat._store import VideoStore
from vidbridge.gateway.budgets import UsageStore

KEYS = ("team-a", "team-b", "key_0123456789abcdef01234567")
PROVIDERS = (("runway", "gen4.5"), ("kling", "kling-v2-6:std"))
START = 1_796_000_000  # 2026-11-29


def seed(database: Path, count: int, *, seed: int = 7) -> None:
    """``count`` completed or failed videos, spread over 30 days, keys and providers."""
    VideoStore(database).close()  # each creates its own table and indexes
    UsageStore(database).close()
    rng = random.Random(seed)
    videos, usage = [], []
    for index in range(count):
        video_id = f"video_seed{index:06d}"
        provider, model = PROVIDERS[index % 2]
        failed = rng.random() < 0.1
        created = START - rng.randrange(30 * 86400)
        estimate = round(rng.uniform(0.2, 1.5), 2)
        status = "failed" if failed else "completed"
        error = json.dumps({"code": "generation_failed", "message": "seeded"}) if failed \
            else None
        info = json.dumps({"route": "default", "provider": provider, "model": model,
                           "attempts": [{"provider": provider, "model": model,
                                         "outcome": "failed" if failed else "succeeded"}]})
        videos.append((video_id, KEYS[index % 3], created, "sora-2", "default",
                       f"seeded prompt {index}", "4", "1280x720", status, 100, created + 60,
                       error, "{}", info))
        usage.append((video_id, KEYS[index % 3], "default", provider, model,
                       status, estimate, None if failed else estimate,
                       0.0 if failed else estimate, created, created + 60))
    with sqlite3.connect(database) as db:  # one transaction: seconds, not minutes
        db.executemany("INSERT INTO videos (id, owner, created_at, model, target, prompt, "
                       "seconds, size, status, progress, completed_at, error, request, info) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", videos)
        db.executemany("INSERT INTO usage (video_id, key, route, provider, model, status, "
                       "estimated_usd, reported_usd, spent_usd, created_at, finished_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", usage)
    db.close()
