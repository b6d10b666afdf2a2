"""How one simulator instance behaves: seed, default scenario, simulated time, credentials."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

PROVIDERS = ("openai", "gemini", "vertex", "runway", "kling")


@dataclass(frozen=True)
class SimulatorSettings:
    """Settings of one simulator; every field has a demo-friendly default.

    ``seed`` makes job ids and probabilistic faults reproducible (tests); by default they
    are random. ``scenario`` applies to every request (a request header or prompt marker adds more).
    ``render_seconds`` is how long a job takes on ``clock``; with ``fast`` every status poll
    advances a job by one step instead, so tests never wait. ``require_key`` makes
    credentials strict: one key for every provider, or a mapping by provider name
    (``openai``, ``gemini``, ``vertex``, ``runway``, ``kling``; for Kling it is the access
    key expected in the JWT's ``iss``). ``kling_secret`` turns on JWT signature checks.
    """

    # None: ids and fault draws come from the OS's randomness, so a restarted simulator never
    # reissues a job id a ledger already holds. Tests pass a seed to be reproducible.
    seed: int | None = None
    scenario: str | None = None
    render_seconds: float = 2.0
    # (shortest, longest): each job's render time is drawn from this range instead (seeded
    # by ``seed``), so benchmarks see jobs of random length.
    render_spread: tuple[float, float] | None = None
    # A job given a callback URL (Kling callback_url, Gemini API webhook_config) is POSTed
    # to when it ends, in the background, tried this many times (clock mode only: in fast
    # mode a job only moves when polled, so there is nothing to push ahead of a poll).
    push_tries: int = 3
    push_backoff_seconds: float = 0.5
    fast: bool = False
    sora_retired: bool = True
    require_key: str | Mapping[str, str] | None = None
    kling_secret: str | None = None
    clock: Callable[[], float] | None = None
    # Seconds a fast job needs in polls before it is done (queued -> running -> done).
    fast_polls: int = 3
    # Latency, slow downloads and Retry-After values; tests inject a recorder for `sleep`.
    latency_seconds: float = 1.0
    slow_download_seconds: float = 3.0
    retry_after_seconds: int = 2
    sleep: Callable[[float], Awaitable[None]] | None = None
    # Wall time for timestamps and JWT windows (never the simulated clock: tokens are real).
    wall_clock: Callable[[], float] = field(default=time.time)

    def now(self) -> float:
        """The simulated clock."""
        return (self.clock or time.monotonic)()

    async def pause(self, seconds: float) -> None:
        """Sleep on the injected sleeper (real asyncio sleep by default)."""
        await (self.sleep or asyncio.sleep)(seconds)

    def key_for(self, provider: str) -> str | None:
        """The key a strict simulator expects from `provider`, or None when any will do."""
        if self.require_key is None or isinstance(self.require_key, str):
            return self.require_key
        return self.require_key.get(provider)
