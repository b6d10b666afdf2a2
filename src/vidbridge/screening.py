"""Which models may be sent at all, before any HTTP: the retired-model rule and the backend
rule (an id only some backends serve, such as Omni 1.1 Flash, on the Gemini API alone).

Routes skip such a candidate with the reason (``Router.screen``); one named directly
(``generate(model=...)``, a batch line, the gateway's ``model``) is refused like a value it
cannot take, naming the models that can be sent (``refuse_unsendable``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from .errors import CapabilityError, ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import Config
    from .models import ModelCapabilities
    from .provider import Credentials, VideoProvider


class ModelRules:
    """Mixed into ``ClientCore``, whose lookups it reads."""

    allow_retired: bool
    config: Config | None
    today: Callable[[], date]

    # ClientCore's lookups.
    def adapter(self, provider: str) -> VideoProvider:
        raise NotImplementedError

    def creds_for(self, provider: str, name: str | None = None) -> Credentials:
        raise NotImplementedError

    def capabilities(self, provider: str, model_id: str) -> ModelCapabilities:
        raise NotImplementedError

    def retired(self, provider: str, model_id: str, caps: ModelCapabilities) -> str | None:
        """Why ``provider:model`` is not sent (it is retired, and neither this client nor the
        provider's config entry allows retired models), else None. No HTTP: a retired model
        costs nothing to refuse, and its provider would only refuse it."""
        lifecycle = caps.lifecycle
        if self.allow_retired or lifecycle.status(self.today()) != "retired":
            return None
        entry = self.config.providers.get(provider) if self.config is not None else None
        if entry is not None and entry.allow_retired:
            return None
        return f"{provider}:{model_id} is {lifecycle.describe(self.today())}"

    def backend_of(self, provider: str) -> str:
        """The backend ``provider``'s credentials select, '' when unknown or unusable."""
        try:
            return self.adapter(provider).backend(self.creds_for(provider))
        except ConfigError:
            return ""

    def unserved(self, provider: str, model_id: str, caps: ModelCapabilities) -> str | None:
        """Why ``provider:model`` cannot be sent with the provider's credentials (their backend
        does not serve the id: Omni 1.1 Flash on Vertex), else None. No HTTP."""
        if not caps.backends:  # most rows: every backend serves them (no credential read)
            return None
        why = caps.not_served_on(self.backend_of(provider))
        return f"{provider}:{model_id} is {why}" if why else None

    def unsendable(self, provider: str, model_id: str, caps: ModelCapabilities) -> str | None:
        """Why ``provider:model`` is not sent at all (retired, else not served), or None."""
        return self.retired(provider, model_id, caps) or self.unserved(provider, model_id, caps)

    def sendable(self, provider: str) -> list[str]:
        """``provider:model`` of every model of the provider that these rules let through."""
        adapter = self.adapter(provider)
        known = (self.config.model_ids(provider, adapter) if self.config is not None
                 else list(adapter.models))
        return [f"{provider}:{model}" for model in known
                if self.unsendable(provider, model, self.capabilities(provider, model)) is None]

    def refuse_unsendable(self, provider: str, model_id: str, caps: ModelCapabilities) -> None:
        """A model named directly that is retired, or that the configured backend does not
        serve: refused like a value it cannot take, with the models that can be sent."""
        reason = self.unsendable(provider, model_id, caps)
        if reason is None:
            return
        retired = self.retired(provider, model_id, caps) is not None
        live = self.sendable(provider)
        served = "still served" if retired else f"on the {self.backend_of(provider)} backend"
        hint = (f"; if your base URL still serves it, set allow_retired = true under "
                f"[providers.{provider}]") if retired else ""
        raise CapabilityError(
            f"{reason}; nothing was sent. Models of {provider} {served}: "
            f"{', '.join(live) or 'none (see vidbridge models for other providers)'}{hint}",
            field="model", allowed=live, model=f"{provider}:{model_id}")
