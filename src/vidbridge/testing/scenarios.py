"""The contract scenarios as data: the request each sends, what it must end in, and how the
model it runs on is picked from the adapter's own table."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources

from pydantic import SecretStr

from ..errors import (
    AuthenticationError,
    CapabilityError,
    ConfigError,
    ContentPolicyError,
    InsufficientCreditsError,
    InvalidRequestError,
    JobFailedError,
    ModelUnavailableError,
    ProviderError,
    RateLimitError,
)
from ..models import ImageInput, ModelCapabilities, VideoRequest
from ..normalisation import normalise
from ..provider import Credentials, VideoProvider

PROMPT = "A paper boat drifts down a rain-soaked street at dusk; the camera follows it."


@functools.cache
def sample_png() -> bytes:
    """The suite's input image: a 1280x720 PNG made once with Pillow and shipped as data.

    Shipped rather than drawn at test time because a cassette pins the request body, and
    PNG encoders (zlib builds) differ between machines. 1280x720 fits Sora (it must match the
    video size), Runway and Kling limits.
    """
    return resources.files(__package__).joinpath("frame_1280x720.png").read_bytes()


def text_request() -> VideoRequest:
    return VideoRequest(prompt=PROMPT, duration=4, aspect_ratio="16:9", resolution="720p")


def long_text_request() -> VideoRequest:
    """The text request at the longest duration the model makes (normalisation picks it):
    where a table and a live API most often disagree, so a realistic 400 fits it."""
    return VideoRequest(prompt=PROMPT, duration=60, aspect_ratio="16:9", resolution="720p")


def image_request() -> VideoRequest:
    return VideoRequest(prompt=PROMPT, duration=4, aspect_ratio="16:9",
                        image=ImageInput(data=sample_png(), mime_type="image/png"))


RequestFactory = Callable[[], VideoRequest]
ANY_INPUT: tuple[RequestFactory, ...] = (text_request, image_request)


@dataclass(frozen=True)
class Scenario:
    """One contract scenario: the requests it may send, and the error it must raise.

    ``requests`` are tried in order against each model (error scenarios take an image request
    when a model makes no text-to-video); ``raises`` None means the job must succeed.
    ``optional`` scenarios skip when the provider has no cassette for them (not every API
    has that error); a required one fails instead, naming the cassette to write.
    """

    name: str
    requests: tuple[RequestFactory, ...]
    raises: type[ProviderError] | None = None
    retired_model: bool = False
    optional: bool = False


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("text_to_video", (text_request,)),
    Scenario("image_to_video", (image_request,)),
    Scenario("job_failed", ANY_INPUT, JobFailedError),
    Scenario("rate_limited", ANY_INPUT, RateLimitError),
    Scenario("auth_error", ANY_INPUT, AuthenticationError),
    Scenario("invalid_parameter", ANY_INPUT, InvalidRequestError),
    Scenario("content_policy", ANY_INPUT, ContentPolicyError),
    Scenario("model_retired", ANY_INPUT, ModelUnavailableError, retired_model=True),
    Scenario("insufficient_credits", ANY_INPUT, InsufficientCreditsError, optional=True),
)}


@dataclass(frozen=True)
class Case:
    """What one scenario runs: ``provider:model`` and the request it sends."""

    model: str
    request: VideoRequest


class NoModel(Exception):
    """No model in the table can serve a scenario; the message is the table's reason."""


def fake_credentials(provider: VideoProvider, name: str = "contract",
                     options: Mapping[str, str] | None = None) -> Credentials:
    """Placeholder secrets for replay: one per field the provider reads from the environment.

    Each is 40 characters, long enough for HMAC-signed tokens (Kling) not to warn.
    """
    secrets = {field: SecretStr(f"test-{field.replace('_', '-')}-".ljust(40, "0"))
               for field in provider.credential_env}
    return Credentials(name=name, options=dict(options or {}), **secrets)


def pick_case(provider: VideoProvider, scenario: Scenario, creds: Credentials,
              today: date | None = None) -> Case:
    """The first model of the table (and request) that can serve ``scenario`` with ``creds``.

    "Can serve" means the request normalises for the model and the adapter builds a submit
    for it with these credentials (an adapter refuses, before any HTTP, a model its configured
    backend does not serve). Models with no retirement date come first, so the choice does
    not drift as dates pass; ``model_retired`` takes the earliest-retired model instead.
    Raises ``NoModel`` with the table's reasons when none fits.
    """
    reasons: list[str] = []
    candidates: list[tuple[str, ModelCapabilities]] = list(provider.models.items())
    if scenario.retired_model:
        candidates = [(model, caps) for model, caps in candidates
                      if caps.lifecycle.status(today) == "retired"]
        if not candidates:
            raise NoModel(f"no {provider.name} model is retired in its capability table")
        candidates.sort(key=lambda item: item[1].lifecycle.retired_on or date.max)
    else:
        candidates.sort(key=lambda item: item[1].lifecycle.retired_on is not None)
    provider.check_credentials(creds)  # wrong suite credentials are a failure, not a skip
    for model, caps in candidates:
        for make_request in scenario.requests:
            request = make_request()
            try:
                plan = normalise(request, caps, provider=provider.name, model=model,
                                 today=today)
                provider.build_submit(plan, creds)
            except CapabilityError as refused:
                reasons.append(str(refused))
                continue
            except (ConfigError, ProviderError) as refused:
                reasons.append(f"{provider.name}:{model}: {refused}")
                continue
            return Case(f"{provider.name}:{model}", request)
    raise NoModel(f"no {provider.name} model can serve {scenario.name}: " + "; ".join(reasons))
