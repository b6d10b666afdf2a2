"""What every provider module shares: the simulator state, scenario plumbing, responses."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from . import scenarios
from .jobs import Job, Store
from .push import Pusher
from .scenarios import Scenarios, Spec
from .settings import SimulatorSettings

# Scenarios that replace the whole answer with an error; each provider writes the body.
ERROR_SCENARIOS = frozenset({
    "rate_limit", "concurrency_limit", "insufficient_credits", "server_error", "unavailable",
    "auth_error", "retired_model",
})
CHUNK = 64 * 1024

FaultBodies = Callable[[Spec], Response | None]


class SimulatorError(ValueError):
    """A request the simulator itself cannot understand (e.g. an unknown scenario name)."""


class Simulator:
    """State shared by the provider routes of one app."""

    def __init__(self, settings: SimulatorSettings) -> None:
        self.settings = settings
        self.store = Store(settings.seed, settings.render_spread)
        self.pusher = Pusher(settings)
        self.scenarios = Scenarios(settings.seed)
        self.global_specs = scenarios.parse(settings.scenario)

    def jobs_created(self) -> dict[str, int]:
        """Upstream jobs accepted so far, per wire (``openai``, ``gemini``, ``vertex``,
        ``runway``, ``kling``): what a provider would bill. Refused submits make none."""
        return {wire: len(self.store.all(wire))
                for wire in ("openai", "gemini", "vertex", "runway", "kling")
                if self.store.all(wire)}

    def request_specs(self, request: Request) -> tuple[Spec, ...]:
        """Specs named by the request's scenario header."""
        try:
            return scenarios.parse(request.headers.get(scenarios.HEADER))
        except ValueError as error:
            raise SimulatorError(str(error)) from error

    async def enter(
        self, provider: str, kind: str, request: Request, faults: FaultBodies,
        job: Job | None = None, prompt: object = None,
    ) -> tuple[list[Spec], Response | None]:
        """Fire the scenarios of one request: sleep for latency, maybe answer an error.

        Returns the specs that fired (the handler still acts on ``malformed_json`` and the
        download ones) and the error response to send instead of the real answer, if any.
        """
        try:
            marker = scenarios.from_prompt(prompt)
        except ValueError as error:
            raise SimulatorError(str(error)) from error
        scoped: list[tuple[str, Spec]] = [("global", spec) for spec in self.global_specs]
        scoped += [("global", spec) for spec in self.request_specs(request) + marker]
        if job is not None:
            scoped += [(job.id, spec) for spec in job.specs]
        fired = self.scenarios.firing(provider, kind, scoped)
        for spec in fired:
            if spec.name == "latency":
                await self.settings.pause(spec.value or self.settings.latency_seconds)
        for spec in fired:
            if spec.name in ERROR_SCENARIOS:
                response = faults(spec)
                if response is not None:
                    return fired, response
        return fired, None

    def job_fate(
        self, provider: str, request: Request, prompt: object
    ) -> tuple[set[str], tuple[Spec, ...]]:
        """Job scenarios firing for a new job, and the specs the job should carry."""
        carried = self.request_specs(request) + scenarios.from_prompt(prompt)
        scoped = [("global", spec) for spec in self.global_specs + carried]
        return scenarios.names(self.scenarios.firing(provider, "job", scoped)), carried

    def retry_after(self, spec: Spec) -> int:
        """Seconds a rate-limit scenario asks the client to wait."""
        return int(spec.value) if spec.value is not None else self.settings.retry_after_seconds


def fate_of(fired: set[str]) -> str | None:
    """The fate a new job gets from the job scenarios that fired (None: it succeeds)."""
    for name in ("content_policy_job", "content_policy", "job_failed"):
        if name in fired:
            return name
    return None


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None,
    fired: Iterable[Spec] = (),
) -> Response:
    """A JSON answer; truncated mid-document when a ``malformed_json`` scenario fired."""
    if "malformed_json" in scenarios.names(list(fired)):
        text = json.dumps(body)
        return Response(text[: max(len(text) // 2, 1)], status, headers,
                        media_type="application/json")
    return JSONResponse(body, status, headers)


async def read_json(request: Request) -> Any:
    """The request body as JSON, or raises ValueError (callers answer the provider's 400)."""
    raw = await request.body()
    return json.loads(raw or b"null")


def media_response(
    settings: SimulatorSettings, data: bytes, media_type: str, fired: Iterable[Spec],
    headers: dict[str, str] | None = None,
) -> Response:
    """Media bytes, slowed down or cut half way through when those scenarios fired."""
    fired_by_name = {spec.name: spec for spec in fired}
    slow = fired_by_name.get("slow_download")
    drop = "drop_download" in fired_by_name
    all_headers = {"content-length": str(len(data)), **(headers or {})}
    if slow is None and not drop:
        return Response(data, 200, all_headers, media_type=media_type)
    total = slow.value or settings.slow_download_seconds if slow else 0.0
    pieces = max(min(len(data) // CHUNK, 20), 2)
    size = -(-len(data) // pieces)

    async def body() -> AsyncIterator[bytes]:
        for index in range(pieces):
            if drop and index >= pieces // 2:
                # The declared content-length is never reached: clients see a broken read.
                raise ConnectionAbortedError("simulated connection drop mid-download")
            if slow is not None:
                await settings.pause(total / pieces)
            yield data[index * size:(index + 1) * size]

    return StreamingResponse(body(), 200, all_headers, media_type=media_type)


def simulator_error(error: SimulatorError) -> Response:
    """Our own 400 for requests the simulator cannot interpret (not a provider shape)."""
    return JSONResponse({"simulator_error": str(error)}, 400)


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, '' when malformed, None if absent."""
    value = request.headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def key_ok(settings: SimulatorSettings, provider: str, key: str | None) -> bool:
    """Any non-empty key passes unless ``require_key`` names the one expected."""
    if not key:
        return False
    expected = settings.key_for(provider)
    return expected is None or key == expected
