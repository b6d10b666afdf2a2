"""Model rows a config adds or overrides, so users need not wait for a release.

```toml
[models."kling:kling-v3-turbo"]
like = "kling:kling-v3:pro"          # start from this row of the adapter's table
durations = [5, 10]
price = { per_second = { "1080p" = 0.9 } }          # merged into the row's price
lifecycle = { deprecated_on = 2027-06-30, successor = "kling:kling-v4" }
```

Without ``like`` the key must name a model the adapter has, and the fields override it. Nested
tables (``price``, ``lifecycle``, ``image_limits``) merge key by key; every other field
replaces the row's value. The result is validated like a table row, and every error names
the file, the key path and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .errors import ConfigError
from .models import ModelCapabilities

MERGED = ("price", "lifecycle", "image_limits")


class DerivedModel:
    """A config row: the adapter row it starts from (``base``) and its capabilities."""

    __slots__ = ("base", "caps")

    def __init__(self, base: str, caps: ModelCapabilities) -> None:
        self.base, self.caps = base, caps


def resolve(entries: Mapping[str, Mapping[str, Any]], config: Any,
            known: Mapping[str, Any]) -> dict[tuple[str, str], DerivedModel]:
    """Check and build every ``[models."provider:model"]`` entry against the adapters."""
    resolved: dict[tuple[str, str], DerivedModel] = {}
    for key, entry in entries.items():
        where = f'{config.source}: models."{key}"'
        provider, sep, model = key.partition(":")
        if not sep or not model:
            raise ConfigError(f"{where}: the key must be 'provider:model'")
        if provider not in config.providers and provider not in known:
            raise ConfigError(f"{where}: provider {provider!r} is neither configured nor "
                              f"installed; [providers] has: "
                              f"{', '.join(config.providers) or 'none'}")
        adapter = known[config.plugin(provider)] if provider in config.providers else known[
            provider]
        fields = dict(entry)
        like = fields.pop("like", None)
        if like is None:
            base = model
            if base not in adapter.models:
                raise ConfigError(f"{where}: {adapter.name} has no model {model!r} to "
                                  "override; to add one, give like = \"provider:model\" "
                                  f"(allowed: {', '.join(adapter.models)})")
        else:
            like_provider, sep, base = str(like).partition(":")
            if not sep or like_provider != provider:
                raise ConfigError(f"{where}.like: must be '{provider}:<model>' (the same "
                                  f"provider), not {like!r}")
            if base not in adapter.models:
                raise ConfigError(f"{where}.like: {adapter.name} has no model {base!r}; "
                                  f"allowed: {', '.join(adapter.models)}")
        resolved[(provider, model)] = DerivedModel(base, merged(adapter.models[base], fields,
                                                                where))
    return resolved


def merged(caps: ModelCapabilities, fields: Mapping[str, Any], where: str) -> ModelCapabilities:
    row = caps.model_dump()
    unknown = sorted(set(fields) - set(row))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: like, "
                          f"{', '.join(sorted(row))}")
    for name, value in fields.items():
        if name in MERGED and isinstance(value, Mapping) and isinstance(row[name], dict):
            row[name] = {**row[name], **value}
        else:
            row[name] = value
    try:
        return ModelCapabilities.model_validate(row)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            lines.append(f"{where}{'.' + path if path else ''}: {message}")
        raise ConfigError("\n".join(lines)) from None
