"""vidbridge: one interface in front of AI video-generation APIs.

Adapters (Sora, Veo, Runway, Kling, and any plugin) are found through the ``vidbridge``
entry-point group; requests are normalised to what each model accepts, and routes fall back
between providers without paying twice. Optional parts (CLI, simulator, gateway) load lazily.
"""

from __future__ import annotations

from . import errors
from .client import AsyncVideoClient, VideoClient
from .engine import PollPolicy
from .errors import (
    AllCandidatesFailedError,
    AuthenticationError,
    CapabilityError,
    ConfigError,
    ContentPolicyError,
    InsufficientCreditsError,
    InvalidRequestError,
    JobFailedError,
    JobTimeoutError,
    ModelUnavailableError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    SubmitUncertainError,
    VidbridgeError,
)
from .hookspecs import hookimpl
from .models import (
    Adjustment,
    Attempt,
    ImageInput,
    ImageLimits,
    Job,
    JobStatus,
    Lifecycle,
    ModelCapabilities,
    Plan,
    Price,
    Rule,
    RuleCondition,
    VideoRequest,
    VideoResult,
)
from .normalise import normalise
from .plugins import get_model, get_provider, providers, register
from .provider import Credentials, VideoProvider

__version__ = "0.1.0"

__all__ = [
    "Adjustment",
    "AllCandidatesFailedError",
    "AsyncVideoClient",
    "Attempt",
    "AuthenticationError",
    "CapabilityError",
    "ConfigError",
    "ContentPolicyError",
    "Credentials",
    "ImageInput",
    "ImageLimits",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "Job",
    "JobFailedError",
    "JobStatus",
    "JobTimeoutError",
    "Lifecycle",
    "ModelCapabilities",
    "ModelUnavailableError",
    "Plan",
    "PollPolicy",
    "Price",
    "ProviderError",
    "ProviderUnavailableError",
    "RateLimitError",
    "Rule",
    "RuleCondition",
    "SubmitUncertainError",
    "VidbridgeError",
    "VideoClient",
    "VideoProvider",
    "VideoRequest",
    "VideoResult",
    "errors",
    "get_model",
    "get_provider",
    "hookimpl",
    "normalise",
    "providers",
    "register",
]
