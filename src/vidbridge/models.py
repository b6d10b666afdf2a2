"""The data vidbridge speaks: requests, capability tables, plans, jobs and results.

Every model is frozen and refuses unknown fields, so a mistyped field fails by name.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
AudioSupport = Literal["never", "optional", "always"]
Policy = Literal["nearest", "strict"]

# Named aspect ratios a request may ask for; a provider's odd sizes (1792x1024, 1584:672)
# are matched to the nearest of these within RATIO_TOLERANCE.
ASPECT_RATIOS: dict[str, float] = {
    "16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:3": 4 / 3, "3:4": 3 / 4,
    "3:2": 3 / 2, "2:3": 2 / 3, "4:5": 4 / 5, "5:4": 5 / 4, "21:9": 21 / 9, "9:21": 9 / 21,
}
RATIO_TOLERANCE = 0.03
RESOLUTION_PATTERN = r"^(\d{3,4}p|4k)$"
SIZE_PATTERN = re.compile(r"^([1-9]\d{1,4})x([1-9]\d{1,4})$")
IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


class Frozen(BaseModel):
    # defer_build: validators are built on first use, which keeps `import vidbridge` light.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


# --- sizes, ratios, resolutions --------------------------------------------------------------

def parse_size(size: str) -> tuple[int, int]:
    """``"1280x720"`` -> ``(1280, 720)``; ValueError names the expected shape."""
    match = SIZE_PATTERN.match(size)
    if not match:
        raise ValueError(f"size must look like WIDTHxHEIGHT, e.g. '1280x720', not {size!r}")
    return int(match[1]), int(match[2])


def aspect_ratio_of(width: int, height: int) -> str | None:
    """The named aspect ratio within tolerance of width/height, or None."""
    ratio = width / height
    name, value = min(ASPECT_RATIOS.items(), key=lambda item: abs(math.log(item[1] / ratio)))
    return name if abs(value - ratio) / value <= RATIO_TOLERANCE else None


def resolution_of(width: int, height: int) -> str:
    """Resolution name of a frame size, by its short side: 1280x720 -> '720p', 3840x2160 -> '4k'."""
    short = min(width, height)
    return "4k" if short >= 2160 else f"{short}p"


def resolution_rank(resolution: str) -> int:
    """Lines of a resolution name, for ordering ('4k' counts as 2160)."""
    return 2160 if resolution == "4k" else int(resolution.rstrip("p"))


# --- images ----------------------------------------------------------------------------------

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF8", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
)


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type the bytes' signature shows, or None when it is not a known image."""
    for magic, offset, mime in _MAGIC:
        if data[offset:offset + len(magic)] == magic and (mime != "image/webp"
                                                          or data[:4] == b"RIFF"):
            return mime
    return None


class ImageInput(Frozen):
    """An input image: bytes with their MIME type, or an http(s) URL."""

    data: bytes | None = Field(default=None, repr=False)
    mime_type: str | None = None
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://[^\s/]+", url):
            raise ValueError(f"image url must be an http(s) URL, not {url[:40]!r}")
        return url

    @model_validator(mode="after")
    def _one_source(self) -> ImageInput:
        if (self.data is None) == (self.url is None):
            raise ValueError("give exactly one of data (with mime_type) or url")
        if self.data is not None:
            if not self.data:
                raise ValueError("image data is empty")
            if self.mime_type not in IMAGE_MIME_TYPES:
                raise ValueError(f"mime_type must be one of {', '.join(IMAGE_MIME_TYPES)}, "
                                 f"not {self.mime_type!r}")
            seen = sniff_image_type(self.data)
            if seen != self.mime_type:
                raise ValueError(f"mime_type says {self.mime_type} but the bytes are "
                                 f"{seen or 'not a known image type'}")
        return self

    @classmethod
    def from_path(cls, path: str | Path) -> ImageInput:
        """Read an image file; its type comes from its bytes, not its name."""
        data = Path(path).read_bytes()
        return cls(data=data, mime_type=sniff_image_type(data))

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) of image bytes, read lazily with Pillow; None for a URL.

        Bytes Pillow cannot read (a truncated or corrupt file behind valid magic bytes) are a
        ``CapabilityError`` on ``image``, not Pillow's own exception.
        """
        if self.data is None:
            return None
        try:
            return _image_size(self.data)
        except Exception as unreadable:  # UnidentifiedImageError, SyntaxError, bomb checks...
            reason = f"{type(unreadable).__name__}"
        from .errors import CapabilityError

        raise CapabilityError(f"the {self.mime_type} image bytes cannot be read ({reason})",
                              field="image", allowed=["a complete PNG, JPEG, WebP or GIF file"])

    def data_uri(self) -> str:
        """The bytes as a ``data:`` URI (several providers take images this way)."""
        if self.data is None:
            raise ValueError("a URL image has no data URI")
        return f"data:{self.mime_type};base64,{self.base64()}"

    def base64(self) -> str:
        if self.data is None:
            raise ValueError("a URL image has no bytes")
        return base64.b64encode(self.data).decode("ascii")


@functools.lru_cache(maxsize=64)
def _image_size(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image  # lazily: only requests with image bytes pay for Pillow

    with Image.open(io.BytesIO(data)) as image:  # reads the header, not the pixels
        return image.size


# --- videos ----------------------------------------------------------------------------------

def sniff_video_type(data: bytes) -> str | None:
    """``video/mp4`` for ISO base media bytes (an ``ftyp`` box first, QuickTime's ``qt``
    brand excepted: that is ``video/quicktime``), else None."""
    if data[4:8] != b"ftyp":
        return None
    return "video/quicktime" if data[8:12] == b"qt  " else "video/mp4"


class VideoInput(Frozen):
    """A source video for video-to-video: an ``https`` URL the provider fetches, or a local
    file whose bytes the adapter sends the way its wire accepts (a data URI within the
    provider's limit, else a ``CapabilityError`` on ``source_video`` before any HTTP).

    ``VideoRequest(source_video=...)`` also takes a bare ``"https://..."`` string or a path.
    """

    url: str | None = None
    path: Path | None = None

    @field_validator("url")
    @classmethod
    def _https_url(cls, url: str | None) -> str | None:
        # Providers fetch the video themselves and (Runway) take HTTPS only.
        if url is not None and not re.match(r"^https://[^\s/]+", url):
            raise ValueError(f"source_video url must be an https URL, not {url[:40]!r}")
        return url

    @model_validator(mode="after")
    def _one_source(self) -> VideoInput:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of url or path for source_video")
        # A path is not checked here: a stored plan must load after its file is gone (the
        # adapter refuses a missing file on ``source_video`` before any HTTP).
        return self

    @classmethod
    def of(cls, value: Any) -> Any:
        """A VideoInput from ``"https://..."``, ``"http://..."`` (refused by the url check),
        a path string or a Path; anything else is returned as is."""
        if isinstance(value, str):
            return cls(url=value) if re.match(r"^[a-zA-Z][\w+.-]*://", value) else cls(
                path=Path(value))
        if isinstance(value, Path):
            return cls(path=value)
        return value

    def describe(self) -> str:
        """How adjustments and errors name this video (never its bytes)."""
        return self.url.split("?", 1)[0] if self.url is not None else str(self.path)

    def read(self) -> bytes:
        """The file's bytes (a URL video has none here: the provider fetches it)."""
        if self.path is None:
            raise ValueError("a URL video has no local bytes")
        return self.path.read_bytes()


# --- the request -----------------------------------------------------------------------------

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


class VideoRequest(Frozen):
    """What the caller wants, in provider-neutral terms."""

    prompt: str = ""
    negative_prompt: str | None = None
    duration: Annotated[float, Field(gt=0, le=600)] | None = None
    resolution: Annotated[str, Field(pattern=RESOLUTION_PATTERN)] | None = None
    aspect_ratio: str | None = None
    size: str | None = None
    audio: bool | None = None
    image: ImageInput | None = None
    last_frame: ImageInput | None = None
    reference_images: tuple[ImageInput, ...] = ()
    seed: Annotated[int, Field(ge=0, lt=2**32)] | None = None
    # Continue a finished clip: a Job or VideoResult of the same provider, or a VideoRef.
    extend: VideoRef | None = None
    # Edit a video (video-to-video): only models with ``video_input`` take it; elsewhere
    # normalisation reports it dropped (strict: refuses).
    source_video: VideoInput | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("extend", mode="before")
    @classmethod
    def _extend_source(cls, value: Any) -> Any:
        return VideoRef.of(value)

    @field_validator("source_video", mode="before")
    @classmethod
    def _source_video(cls, value: Any) -> Any:
        return VideoInput.of(value)

    @field_validator("prompt")
    @classmethod
    def _prompt_text(cls, prompt: str) -> str:
        return prompt.strip()

    @field_validator("duration", mode="before")
    @classmethod
    def _numeric_duration(cls, value: Any) -> Any:
        if isinstance(value, bool) or (value is not None and not isinstance(value, int | float)):
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
            raise ValueError(f"duration must be a number of seconds, not {value!r}")
        return value

    @field_validator("aspect_ratio")
    @classmethod
    def _known_ratio(cls, ratio: str | None) -> str | None:
        if ratio is not None and ratio not in ASPECT_RATIOS:
            raise ValueError(f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}, "
                             f"not {ratio!r}")
        return ratio

    @field_validator("size")
    @classmethod
    def _size_shape(cls, size: str | None) -> str | None:
        if size is not None:
            parse_size(size)
        return size

    @model_validator(mode="after")
    def _consistent(self) -> VideoRequest:
        if (not self.prompt and self.image is None and self.extend is None
                and self.source_video is None):
            raise ValueError("prompt must not be empty (it may be omitted only with an image, "
                             "a video to extend or a source video)")
        if self.extend is not None and self.source_video is not None:
            raise ValueError("give extend (continue a clip) or source_video (edit a video), "
                             "not both")
        if self.last_frame is not None and self.image is None:
            raise ValueError("last_frame needs image (the first frame) as well")
        if self.size is not None:
            width, height = parse_size(self.size)
            if self.resolution is not None and self.resolution != resolution_of(width, height):
                raise ValueError(f"size {self.size} is {resolution_of(width, height)}, "
                                 f"which conflicts with resolution {self.resolution!r}")
            if self.aspect_ratio is not None and self.aspect_ratio != aspect_ratio_of(width,
                                                                                        height):
                raise ValueError(f"size {self.size} conflicts with aspect_ratio "
                                 f"{self.aspect_ratio!r}")
        return self

    @property
    def wanted_aspect_ratio(self) -> str | None:
        if self.size is not None:
            return aspect_ratio_of(*parse_size(self.size))
        return self.aspect_ratio

    @property
    def wanted_resolution(self) -> str | None:
        if self.size is not None:
            return resolution_of(*parse_size(self.size))
        return self.resolution


# --- capability tables -----------------------------------------------------------------------

class Lifecycle(Frozen):
    """Where a model stands: preview or GA, and the dates it is deprecated and retired."""

    stage: Literal["ga", "preview"] = "ga"
    deprecated_on: date | None = None
    retired_on: date | None = None
    successor: str | None = None
    note: str = ""
    # Retired although no source gives the date (e.g. dropped from the provider's SDK): the
    # model is never routed, and no date is invented for it.
    withdrawn: bool = False

    def status(self, today: date | None = None) -> Literal["available", "deprecated",
                                                            "retired"]:
        today = today or date.today()
        if self.withdrawn or (self.retired_on is not None and today >= self.retired_on):
            return "retired"
        if self.deprecated_on is not None and today >= self.deprecated_on:
            return "deprecated"
        return "available"

    def describe(self, today: date | None = None) -> str:
        """One sentence for warnings and skip reasons."""
        state = self.status(today)
        if state == "available":
            return "available" + (" (preview)" if self.stage == "preview" else "")
        when = self.retired_on if state == "retired" else self.deprecated_on
        since = f" since {when}" if when is not None else " (no date published)"
        successor = f"; suggested successor: {self.successor}" if self.successor else ""
        note = f" ({self.note})" if self.note else ""
        return f"{state}{since}{note}{successor}"


class Price(Frozen):
    """Price per second of output by resolution, in the provider's unit.

    ``usd_per_unit`` converts (Runway credits: 0.01; Kling units: pack-dependent, overridable
    in config). ``with_audio`` holds the rate when audio is generated, where it differs.
    """

    per_second: dict[str, float] = Field(default_factory=dict)
    with_audio: dict[str, float] = Field(default_factory=dict)
    unit: str = "usd"
    usd_per_unit: float = 1.0
    source: str = ""

    def usd(self, seconds: float, resolution: str, audio: bool,
            usd_per_unit: float | None = None) -> float | None:
        table = self.with_audio if audio and self.with_audio else self.per_second
        rate = table.get(resolution)
        if rate is None:
            return None
        return round(rate * seconds * (usd_per_unit or self.usd_per_unit), 6)


class RuleCondition(Frozen):
    """When a rule applies; every given condition must hold."""

    resolutions: tuple[str, ...] | None = None
    has_image: bool | None = None
    has_last_frame: bool | None = None
    has_reference_images: bool | None = None
    audio: bool | None = None

    def holds(self, *, resolution: str | None, has_image: bool, has_last_frame: bool,
              has_reference_images: bool, audio: bool | None) -> bool:
        checks = (
            (self.resolutions, resolution in (self.resolutions or ())),
            (self.has_image, has_image == self.has_image),
            (self.has_last_frame, has_last_frame == self.has_last_frame),
            (self.has_reference_images, has_reference_images == self.has_reference_images),
            (self.audio, audio == self.audio),
        )
        return all(ok for condition, ok in checks if condition is not None)

    def describe(self) -> str:
        parts = []
        if self.resolutions:
            parts.append(f"at {'/'.join(self.resolutions)}")
        for name, flag in (("an image", self.has_image), ("a last frame", self.has_last_frame),
                           ("reference images", self.has_reference_images),
                           ("audio", self.audio)):
            if flag is not None:
                parts.append(f"{'with' if flag else 'without'} {name}")
        return " and ".join(parts) or "always"


class Rule(Frozen):
    """A cross-field rule as data: when ``when`` holds, values are limited to these."""

    when: RuleCondition
    durations: tuple[int, ...] | None = None
    sizes: tuple[str, ...] | None = None
    audio: Literal["never", "always"] | None = None
    reason: str = ""


class ImageLimits(Frozen):
    """What an input image must be for this model; checked before any upload."""

    mime_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
    max_bytes: int | None = None
    min_side: int | None = None
    max_side: int | None = None
    min_aspect: float | None = None
    max_aspect: float | None = None
    must_match_size: bool = False


class ModelCapabilities(Frozen):
    """What one model accepts, as data read by normalisation, routing and docs alike."""

    durations: tuple[int, ...]
    sizes: dict[str, dict[str, str]]  # aspect ratio -> resolution -> "WxH"
    default_aspect_ratio: str | None = None
    default_resolution: str | None = None
    default_duration: int | None = None
    audio: AudioSupport = "never"
    supports_text: bool = True
    supports_image: bool = False
    supports_last_frame: bool = False
    max_reference_images: int = 0
    # Extension: continues a finished clip of this provider (VideoRequest.extend); the
    # added length comes from ``extend_durations`` (empty: the model's ``durations``).
    supports_extend: bool = False
    extend_durations: tuple[int, ...] = ()
    # Video-to-video: takes ``VideoRequest.source_video`` (Runway aleph2's ``videoUri``).
    video_input: bool = False
    supports_seed: bool = False
    supports_negative_prompt: bool = False
    # The provider POSTs to an HTTP URL given in the submit when the job changes state (Kling
    # ``callback_url``, Gemini API ``webhook_config``): the gateway then passes its per-job
    # callback URL as ``Plan.callback_url`` and polls at once when it is called.
    push_callbacks: bool = False
    max_prompt_length: int | None = None
    image_limits: ImageLimits = Field(default_factory=ImageLimits)
    rules: tuple[Rule, ...] = ()
    price: Price = Field(default_factory=Price)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    label: str = ""
    # Where this row's facts come from (an SDK file with its version, or a doc page) and the
    # day someone last checked them there; a row with neither is "unsourced", not "current".
    # Facts only a third party states say so in ``source`` (e.g. "LiteLLM catalog [3P]").
    source: str = ""
    verified_on: date | None = None

    @model_validator(mode="after")
    def _coherent(self) -> ModelCapabilities:
        if not self.durations or not self.sizes:
            raise ValueError("a model needs at least one duration and one size")
        for table in self.sizes.values():
            for size in table.values():
                parse_size(size)
        return self

    def verified_days_ago(self, today: date | None = None) -> int | None:
        """Days since ``verified_on`` (None when the row was never verified)."""
        if self.verified_on is None:
            return None
        return ((today or date.today()) - self.verified_on).days

    @property
    def all_sizes(self) -> tuple[str, ...]:
        return tuple(size for table in self.sizes.values() for size in table.values())

    @property
    def resolutions(self) -> tuple[str, ...]:
        found = {res for table in self.sizes.values() for res in table}
        return tuple(sorted(found, key=resolution_rank))


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


def as_request(value: VideoRequest | Mapping[str, Any]) -> VideoRequest:
    """Accept a request model or a plain mapping of its fields."""
    return value if isinstance(value, VideoRequest) else VideoRequest.model_validate(value)
