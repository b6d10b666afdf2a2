"""Plans, jobs, results, and a finished video taken as input (``VideoRef``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from ._base import TERMINAL_STATUSES, Frozen, JobStatus, parse_size
from ._media import ImageInput, VideoInput


class VideoRef(Frozen):
    """A finished video a provider can take as input (to extend it): which provider made it,
    and its id or URL there. ``VideoRequest.extend`` builds one from a ``Job`` or a
    ``VideoResult``; a caller may also name a provider's video directly."""

    provider: str
    model: str = ""
    job_id: str | None = None
    video_id: str | None = None  # the provider's id of the video (Kling: task_result video id)
    url: str | None = None  # the provider's URI of the video (Veo: the output gcs/https URI)

    @model_validator(mode="after")
    def _something(self) -> VideoRef:
        if not (self.video_id or self.url or self.job_id):
            raise ValueError("a video to extend needs a video_id, a url or a job_id")
        return self

    @classmethod
    def of(cls, value: Any) -> Any:
        """A VideoRef from a finished Job or VideoResult; anything else is returned as is."""
        job = value.job if isinstance(value, VideoResult) else value
        if not isinstance(job, Job):
            return value
        if job.status != "succeeded":
            raise ValueError(f"extend needs a finished (succeeded) job; job {job.id} is "
                             f"{job.status}")
        return cls(provider=job.provider, model=job.model, job_id=job.id,
                   video_id=job.meta.get("video_id"),
                   url=job.meta.get("video_uri") or job.output_url)


# --- plans, jobs, results --------------------------------------------------------------------

class Adjustment(Frozen):
    """One value normalisation changed: what was asked, what is sent, and why."""

    field: str
    asked: Any
    given: Any
    reason: str


class Plan(Frozen):
    """The concrete values a provider will receive for one request."""

    provider: str = ""
    model: str = ""
    prompt: str
    negative_prompt: str | None = None
    duration: int
    aspect_ratio: str
    resolution: str
    size: str
    audio: bool
    image: ImageInput | None = None
    last_frame: ImageInput | None = None
    reference_images: tuple[ImageInput, ...] = ()
    seed: int | None = None
    extend: VideoRef | None = None
    source_video: VideoInput | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    # The adapter table row this model derives from: equals ``model`` unless the config
    # added the model with ``like`` (adapters look their tables up by it, and send ``model``).
    base_model: str = ""
    adjustments: tuple[Adjustment, ...] = ()
    warnings: tuple[str, ...] = ()
    estimated_cost_usd: float | None = None
    # Our id for the request this plan serves: stable across retries of one request and
    # different between requests, so adapters can derive idempotency keys from it.
    request_key: str = ""
    # Where the provider may push this job's status changes (only for a model with
    # ``push_callbacks`` and a gateway that serves callbacks; adapters map it to their wire
    # field). It holds a per-job token: kept out of repr and of the plan the ledger stores.
    callback_url: str | None = Field(default=None, repr=False, exclude=True)

    @property
    def table_model(self) -> str:
        """The adapter table key for this plan (``base_model`` or ``model``)."""
        return self.base_model or self.model

    @property
    def width(self) -> int:
        return parse_size(self.size)[0]

    @property
    def height(self) -> int:
        return parse_size(self.size)[1]


class Job(Frozen):
    """A provider's job, with the context every follow-up call must reuse.

    ``credential`` is the *name* of the credential used (never the secret), ``backend``
    the provider backend (Veo: gemini or vertex), ``meta`` adapter-private context the
    follow-up calls need (e.g. which Kling endpoint family created the task).
    """

    provider: str
    model: str = ""
    backend: str = ""
    credential: str = ""
    id: str
    status: JobStatus
    progress: float | None = None  # percent, 0-100
    created_at: datetime | None = None
    updated_at: datetime | None = None
    output_url: str | None = None
    output_inline: bytes | None = Field(default=None, repr=False, exclude=True)
    error_code: str | None = None
    error_message: str | None = None
    poll_after: float | None = None  # seconds the provider asks us to wait before polling
    reported_cost_usd: float | None = None
    meta: dict[str, str] = Field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATUSES


AttemptOutcome = Literal["skipped", "failed", "succeeded", "pending"]


class Attempt(Frozen):
    """One candidate of a route: skipped (why), failed (how), pending, or succeeded."""

    provider: str
    model: str
    outcome: AttemptOutcome
    reason: str = ""
    error_kind: str | None = None
    adjustments: tuple[Adjustment, ...] = ()
    job_id: str | None = None
    tries: int = 0
    elapsed_s: float = 0.0
    estimated_cost_usd: float | None = None


class VideoResult(Frozen):
    """A finished generation: the job, where the video is, what changed and what it cost."""

    job: Job
    path: Path | None = None
    bytes_written: int = 0
    content_type: str | None = None
    plan: Plan | None = None
    attempts: tuple[Attempt, ...] = ()

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        return self.plan.adjustments if self.plan else ()

    @property
    def estimated_cost_usd(self) -> float | None:
        return self.plan.estimated_cost_usd if self.plan else None
