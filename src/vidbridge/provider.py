"""The contract every adapter implements: pure builders and parsers, no I/O.

An adapter turns a ``Plan`` into an ``httpx.Request`` and an ``httpx.Response`` into a
``Job`` or a typed ``ProviderError``. The engine owns the client, polling and download, so
one adapter serves the sync and the async client alike and is tested with bodies alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .models import Job, ModelCapabilities, Plan


class Credentials(BaseModel):
    """The context of every call to one provider: secrets, base URL and backend options.

    ``name`` is what a ``Job`` records (never the secret). Secrets are ``SecretStr`` and show
    as ``'**********'`` in every repr. ``token`` returns a fresh bearer token (e.g. a Vertex
    OAuth token) each time it is called.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True,
                              defer_build=True)

    name: str = "default"
    api_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    token: Callable[[], SecretStr | str] | None = Field(default=None, repr=False)
    base_url: str | None = None
    options: dict[str, str] = Field(default_factory=dict)

    def bearer(self) -> str:
        """The token to send: from ``token()`` when given, else the API key."""
        if self.token is not None:
            value = self.token()
            return value.get_secret_value() if isinstance(value, SecretStr) else value
        if self.api_key is None:
            raise ValueError(f"credential {self.name!r} has no api_key or token")
        return self.api_key.get_secret_value()

    def url(self, default: str) -> str:
        """The base URL to use: the configured override, else the provider's default."""
        return (self.base_url or default).rstrip("/")


@runtime_checkable
class VideoProvider(Protocol):
    """What an adapter offers. ``name`` is the entry-point name, config key and cassette folder.

    ``credential_env`` maps credential fields (``api_key``, ``secret_key``) to the environment
    variables conventionally holding them, used when no config names others.

    Optional: ``is_provider_error(response) -> bool``, True when an error answer's body is the
    provider's own error JSON. A submit answered 5xx counts as refused only then; any other
    5xx (a proxy's 502 page, an empty 504) may follow an accepted job, so it is *uncertain*
    (looked up where the adapter can, never resubmitted blindly).
    """

    name: str
    models: Mapping[str, ModelCapabilities]
    credential_env: Mapping[str, str]

    def check_credentials(self, creds: Credentials) -> None:
        """Raise ``ConfigError`` if the credentials or options cannot work (before any HTTP)."""

    def backend(self, creds: Credentials) -> str:
        """The backend these credentials select (e.g. Veo: ``gemini`` or ``vertex``), or ''."""

    def build_submit(self, plan: Plan, creds: Credentials) -> httpx.Request:
        """The request that creates a job for ``plan``."""

    def parse_submit(self, response: httpx.Response, plan: Plan) -> Job:
        """The accepted job, or raise the mapped ``ProviderError``."""

    def build_poll(self, job: Job, creds: Credentials) -> httpx.Request:
        """The request that reads a job's status."""

    def parse_job(self, response: httpx.Response, previous: Job) -> Job:
        """The job's new state from a poll response, or raise the mapped ``ProviderError``.

        A job the provider reports failed is returned with status ``failed`` (the engine
        raises); a result filtered by moderation raises ``ContentPolicyError``.
        """

    def build_download(self, job: Job, creds: Credentials,
                       variant: str = "video") -> httpx.Request | None:
        """The request that fetches the output, or None when the job carries it inline."""

    def build_cancel(self, job: Job, creds: Credentials) -> httpx.Request | None:
        """The request that cancels a running job, or None when the provider has no cancel."""

    def raise_for_error(self, response: httpx.Response) -> None:
        """Raise the mapped ``ProviderError`` if ``response`` is an error; else return."""
