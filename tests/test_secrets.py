"""A canary key must never appear in a repr, str, log record, exception or ledger row."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import httpx
import pytest

from vidbridge import AuthenticationError, Credentials, ProviderError, VideoClient

from .fakes import FakeAcme, FakeClock
from .helpers import acme_pm

CANARY = "sk-canary-5f3a9c1e7b2d4e6f8a0b"


def test_credentials_never_show_the_secret() -> None:
    creds = Credentials(name="prod", api_key=CANARY, secret_key=CANARY)
    for text in (repr(creds), str(creds), creds.model_dump_json(), str(creds.model_dump())):
        assert CANARY not in text
    assert creds.bearer() == CANARY  # only an explicit call reveals it


@pytest.mark.parametrize("status", [401, 429, 500, 400])
def test_no_secret_in_errors_logs_or_ledger(status: int, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ledger = tmp_path / "ledger.sqlite3"
    refusal = httpx.Response(status, json={"message": "refused", "code": None})
    server = FakeAcme(poll_script={"acme": [refusal] * 10})
    if status == 401:
        server.submit_script = {"acme": [refusal]}
    clock = FakeClock()
    from vidbridge.ledger import Ledger

    client = VideoClient(credentials={"acme": Credentials(name="prod", api_key=CANARY)},
                         transport=httpx.MockTransport(server), sleep=clock.sleep, clock=clock,
                         pm=acme_pm(), ledger=Ledger(ledger))
    with pytest.raises(ProviderError) as caught:
        client.generate({"prompt": "x"}, model="acme:motion-2")
    error = caught.value
    if status == 401:
        assert isinstance(error, AuthenticationError)
    texts = [str(error), repr(error), repr(error.args), repr(vars(error))]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    rows = sqlite3.connect(ledger).execute("SELECT * FROM ledger").fetchall()
    texts.append(repr(rows))
    assert all(CANARY not in text for text in texts)
    if rows:
        assert "prod" in repr(rows)  # the credential's name is kept, never its value
