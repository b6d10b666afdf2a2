"""Config errors name the file, the key path and what is allowed, at load time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vidbridge import ConfigError, VideoClient
from vidbridge.config import load_config, parse_config

from .fakes import Acme
from .helpers import acme_pm

ENV = {"ALPHA_KEY": "k"}


def base() -> dict[str, Any]:
    return {"providers": {"alpha": {"api_key_env": "ALPHA_KEY"}},
            "routes": {"default": {"candidates": ["alpha:motion-2"]}}}


def refused(raw: dict[str, Any], environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, source="vb.toml", pm=acme_pm(Acme("alpha")),
                     environ=ENV if environ is None else environ)
    return str(caught.value)


def route(**fields: Any) -> dict[str, Any]:
    raw = base()
    raw["routes"]["default"].update(fields)
    return raw


@pytest.mark.parametrize(("raw", "says"), [
    (route(candidates=["nope:motion-2"]),
     "routes.default.candidates[0]: provider 'nope' is not configured; [providers] has: alpha"),
    (route(candidates=["alpha:motion-9"]),
     "alpha has no model 'motion-9'; allowed: motion-2, old-1"),
    (route(candidates=["alpha"]), "'alpha' is not 'provider:model'"),
    (route(candidates=["alpha:motion-2", "alpha:motion-2"]),
     "routes.default: duplicate candidates: alpha:motion-2"),
    (route(candidates=[]), "routes.default: a route needs at least one candidate"),
    (route(fallback_on=["rate_limited", "gremlins"]), "unknown error kind(s) gremlins"),
    (route(budget_usd=-1), "routes.default.budget_usd: Input should be greater than or equal"),
    (route(deadline_s=-5), "routes.default.deadline_s: Input should be greater than 0"),
    (route(policy="closest"), "routes.default.policy: Input should be 'nearest' or 'strict'"),
    ({**base(), "aliases": {"sora-2": "premium"}},
     "aliases.sora-2: route 'premium' does not exist; routes: default"),
    ({**base(), "providers": {"alpha": {"api_key_env": "ALPHA_KEY", "colour": 1}}},
     "providers.alpha.colour: unknown key"),
    ({**base(), "providers": {"alpha": {"api_key": "sk-live-123"}}},
     "api_key must not be written in the file: name the environment variable"),
    ({**base(), "providers": {"zeta": {"api_key_env": "ALPHA_KEY"}}},
     "providers.zeta: unknown plugin 'zeta'; installed: alpha"),
])
def test_bad_config_is_refused_at_load(raw: dict[str, Any], says: str) -> None:
    text = refused(raw)
    assert says in text and "vb.toml" in text


def test_missing_env_var_is_named_at_load() -> None:
    assert "providers.alpha: environment variable ALPHA_KEY is not set" in refused(base(), {})


def test_optional_provider_without_key_is_allowed_and_skipped() -> None:
    raw = base()
    raw["providers"]["alpha"]["required"] = False
    config = parse_config(raw, pm=acme_pm(Acme("alpha")), environ={})
    assert config.missing_env("alpha", {}) == ["ALPHA_KEY"]


def test_literal_key_is_fine_for_a_loopback_simulator() -> None:
    raw = base()
    raw["providers"]["alpha"] = {"api_key": "sim", "base_url": "http://127.0.0.1:8750/acme"}
    config = parse_config(raw, pm=acme_pm(Acme("alpha")), environ={})
    assert config.credentials("alpha").bearer() == "sim"


def test_load_from_file_and_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "vidbridge.toml"
    path.write_text('[providers.alpha]\napi_key_env = "ALPHA_KEY"\n[routes.default]\n'
                    'candidates = ["alpha:motion-2"]\n')
    monkeypatch.setenv("ALPHA_KEY", "k")
    monkeypatch.setenv("VIDBRIDGE_CONFIG", str(path))
    config = load_config(pm=acme_pm(Acme("alpha")))
    assert config.routes["default"].candidates == ["alpha:motion-2"]
    assert config.source == str(path)
    client = VideoClient.from_config(path, pm=acme_pm(Acme("alpha")))
    assert client.core.config is not None


def test_bad_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[routes\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.toml")
