"""A create whose answer never came: the provider accepted it, we never heard. The router
looks the job up (Sora: the newest videos; Kling: our external_task_id) and finishes that
job — one upstream job, nothing paid twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from vidbridge import AsyncVideoClient, SubmitUncertainError
from vidbridge.config import parse_config
from vidbridge.simulator import SimulatorSettings, create_app

from .conftest import FAST

LOOPBACK = "http://127.0.0.1:9"  # never dialled: the ASGI transport answers in process


class LosesFirstAnswer(httpx.AsyncBaseTransport):
    """Delivers every request, but the first create's answer is lost on the way back."""

    def __init__(self, inner: httpx.AsyncBaseTransport, create_path: str) -> None:
        self.inner, self.create_path, self.creates = inner, create_path, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith(self.create_path):
            self.creates += 1
            if self.creates == 1:
                await response.aread()
                raise httpx.ReadTimeout("answer lost", request=request)
        return response


CASES = {
    "sora": ("sora:sora-2", "/openai/v1", "/videos"),
    "kling": ("kling:kling-v2-6:std", "/kling", "/text2video"),
}


def run(provider: str, tmp_path: Path, *, lookups: bool = True) -> tuple[Any, LosesFirstAnswer]:
    spec, prefix, create_path = CASES[provider]
    raw = {"ledger": str(tmp_path / "ledger.sqlite3"),
           "providers": {provider: {"base_url": LOOPBACK + prefix, "api_key": "sim-key",
                                    "secret_key": "sim-secret-key-of-at-least-32-bytes",
                                    "allow_retired": True}},
           "routes": {"default": {"candidates": [spec], "retries": 3}}}
    app = create_app(SimulatorSettings(fast=True, sora_retired=False))
    transport = LosesFirstAnswer(httpx.ASGITransport(app=app), create_path)

    async def main() -> Any:
        client = AsyncVideoClient(config=parse_config(raw), poll=FAST, sleep=lambda s: None,
                                  http=httpx.AsyncClient(transport=transport))
        if not lookups:
            client.core.adapter(provider).build_lookup = None  # type: ignore[attr-defined]
        async with client:
            return await client.generate({"prompt": "a lighthouse in a storm", "duration": 5},
                                         route="default", output=tmp_path / "v.mp4"), client

    return anyio.run(main), transport


@pytest.mark.parametrize("provider", sorted(CASES))
def test_lost_create_answer_is_found_not_paid_twice(provider: str, tmp_path: Path) -> None:
    (result, client), transport = run(provider, tmp_path)
    assert result.job.status == "succeeded" and (tmp_path / "v.mp4").exists()
    assert transport.creates == 1
    assert client.core.ledger.unanswered() == []


def test_without_a_lookup_the_submit_is_recorded_as_uncertain(tmp_path: Path) -> None:
    with pytest.raises(SubmitUncertainError):
        run("sora", tmp_path, lookups=False)
    from vidbridge.ledger import Ledger

    [row] = Ledger(tmp_path / "ledger.sqlite3").unanswered()
    assert (row.provider, row.model, row.state) == ("sora", "sora-2", "uncertain")
    assert row.request_key and row.job_id is None
