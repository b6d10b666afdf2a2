"""Jobs and simulated time: one record per accepted request, and where it stands now.

A job moves through phases ``queued`` (Runway also ``throttled``), ``running`` and ``done``;
each provider module names these phases with its own status values. Time is either the
injected clock measured against ``render_seconds``, or, in fast mode, the number of status
polls the job has seen, so tests reach a terminal state without waiting.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from .scenarios import Spec
from .settings import SimulatorSettings

Phase = Literal["queued", "throttled", "running", "done"]
# Share of the render time spent waiting for a worker before rendering starts.
QUEUED_SHARE = 0.1


@dataclass
class Job:
    """One simulated generation job."""

    id: str
    provider: str
    model: str
    seconds: float
    width: int
    height: int
    audio: bool
    created: float  # simulated clock
    created_wall: float  # Unix seconds, for the timestamps providers report
    prompt: str | None = None
    fate: str | None = None  # "job_failed", "content_policy", "content_policy_job" or None
    throttled: bool = False
    specs: tuple[Spec, ...] = ()
    polls: int = 0
    cancelled: bool = False
    finished_wall: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    render_s: float | None = None  # this job's render time (None: settings.render_seconds)

    def render_seconds(self, settings: SimulatorSettings) -> float:
        return settings.render_seconds if self.render_s is None else self.render_s

    def stage(self, settings: SimulatorSettings) -> tuple[Phase, float]:
        """The job's phase and its render progress (0..1) right now; does not advance it."""
        if settings.fast:
            running = max(settings.fast_polls - 1, 1)
            steps: list[Phase] = ["queued"]
            if self.throttled:
                steps.append("throttled")
            steps += ["running"] * running
            steps.append("done")
            index = min(self.polls, len(steps) - 1)
            phase = steps[index]
            if phase != "running":
                return phase, 1.0 if phase == "done" else 0.0
            return phase, (index - steps.index("running") + 1) / (running + 1)
        elapsed = settings.now() - self.created
        render = self.render_seconds(settings)
        share = 1.0 if render <= 0 else elapsed / render
        if share >= 1.0:
            return "done", 1.0
        if share < QUEUED_SHARE / 2 or (share < QUEUED_SHARE and not self.throttled):
            return "queued", 0.0
        if share < QUEUED_SHARE:
            return "throttled", 0.0
        return "running", (share - QUEUED_SHARE) / (1 - QUEUED_SHARE)

    def poll(self, settings: SimulatorSettings) -> tuple[Phase, float]:
        """Count one status poll (fast mode moves on it) and return the stage after it."""
        self.polls += 1
        phase, progress = self.stage(settings)
        if phase == "done" and self.finished_wall is None:
            self.finished_wall = settings.wall_clock()
        return phase, progress

    @property
    def succeeds(self) -> bool:
        """Whether the job ends with a video (it was not doomed by a scenario)."""
        return self.fate is None


class Store:
    """Jobs by provider and id, in creation order, plus the seeded id generator."""

    def __init__(self, seed: int | None,
                 render_spread: tuple[float, float] | None = None) -> None:
        self._random = random.Random(seed)
        self._jobs: dict[str, dict[str, Job]] = {}
        self.render_spread = render_spread
        # Its own stream, so drawing render times never shifts the seeded ids.
        self._lengths = random.Random(seed)

    def add(self, job: Job) -> Job:
        if self.render_spread is not None and job.render_s is None:
            job.render_s = self._lengths.uniform(*self.render_spread)
        self._jobs.setdefault(job.provider, {})[job.id] = job
        return job

    def get(self, provider: str, job_id: str) -> Job | None:
        return self._jobs.get(provider, {}).get(job_id)

    def remove(self, provider: str, job_id: str) -> None:
        self._jobs.get(provider, {}).pop(job_id, None)

    def all(self, provider: str) -> list[Job]:
        return list(self._jobs.get(provider, {}).values())

    def hex(self, n_chars: int) -> str:
        return f"{self._random.getrandbits(4 * n_chars):0{n_chars}x}"

    def alnum(self, n_chars: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
        return "".join(self._random.choice(alphabet) for _ in range(n_chars))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
