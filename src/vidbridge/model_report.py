"""What ``vidbridge models`` shows, as data: every model row (the adapters' tables plus the
config's ``[models]``), each route's candidates with their lifecycle, and the stale report —
rows not verified in ``STALE_AFTER_DAYS`` and route candidates that are deprecated or
retired (with the date and the suggested successor). The CLI only prints these dicts, so
``--json`` gives exactly the data the table shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import Config
    from .models import ModelCapabilities
    from .provider import VideoProvider

STALE_AFTER_DAYS = 90


def _entries(adapters: Mapping[str, VideoProvider], config: Config | None,
             provider: str | None) -> list[tuple[str, VideoProvider]]:
    """(name routes use, adapter): the installed adapters, plus config entries naming one."""
    names: dict[str, VideoProvider] = dict(adapters)
    if config is not None:
        for key in config.providers:
            plugin = config.plugin(key)
            if plugin in adapters:
                names[key] = adapters[plugin]
    if provider is not None:
        if provider not in names:
            from .errors import ConfigError

            raise ConfigError(f"unknown provider {provider!r}; known providers: "
                              f"{', '.join(sorted(names))}")
        return [(provider, names[provider])]
    return sorted(names.items())


def _caps(config: Config | None, provider: str, model: str,
          adapter: VideoProvider) -> ModelCapabilities | None:
    if config is not None:
        return config.model_caps(provider, model, adapter)
    return adapter.models.get(model)


def model_row(name: str, caps: ModelCapabilities, today: date, *,
              added: bool = False, backend: str = "") -> dict[str, Any]:
    """One row; ``backend`` is the one the config's entry selects ('' when unknown): a live
    id it does not serve is ``not served`` rather than live."""
    life = caps.lifecycle
    status: str = life.status(today)
    lifecycle = life.describe(today)
    if (why := _not_served(caps, today, backend)) is not None:
        status, lifecycle = "not served", f"{why}; {lifecycle}"
    inputs = [label for label, ok in (
        ("text", caps.supports_text), ("image", caps.supports_image),
        ("last frame", caps.supports_last_frame),
        (f"{caps.max_reference_images} refs", caps.max_reference_images),
        ("extend", caps.supports_extend), ("seed", caps.supports_seed)) if ok]
    return {
        "model": name, "durations": list(caps.durations), "sizes": list(caps.all_sizes),
        "resolutions": list(caps.resolutions), "audio": caps.audio, "inputs": inputs,
        "backends": list(caps.backends),  # empty: every backend of the provider
        "price": {"unit": caps.price.unit, "per_second": dict(caps.price.per_second)},
        "status": status, "lifecycle": lifecycle,
        "deprecated_on": life.deprecated_on, "retired_on": life.retired_on,
        "successor": life.successor, "source": caps.source,
        "verified_on": caps.verified_on, "verified_days_ago": caps.verified_days_ago(today),
        "from_config": added}


def model_rows(adapters: Mapping[str, VideoProvider], config: Config | None = None, *,
               provider: str | None = None, today: date | None = None) -> list[dict[str, Any]]:
    """Every model row; with a config, its ``[models]`` rows too (``from_config``)."""
    today = today or date.today()
    rows = []
    for name, adapter in _entries(adapters, config, provider):
        ids = config.model_ids(name, adapter) if config is not None else list(adapter.models)
        for model in ids:
            caps = _caps(config, name, model, adapter)
            if caps is None:
                continue
            added = config is not None and config.added_model(name, model)
            backend = _backend(config, name, adapter) if config is not None and caps.backends \
                else ""
            rows.append(model_row(f"{name}:{model}", caps, today, added=added, backend=backend))
    return rows


def route_rows(config: Config, adapters: Mapping[str, VideoProvider], *,
               today: date | None = None) -> list[dict[str, Any]]:
    """Each route's candidates with their lifecycle, and its first live candidate."""
    today = today or date.today()
    rows = []
    for route, entry in config.routes.items():
        candidates: list[dict[str, Any]] = []
        for spec in entry.candidates:
            provider, _, model = spec.partition(":")
            adapter = adapters.get(config.plugin(provider))
            caps = _caps(config, provider, model, adapter) if adapter else None
            if caps is None:
                candidates.append({"candidate": spec, "status": "unknown",
                                   "lifecycle": "not in any installed adapter"})
                continue
            allowed = config.providers[provider].allow_retired if (
                provider in config.providers) else False
            backend = _backend(config, provider, adapter) if caps.backends and adapter else ""
            if (why := _not_served(caps, today, backend)) is not None:
                candidates.append({"candidate": spec, "status": "not served", "lifecycle": why})
                continue
            candidates.append({"candidate": spec, "status": caps.lifecycle.status(today),
                               "lifecycle": caps.lifecycle.describe(today),
                               "allow_retired": allowed})
        live = next((c for c in candidates if c["status"] == "available"
                     or (c["status"] == "deprecated")
                     or (c["status"] == "retired" and c.get("allow_retired"))), None)
        warning = None
        if live is None:
            warning = "no live candidate: every candidate is retired or not served"
        elif live["status"] != "available":
            warning = f"first live candidate {live['candidate']} is {live['lifecycle']}"
        rows.append({"route": route, "candidates": candidates,
                     "first_live": live["candidate"] if live else None, "warning": warning})
    return rows


def _not_served(caps: ModelCapabilities, today: date, backend: str) -> str | None:
    """Why ``backend`` cannot send a live row; a retired one stays retired (it says more)."""
    return None if caps.lifecycle.status(today) == "retired" else caps.not_served_on(backend)


def _backend(config: Config, provider: str, adapter: VideoProvider) -> str:
    """The backend a provider entry's options select (no secret is read: none is needed)."""
    if provider not in config.providers:
        return ""
    try:
        return adapter.backend(config.credentials(provider, environ={}))
    except ConfigError:
        return ""


def stale_report(adapters: Mapping[str, VideoProvider], config: Config | None = None, *,
                 today: date | None = None,
                 max_age_days: int = STALE_AFTER_DAYS) -> dict[str, list[dict[str, Any]]]:
    """Rows not verified within ``max_age_days`` (or never), and every route candidate that
    is deprecated or retired, with its date and suggested successor."""
    today = today or date.today()
    stale = []
    for row in model_rows(adapters, config, today=today):
        age = row["verified_days_ago"]
        if age is None or age > max_age_days:
            stale.append({key: row[key] for key in (
                "model", "source", "verified_on", "verified_days_ago", "status", "from_config")})
    candidates = []
    if config is not None:
        for route in route_rows(config, adapters, today=today):
            for candidate in route["candidates"]:
                if candidate["status"] not in ("deprecated", "retired"):
                    continue
                provider, _, model = candidate["candidate"].partition(":")
                adapter = adapters[config.plugin(provider)]
                caps = config.model_caps(provider, model, adapter)
                assert caps is not None
                life = caps.lifecycle
                candidates.append({
                    "route": route["route"], "candidate": candidate["candidate"],
                    "status": candidate["status"],
                    "date": life.retired_on if candidate["status"] == "retired"
                    else life.deprecated_on,
                    "successor": life.successor, "lifecycle": candidate["lifecycle"]})
    return {"stale_rows": stale, "route_candidates": candidates}
