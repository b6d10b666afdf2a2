"""Fault-injection scenarios: what they are called, how they are written, when they fire.

A scenario spec is ``name[=value][:count | ~probability][@kind]``; several are joined by
commas. ``name_once`` is short for ``name:1``. ``count`` means "the first N requests of
this kind fail, later ones succeed" (for retry tests); ``~p`` fires with probability p from
the seeded generator; neither means "always". ``kind`` picks which requests the fault hits:
``submit``, ``poll``, ``download``, ``list``, ``delete`` or ``any``; each name has a default.

Specs come from three places, all active together: the simulator's ``scenario`` setting,
the ``X-Vidbridge-Scenario`` request header, and ``[[scenario:SPEC]]`` markers in a prompt.
Specs that arrive with a submit (header or marker) stay attached to the job, so a marker
can make that job's download drop without any header on the download request.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HEADER = "X-Vidbridge-Scenario"
PROMPT_MARKER = re.compile(r"\[\[scenario:\s*([^\]]+?)\s*\]\]")
KINDS = ("submit", "poll", "download", "list", "delete", "any", "job")

# name -> default kind. "job" scenarios decide a job's fate when it is submitted.
DEFAULT_KIND: dict[str, str] = {
    "latency": "any",                # sleep before answering (value = seconds)
    "rate_limit": "submit",          # 429 with Retry-After (value = seconds); Kling 1302
    "concurrency_limit": "submit",   # Kling 1303; the other providers answer their 429
    "insufficient_credits": "submit",  # OpenAI insufficient_quota, Runway 400, Kling 1102
    "server_error": "submit",        # 500 (Runway 502: it documents no 500)
    "unavailable": "submit",         # 503
    "auth_error": "submit",          # each provider's bad-credential answer
    "malformed_json": "poll",        # 200 with a truncated JSON body
    "retired_model": "submit",       # the provider's unknown/retired model answer
    "slow_download": "download",     # media trickles out over `value` seconds
    "drop_download": "download",     # connection closed half way through the media
    "job_failed": "job",             # accepted, then fails with the provider's failure shape
    "content_policy": "job",         # refused at submit where the provider does, else failed job
    "content_policy_job": "job",     # always a failed job with the provider's safety code
    "throttled": "job",              # Runway: PENDING -> THROTTLED -> RUNNING
}
SCENARIO_NAMES = tuple(sorted(DEFAULT_KIND))

_SPEC = re.compile(
    r"^(?P<name>[a-z_]+?)(?P<once>_once)?(?:=(?P<value>[0-9.]+))?"
    r"(?::(?P<count>\d+)|~(?P<prob>[0-9.]+))?(?:@(?P<kind>[a-z]+))?$"
)


@dataclass(frozen=True)
class Spec:
    """One parsed scenario."""

    raw: str
    name: str
    kind: str
    value: float | None = None
    count: int | None = None
    probability: float | None = None


def parse(text: str | None) -> tuple[Spec, ...]:
    """Parse a comma-separated list of specs; an unknown name is a ValueError naming it."""
    specs = []
    for raw in (part.strip() for part in (text or "").split(",")):
        if not raw:
            continue
        match = _SPEC.match(raw)
        if not match or match["name"] not in DEFAULT_KIND:
            raise ValueError(
                f"unknown scenario {raw!r}; known: {', '.join(SCENARIO_NAMES)} "
                "(written name[=value][:count|~probability][@kind])"
            )
        kind = match["kind"] or DEFAULT_KIND[match["name"]]
        if kind not in KINDS:
            raise ValueError(f"unknown scenario kind {kind!r} in {raw!r}; known: {KINDS}")
        count = 1 if match["once"] else (int(match["count"]) if match["count"] else None)
        specs.append(Spec(
            raw=raw, name=match["name"], kind=kind,
            value=float(match["value"]) if match["value"] else None, count=count,
            probability=float(match["prob"]) if match["prob"] else None,
        ))
    return tuple(specs)


def from_prompt(prompt: object) -> tuple[Spec, ...]:
    """Specs written as ``[[scenario:SPEC]]`` markers inside a prompt."""
    if not isinstance(prompt, str):
        return ()
    return tuple(spec for found in PROMPT_MARKER.findall(prompt) for spec in parse(found))


class Scenarios:
    """Decides, deterministically for a seed, which specs fire on a request."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)
        self._seen: Counter[tuple[str, str, str, str]] = Counter()

    def firing(
        self, provider: str, kind: str, specs: Iterable[tuple[str, Spec]]
    ) -> list[Spec]:
        """The specs that fire now for a `kind` request; `specs` pairs each with its scope.

        The scope ("global", or a job id for specs carried by a job) keeps counters apart,
        so "the first N" counts per place the spec came from.
        """
        fired = []
        for scope, spec in specs:
            if spec.kind not in (kind, "any"):
                continue
            key = (provider, scope, spec.raw, kind)
            self._seen[key] += 1
            if spec.count is not None and self._seen[key] > spec.count:
                continue
            if spec.probability is not None and self._random.random() >= spec.probability:
                continue
            fired.append(spec)
        return fired


def names(specs: Sequence[Spec]) -> set[str]:
    """The scenario names among `specs`."""
    return {spec.name for spec in specs}
