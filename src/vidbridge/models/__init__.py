"""The data vidbridge speaks: requests, capability tables, plans, jobs and results.

Every model is frozen and refuses unknown fields, so a mistyped field fails by name.
The parts: ``_base`` (vocabularies, sizes), ``_media`` (input images and videos),
``_request`` (VideoRequest), ``_capabilities`` (ModelCapabilities and its tables),
``_results`` (Plan, Job, Attempt, VideoResult, VideoRef); import them from here.
"""

from __future__ import annotations

from ._base import (
    ASPECT_RATIOS,
    RATIO_TOLERANCE,
    RESOLUTION_PATTERN,
    SIZE_PATTERN,
    TERMINAL_STATUSES,
    AudioSupport,
    Frozen,
    JobStatus,
    Policy,
    aspect_ratio_of,
    parse_size,
    resolution_of,
    resolution_rank,
)
from ._capabilities import ImageLimits, Lifecycle, ModelCapabilities, Price, Rule, RuleCondition
from ._media import IMAGE_MIME_TYPES, ImageInput, VideoInput, sniff_image_type, sniff_video_type
from ._request import VideoRequest, as_request
from ._results import Adjustment, Attempt, AttemptOutcome, Job, Plan, VideoRef, VideoResult

__all__ = [
    "ASPECT_RATIOS", "IMAGE_MIME_TYPES", "RATIO_TOLERANCE", "RESOLUTION_PATTERN", "SIZE_PATTERN",
    "TERMINAL_STATUSES", "Adjustment", "Attempt", "AttemptOutcome", "AudioSupport", "Frozen",
    "ImageInput", "ImageLimits", "Job", "JobStatus", "Lifecycle", "ModelCapabilities", "Plan",
    "Policy", "Price", "Rule", "RuleCondition", "VideoInput", "VideoRef", "VideoRequest",
    "VideoResult", "as_request", "aspect_ratio_of", "parse_size", "resolution_of",
    "resolution_rank", "sniff_image_type", "sniff_video_type",
]
