"""[models."provider:model"] in the config: rows added with ``like`` or overridden, validated
at load, seen by routes, plans and the adapter's wire."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from typing import Any

import pytest
from pydantic import SecretStr

from vidbridge import ConfigError, Credentials, VideoClient, VideoRequest
from vidbridge.config import parse_config
from vidbridge.plugins import new_plugin_manager

ENV = {"KLING_ACCESS_KEY": "a" * 32, "KLING_SECRET_KEY": "b" * 40}
BASE = """
[providers.kling]
api_key_env = "KLING_ACCESS_KEY"
secret_key_env = "KLING_SECRET_KEY"

[routes.default]
candidates = ["kling:kling-v3-turbo"]

[models."kling:kling-v3-turbo"]
like = "kling:kling-v3:pro"
durations = [5, 10]
price = { per_second = { "1080p" = 1.0 } }
lifecycle = { deprecated_on = 2027-06-30, successor = "kling:kling-v3:pro" }
verified_on = 2026-12-01
source = "my contract with Kling"
"""


def load(text: str = BASE) -> Any:
    return parse_config(tomllib.loads(text), source="vb.toml", pm=new_plugin_manager(),
                        environ=ENV)


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(text)
    return str(caught.value)


def test_a_row_added_with_like_starts_from_that_row_and_overrides_it() -> None:
    config = load()
    client = VideoClient(config=config, pm=new_plugin_manager())
    caps = client.core.capabilities("kling", "kling-v3-turbo")
    assert caps.durations == (5, 10) and caps.audio == "optional"  # audio from the like row
    assert caps.price.per_second == {"1080p": 1.0} and caps.price.unit == "unit"
    assert caps.lifecycle.deprecated_on == date(2027, 6, 30)
    plan = client.core.plan(VideoRequest(prompt="x", duration=7), "kling:kling-v3-turbo")
    assert plan.duration == 10 and plan.base_model == "kling-v3:pro"
    assert plan.estimated_cost_usd == pytest.approx(10 * 1.0 * 0.14)


def test_the_added_model_sends_its_own_name_with_its_rows_mode() -> None:
    config = load()
    client = VideoClient(config=config, pm=new_plugin_manager())
    plan = client.core.plan(VideoRequest(prompt="x", duration=5), "kling:kling-v3-turbo")
    adapter = client.core.adapter("kling")
    creds = Credentials(name="kling", api_key=SecretStr("a" * 32),
                        secret_key=SecretStr("b" * 40))
    body = json.loads(adapter.build_submit(plan, creds).content)
    assert body["model_name"] == "kling-v3-turbo" and body["mode"] == "pro"


def test_routes_see_added_models_and_checks_warn_of_their_lifecycle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    client = VideoClient(config=load(), pm=new_plugin_manager(),
                         today=lambda: date(2027, 7, 1))
    checks = client.check(VideoRequest(prompt="x"))
    assert checks[0].ok and "deprecated since 2027-06-30" in checks[0].warnings[0]


def test_an_override_without_like_changes_an_existing_row() -> None:
    config = load(BASE.replace('like = "kling:kling-v3:pro"\n', "").replace(
        "kling:kling-v3-turbo", "kling:kling-v3:std"))
    caps = config.model_caps("kling", "kling-v3:std",
                             VideoClient(config=config).core.adapter("kling"))
    assert caps is not None and caps.durations == (5, 10)


@pytest.mark.parametrize(("change", "says"), [
    (('like = "kling:kling-v3:pro"', 'like = "kling:kling-v9"'),
     'vb.toml: models."kling:kling-v3-turbo".like: kling has no model \'kling-v9\'; allowed:'),
    (('like = "kling:kling-v3:pro"', 'like = "runway:gen4.5"'),
     "must be 'kling:<model>' (the same provider)"),
    (('like = "kling:kling-v3:pro"\n', ""), "has no model 'kling-v3-turbo' to override"),
    (("durations = [5, 10]", "durations = [5, 10]\nfps = 30"),
     'models."kling:kling-v3-turbo": unknown key(s) fps; allowed: like, audio,'),
    (("durations = [5, 10]", 'durations = ["long"]'),
     'models."kling:kling-v3-turbo".durations.0: Input should be a valid integer'),
    (("successor", "succesor"), 'models."kling:kling-v3-turbo".lifecycle.succesor: unknown key'),
])
def test_errors_name_the_file_the_key_and_what_is_allowed(change: tuple[str, str],
                                                           says: str) -> None:
    assert says in refused(BASE.replace(*change))


def test_a_route_to_an_unknown_model_suggests_adding_it() -> None:
    text = BASE.replace('candidates = ["kling:kling-v3-turbo"]',
                        'candidates = ["kling:kling-v4"]')
    assert '[models."kling:kling-v4"] with like' in refused(text)
