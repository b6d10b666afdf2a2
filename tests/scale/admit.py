"""One process admitting videos against a shared budget (tests/scale/test_budgets_shared.py).

argv: database URL, key secret, how many to try, go-file. Says it is ready (a file beside
the go-file), waits for the go-file so every process starts its admissions together, then
prints how many it admitted.
"""

from __future__ import annotations

import os
import sys
import time
import types
from pathlib import Path

from vidbridge.compat._errors import RateLimitError
from vidbridge.gateway.budgets import Budgets, KeyPolicy, UsageStore, owner_of

ESTIMATE_USD = 0.25
WINDOW_S = 0.005  # held between the budget check and the reservation: a missing lock shows


def main(url: str, secret: str, tries: int, go: Path) -> None:
    store = UsageStore(url)
    read = store.spent

    def spent_then_pause(key: str, since: float) -> float:
        value = read(key, since)
        time.sleep(WINDOW_S)  # widen the race window; this is not the test waiting for time
        return value

    store.spent = spent_then_pause  # type: ignore[method-assign]
    owner = owner_of(secret)
    budgets = Budgets(store, [KeyPolicy(name="team", owner=owner, budget_usd=2.0,
                                        period="day", routes=None)])
    plan = types.SimpleNamespace(estimated_cost_usd=ESTIMATE_USD, provider="kling",
                                 model="kling-v2-6:std")
    (go.parent / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while not go.exists():  # bounded: the test creates it once every process is up
        assert time.monotonic() < deadline, "never told to start"
        time.sleep(0.005)
    admitted = 0
    for n in range(tries):
        try:
            budgets.admit(owner, f"video_{os.getpid()}_{n}", "default", plan)  # type: ignore[arg-type]
        except RateLimitError:
            continue
        admitted += 1
    print(admitted, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
