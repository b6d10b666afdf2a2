from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vidbridge.gateway import create_app, serve_in_thread

from ..compat.simenv import Counter, async_client, config
from ..gateway.conftest import KEY, Running, _quiet_sdk, sim, sim_app  # noqa: F401  (shared fixtures)

ADMIN_KEY = "admin-test-key-carol"
TEAM_A_KEY = "team-a-test-key-dave"
TEAM_B_KEY = "team-b-test-key-erin"
ENV = {"TEAM_A_KEY": TEAM_A_KEY, "TEAM_B_KEY": TEAM_B_KEY, "VIDBRIDGE_ADMIN_KEYS": ADMIN_KEY}
NAMED_KEYS = {
    "team-a": {"secret_env": "TEAM_A_KEY", "budget_usd": 0.5, "budget_period": "day"},
    "team-b": {"secret_env": "TEAM_B_KEY", "budget_usd": 20.0, "budget_period": "month",
               "routes": ["kling-only"]},
}


@contextlib.contextmanager
def ops_gateway(base: str, tmp: Path, *, client: Any = None, counter: Counter | None = None,
                environ: dict[str, str] | None = None, **gateway_table: Any) -> Iterator[Running]:
    """A gateway with named keys and an admin key, in front of the simulator."""
    table = {"keys": NAMED_KEYS, **gateway_table}
    cfg = config(base, tmp, gateway=table)
    counter = counter or Counter()
    client = client or async_client(cfg, counter)
    app = create_app(cfg, client=client, database=tmp / "gateway.sqlite3",
                     output_dir=tmp / "videos", poll_after_ms=10, keys=[KEY],
                     environ={**ENV, **(environ or {})})
    with serve_in_thread(app) as url:
        yield Running(url, app, client, counter, tmp)
