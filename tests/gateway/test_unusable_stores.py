"""Each of the gateway's SQLite stores, pointed at something that is not one of ours, is one
ConfigError naming the store and the path (as the ledger is), not a raw sqlite3 error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vidbridge import ConfigError


def stores() -> dict[str, Callable[[Path], Any]]:
    from vidbridge.compat._store import VideoStore
    from vidbridge.gateway.batches import Batches
    from vidbridge.gateway.budgets import UsageStore
    from vidbridge.gateway.callbacks import CallbackTokens
    from vidbridge.webhooks import DeliveryLog

    return {"usage store": UsageStore, "batch store": lambda path: Batches(str(path)),
            "callback store": lambda path: CallbackTokens(path, "http://127.0.0.1:1"),
            "video store": VideoStore, "webhook store": DeliveryLog}


@pytest.mark.parametrize("what", sorted(stores()))
@pytest.mark.parametrize("make", ["text", "directory", "under_a_file"])
def test_a_store_that_is_not_one_is_named(what: str, make: str, tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    if make == "text":
        path.write_text("hello\n")
    elif make == "directory":
        path.mkdir()
    else:
        (tmp_path / "file").write_text("")
        path = tmp_path / "file" / "store.sqlite3"
    with pytest.raises(ConfigError) as raised:
        stores()[what](path)
    assert str(raised.value).startswith(f"{what} {path}: not a vidbridge {what} (")


def test_a_store_of_ours_opens_again(tmp_path: Path) -> None:
    path = tmp_path / "videos.sqlite3"
    for _ in range(2):  # the second open finds its own tables: no error
        stores()["video store"](path)
