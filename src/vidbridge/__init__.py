"""vidbridge: one interface in front of AI video-generation APIs.

Adapters (Sora, Veo, Runway, Kling, and any plugin) are found through the ``vidbridge``
entry-point group; requests are normalised to what each model accepts, and routes fall back
between providers without paying twice. Optional parts (CLI, simulator, gateway) load lazily.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from . import errors
from .errors import (
    AllCandidatesFailedError,
    AuthenticationError,
    CapabilityError,
    ConfigError,
    ContentPolicyError,
    DownloadFailedError,
    InsufficientCreditsError,
    InvalidRequestError,
    JobFailedError,
    JobTimeoutError,
    ModelUnavailableError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    SubmitInFlightError,
    SubmitUncertainError,
    VidbridgeError,
)
from .hookspecs import hookimpl

if _TYPE_CHECKING:
    from .client import AsyncVideoClient, VideoClient
    from .engine import PollPolicy
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
        VideoInput,
        VideoRequest,
        VideoResult,
    )
    from .normalisation import normalise
    from .plugins import get_model, get_provider, providers, register
    from .provider import Credentials, VideoProvider

__version__ = "0.1.0"

# Public names served from their modules on first use (PEP 562): `import vidbridge` stays
# light, and a program pays for the parts it touches (models, clients, plugin host).
_LAZY = {
    "client": ("AsyncVideoClient", "VideoClient"),
    "engine": ("PollPolicy",),
    "models": ("Adjustment", "Attempt", "ImageInput", "ImageLimits", "Job", "JobStatus",
               "Lifecycle", "ModelCapabilities", "Plan", "Price", "Rule", "RuleCondition",
               "VideoInput", "VideoRequest", "VideoResult"),
    "normalisation": ("normalise",),
    "plugins": ("get_model", "get_provider", "providers", "register"),
    "provider": ("Credentials", "VideoProvider"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}


_SUBMODULES = ("wire",)  # public modules loaded on first use (wire loads pydantic)


def __getattr__(name: str) -> _Any:
    if name in _SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'vidbridge' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME, *_SUBMODULES})


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
    "DownloadFailedError",
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
    "SubmitInFlightError",
    "SubmitUncertainError",
    "VidbridgeError",
    "VideoClient",
    "VideoInput",
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
    "wire",
]
