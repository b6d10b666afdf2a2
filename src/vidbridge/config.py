"""The TOML config: providers (credentials by env var name), routes, aliases, limits.

Everything is checked when the file loads, against the registered adapters, so a typo in a
route or a missing key fails at start-up with the file, the key path and what is allowed —
not at the first request.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import httpx
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ERROR_KINDS, ConfigError
from .limits import DEFAULT_MAX_CONCURRENT
from .models import ModelCapabilities, Policy
from .provider import Credentials

DEFAULT_FALLBACK_ON = ("rate_limited", "unavailable", "model_unavailable", "capability",
                       "timeout")
ROUTE_ERROR_KINDS = tuple(sorted(ERROR_KINDS))
POLL_INTERVAL_MAX_S = 600.0  # [gateway] poll_interval_s / serve --poll-interval: 0 < s <= this


def check_poll_interval(seconds: float) -> float:
    """A fixed poll interval in seconds, or ValueError saying what is allowed (NaN too)."""
    if not 0 < seconds <= POLL_INTERVAL_MAX_S:
        raise ValueError(f"{seconds!r} is out of range: allowed more than 0 and at most "
                         f"{POLL_INTERVAL_MAX_S:g} seconds (unset: the provider's pace)")
    return seconds


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProviderConfig(_Section):
    """One provider entry; its table key is the name routes use (``veo`` in ``veo:model``)."""

    plugin: str | None = None  # defaults to the table key
    api_key_env: str | None = None
    secret_key_env: str | None = None
    token_env: str | None = None  # a bearer token read at each call (e.g. Vertex OAuth)
    api_key: SecretStr | None = None  # literal keys only for loopback base URLs (simulator)
    secret_key: SecretStr | None = None
    base_url: str | None = None
    timeout_s: float = Field(default=60.0, gt=0)
    # Requests in flight to this provider at once (the rest queue); the HTTP pool matches.
    max_concurrent: int = Field(default=DEFAULT_MAX_CONCURRENT, ge=1, le=4096)
    usd_per_unit: float | None = Field(default=None, gt=0)
    allow_retired: bool = False  # the base URL still serves retired models (reseller, archive)
    required: bool = True  # False: a missing env var disables the provider instead of failing
    options: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _no_literal_secrets(self) -> ProviderConfig:
        literal = [name for name in ("api_key", "secret_key") if getattr(self, name)]
        if literal and not is_loopback(self.base_url):
            raise ValueError(f"{' and '.join(literal)} must not be written in the file: name "
                             f"the environment variable instead ({literal[0]}_env = \"...\"); "
                             "literal keys are accepted only for a loopback base_url such as "
                             "the simulator")
        return self


class RouteConfig(_Section):
    """An ordered list of candidates and how to move between them."""

    candidates: list[str]
    policy: Policy = "nearest"
    fallback_on: list[str] = Field(default_factory=lambda: list(DEFAULT_FALLBACK_ON))
    retries: int = Field(default=2, ge=0, le=10)
    deadline_s: float = Field(default=20 * 60, gt=0)
    budget_usd: float | None = Field(default=None, ge=0)
    order: Literal["listed", "cheapest"] = "listed"
    on_uncertain: Literal["stop", "continue"] = "stop"

    @model_validator(mode="after")
    def _valid(self) -> RouteConfig:
        if not self.candidates:
            raise ValueError("a route needs at least one candidate ('provider:model')")
        duplicates = sorted({c for c in self.candidates if self.candidates.count(c) > 1})
        if duplicates:
            raise ValueError(f"duplicate candidates: {', '.join(duplicates)}")
        unknown = sorted(set(self.fallback_on) - set(ROUTE_ERROR_KINDS))
        if unknown:
            raise ValueError(f"unknown error kind(s) {', '.join(unknown)} in fallback_on; "
                             f"allowed: {', '.join(ROUTE_ERROR_KINDS)}")
        return self


class BreakerConfig(_Section):
    failures: int = Field(default=3, ge=1)
    cooldown_s: float = Field(default=60.0, gt=0)


class GatewayKeyConfig(_Section):
    """A named gateway key (``[gateway.keys.team-a]``): its secret's variable, its budget."""

    secret_env: str
    budget_usd: float | None = Field(default=None, ge=0)
    budget_period: Literal["day", "month"] = "month"
    routes: list[str] | None = None  # what this key may use; None: every route


WebhookEvent = Literal["video.completed", "video.failed"]


def _every_event() -> list[WebhookEvent]:
    return ["video.completed", "video.failed"]


class WebhookConfig(_Section):
    """One ``[[gateway.webhooks]]`` endpoint: OpenAI-format events, Standard Webhooks signed."""

    url: str
    secret_env: str  # the variable holding the endpoint's whsec_... secret
    events: list[WebhookEvent] = Field(default_factory=_every_event, min_length=1)
    key: str | None = None  # only this gateway key's videos (default: every key's)

    @model_validator(mode="after")
    def _http_url(self) -> WebhookConfig:
        if urlparse(self.url).scheme not in ("http", "https") or not urlparse(self.url).netloc:
            raise ValueError(f"url {self.url!r} is not an http(s) URL")
        return self


class QueueConfig(_Section):
    """``[gateway.queues.<provider>]``: what the provider's account allows, shared by every
    gateway worker on one database (DBOS enforces it across all of them)."""

    max_concurrent: int | None = Field(default=None, ge=1)  # jobs in flight at once
    rate_limit: int | None = Field(default=None, ge=1)  # starts per rate_period_s
    rate_period_s: float = Field(default=60.0, gt=0)


class GatewayConfig(_Section):
    # With a database URL, jobs run as DBOS durable workflows: ``sqlite:///path`` for one
    # worker, ``postgresql://...`` for any number of workers sharing one database (read from
    # ``database_url_env`` when unset here, so the password stays out of the file).
    database_url: str | None = None
    database_url_env: str = "VIDBRIDGE_DATABASE_URL"
    worker_timeout_s: float = Field(default=30.0, gt=0)  # silent this long: a worker is dead
    queues: dict[str, QueueConfig] = Field(default_factory=dict)
    # Named key -> queue priority (1 runs first); keys not listed run after every listed one.
    priorities: dict[str, int] = Field(default_factory=dict)
    keys_env: str = "VIDBRIDGE_GATEWAY_KEYS"
    keys: dict[str, GatewayKeyConfig] = Field(default_factory=dict)  # named keys, budgets
    admin_keys_env: str = "VIDBRIDGE_ADMIN_KEYS"  # the dashboard's keys, never API keys
    database: str | None = None
    output_dir: str | None = None
    max_body_mb: float = Field(default=25.0, gt=0)
    max_concurrent_per_key: int = Field(default=4, ge=1)
    retention_s: float = Field(default=3600.0, gt=0)  # finished videos stay downloadable
    route: str | None = None
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    # The gateway's address as others reach it (https://videos.example.com): the base of
    # signed download links and of the callback URLs given to providers that push.
    public_url: str | None = None
    # Provider push as a poll trigger: models that push (Kling, Gemini API) are given a
    # per-job {public_url}/callbacks/{provider}/{token} URL, and a call to it polls the job at
    # once (the body is never trusted; polling stays on). Needs public_url.
    callbacks: bool = False
    link_secret_env: str = "VIDBRIDGE_LINK_SECRET"  # HMAC key of signed content links
    link_ttl_s: float = Field(default=3600.0, gt=0)
    # Slow clients are cut off (gateway/timeouts.py): a complete request head within
    # header_timeout_s of connecting, the whole body within body_timeout_s of its first byte.
    header_timeout_s: float = Field(default=10.0, gt=0, le=3600)
    body_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    # Seconds between the status polls of every job the gateway runs (unset: the provider's
    # pace, 2 s growing x1.5 up to 20 s and at least an adapter's documented minimum).
    poll_interval_s: float | None = None

    @field_validator("poll_interval_s")
    @classmethod
    def _poll_interval(cls, value: float | None) -> float | None:
        return None if value is None else check_poll_interval(value)


class CompatConfig(_Section):
    """``[compat]``: the ``vidbridge.compat`` clients' video store."""

    # SQLite file of the compat clients' videos (default: ``compat.sqlite3`` beside the
    # ledger, so ids outlive the process); ":memory:" keeps them for one process only.
    store: str | None = None


class Config(_Section):
    """A whole config file."""

    default_route: str = "default"
    ledger: str | None = None
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    routes: dict[str, RouteConfig] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)
    breaker: BreakerConfig = Field(default_factory=BreakerConfig)
    gateway: GatewayConfig = Field(default_factory=GatewayConfig)
    compat: CompatConfig = Field(default_factory=CompatConfig)
    # [models."provider:model"]: rows added (``like``) or overridden; see model_overrides.
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    source: str = "<config>"
    _models: dict[tuple[str, str], Any] = PrivateAttr(default_factory=dict)

    # -- model rows: the adapter's table plus the config's [models] ------------------------
    def model_caps(self, provider: str, model: str, adapter: Any) -> ModelCapabilities | None:
        """The row for ``provider:model``: the config's when it has one, else the adapter's."""
        derived = self._models.get((provider, model))
        caps: ModelCapabilities | None = (derived.caps if derived is not None
                                          else adapter.models.get(model))
        return caps

    def base_model(self, provider: str, model: str) -> str:
        """The adapter row a model derives from (itself unless added with ``like``)."""
        derived = self._models.get((provider, model))
        return derived.base if derived is not None else model

    def added_model(self, provider: str, model: str) -> bool:
        """Whether ``provider:model`` is a row of the config's [models] table."""
        return (provider, model) in self._models

    def model_ids(self, provider: str, adapter: Any) -> list[str]:
        """Every model id of ``provider``: the adapter's, then the ones the config adds."""
        added = [model for (name, model) in self._models if name == provider
                 and model not in adapter.models]
        return [*adapter.models, *added]

    # -- lookups used by clients -----------------------------------------------------------
    def plugin(self, provider: str) -> str:
        entry = self.providers.get(provider)
        return (entry.plugin or provider) if entry else provider

    def credentials(self, provider: str, environ: Mapping[str, str] | None = None) -> Credentials:
        """Credentials for a provider entry, secrets read from the variables it names."""
        env = os.environ if environ is None else environ
        entry = self.providers[provider]
        secrets: dict[str, Any] = {}
        for field in ("api_key", "secret_key"):
            var = getattr(entry, f"{field}_env")
            if var and env.get(var):
                secrets[field] = SecretStr(env[var])
            elif getattr(entry, field) is not None:
                secrets[field] = getattr(entry, field)
        token = None
        if entry.token_env:
            var = entry.token_env

            def token() -> SecretStr:  # read at each call, so a refreshed token is used
                return SecretStr(os.environ.get(var, ""))

        return Credentials(name=provider, base_url=entry.base_url, options=dict(entry.options),
                           token=token, **secrets)

    def missing_env(self, provider: str, environ: Mapping[str, str] | None = None) -> list[str]:
        """Environment variables the entry names that are not set."""
        env = os.environ if environ is None else environ
        entry = self.providers[provider]
        named = [entry.api_key_env, entry.secret_key_env, entry.token_env]
        return [var for var in named if var and not env.get(var)]

    def env_hint(self, provider: str) -> str:
        entry = self.providers.get(provider)
        named = [v for v in (entry.api_key_env, entry.secret_key_env, entry.token_env) if v] \
            if entry else []
        return " and ".join(f"${name}" for name in named) or "its credentials"

    def route(self, name: str) -> tuple[str, RouteConfig]:
        """A route by name or alias."""
        target = self.aliases.get(name, name)
        if target not in self.routes:
            raise ConfigError(f"{self.source}: no route or alias {name!r}; routes: "
                              f"{', '.join(self.routes) or 'none'}; aliases: "
                              f"{', '.join(self.aliases) or 'none'}")
        return target, self.routes[target]

    def usd_per_unit(self, provider: str) -> float | None:
        entry = self.providers.get(provider)
        return entry.usd_per_unit if entry else None

    def ledger_path(self) -> Path | None:
        return Path(os.path.expanduser(self.ledger)) if self.ledger else None

    def max_concurrent(self, provider: str) -> int | None:
        entry = self.providers.get(provider)
        return entry.max_concurrent if entry else None

    def http_timeout(self) -> httpx.Timeout:
        longest = max((p.timeout_s for p in self.providers.values()), default=60.0)
        return httpx.Timeout(longest, connect=10.0)


def is_loopback(url: str | None) -> bool:
    if not url:
        return False
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_config(path: str | Path | None = None, *, pm: Any = None,
                environ: Mapping[str, str] | None = None, today: date | None = None,
                check_env: bool = True) -> Config:
    """Read, validate and cross-check a config file (``path``, else ``$VIDBRIDGE_CONFIG``)."""
    env = os.environ if environ is None else environ
    location = path or env.get("VIDBRIDGE_CONFIG")
    if not location:
        raise ConfigError("no config: pass a path or set VIDBRIDGE_CONFIG "
                          "(see examples/vidbridge.toml)")
    file = Path(location)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config path {file} is a directory, not a TOML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text (byte {exc.start}): TOML files are "
                          "UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"config file {file} cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse_config(raw, source=str(file), pm=pm, environ=env, check_env=check_env)


def parse_config(raw: Mapping[str, Any], *, source: str = "<config>", pm: Any = None,
                 environ: Mapping[str, str] | None = None, check_env: bool = True) -> Config:
    """Validate a config mapping (as read from TOML) and check it against the adapters.

    ``check_env=False`` skips the credential checks (for listing what a config routes to on
    a machine without its keys, e.g. ``vidbridge models -c``)."""
    try:
        config = Config.model_validate({**raw, "source": source})
    except ValidationError as exc:
        raise ConfigError(_explain(exc, source)) from None
    _cross_check(config, pm, os.environ if environ is None else environ, check_env)
    return config


def _explain(exc: ValidationError, source: str) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{source}: {where}: {message}")
    return "\n".join(lines)


def _cross_check(config: Config, pm: Any, env: Mapping[str, str],
                 check_env: bool = True) -> None:
    from .plugins import providers

    known = providers(pm)
    source = config.source
    for key, entry in config.providers.items():
        plugin = entry.plugin or key
        if plugin not in known:
            raise ConfigError(f"{source}: providers.{key}: unknown plugin {plugin!r}; "
                              f"installed: {', '.join(known)}")
        if not check_env:
            continue
        missing = config.missing_env(key, env)
        if missing and entry.required:
            raise ConfigError(f"{source}: providers.{key}: environment variable "
                              f"{', '.join(missing)} is not set (set it, or mark the provider "
                              "required = false)")
        if not missing:
            known[plugin].check_credentials(config.credentials(key, env))
    from .model_overrides import resolve

    config._models = resolve(config.models, config, known)
    for name, route in config.routes.items():
        for index, candidate in enumerate(route.candidates):
            provider, sep, model = candidate.partition(":")
            where = f"{source}: routes.{name}.candidates[{index}]"
            if not sep or not model:
                raise ConfigError(f"{where}: {candidate!r} is not 'provider:model'")
            if provider not in config.providers:
                raise ConfigError(f"{where}: provider {provider!r} is not configured; "
                                  f"[providers] has: {', '.join(config.providers) or 'none'}")
            adapter = known[config.plugin(provider)]
            if config.model_caps(provider, model, adapter) is None:
                raise ConfigError(f"{where}: {adapter.name} has no model {model!r}; allowed: "
                                  f"{', '.join(config.model_ids(provider, adapter))} (or add "
                                  f'it: [models."{provider}:{model}"] with like = ...)')
    for alias, target in config.aliases.items():
        if target not in config.routes:
            raise ConfigError(f"{source}: aliases.{alias}: route {target!r} does not exist; "
                              f"routes: {', '.join(config.routes) or 'none'}")
    if config.routes and config.default_route not in config.routes:
        raise ConfigError(f"{source}: default_route: {config.default_route!r} is not a route; "
                          f"routes: {', '.join(config.routes)}")
    if config.gateway.route is not None and config.gateway.route not in config.routes:
        raise ConfigError(f"{source}: gateway.route: {config.gateway.route!r} is not a route")
    for key_name, named in config.gateway.keys.items():
        for allowed in named.routes or ():
            if allowed not in config.routes and allowed not in config.aliases:
                raise ConfigError(f"{source}: gateway.keys.{key_name}.routes: {allowed!r} is not a "
                                  f"route or alias; routes: {', '.join(config.routes) or 'none'}")
