"""The plugin host: entry points, run-time registration, lookups and event hooks."""

from __future__ import annotations

import httpx
import pytest

import vidbridge
from vidbridge import ConfigError, hookimpl
from vidbridge.plugins import get_model, get_provider, new_plugin_manager, providers, register

from .fakes import Acme, AcmePlugin, FakeAcme, FakeClock
from .helpers import acme_pm


def test_the_four_builtin_adapters_come_from_entry_points() -> None:
    import importlib.metadata as md

    names = {ep.name for ep in md.entry_points(group="vidbridge")}
    assert {"sora", "veo", "runway", "kling"} <= names


def test_runtime_registration_and_lookups() -> None:
    pm = acme_pm()
    assert list(providers(pm)) == ["acme"]
    assert get_model("acme", "motion-2", pm).durations == (4, 8)
    with pytest.raises(ConfigError, match="unknown provider 'nope'; known providers: acme"):
        get_provider("nope", pm)
    with pytest.raises(ConfigError, match="known models: motion-2, old-1"):
        get_model("acme", "motion-9", pm)


def test_two_plugins_offering_one_name_is_a_config_error() -> None:
    pm = acme_pm()
    register(AcmePlugin(Acme()), name="again", pm=pm)
    with pytest.raises(ConfigError, match="two plugins offer a provider named 'acme'"):
        providers(pm)


def test_disabled_plugins_are_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDBRIDGE_DISABLE_PLUGINS", "sora,kling")
    pm = new_plugin_manager()
    assert "sora" not in providers(pm) and "kling" not in providers(pm)


def test_misspelt_hookimpl_fails_at_registration() -> None:
    class Typo:
        @hookimpl
        def job_finishd(self) -> None: ...

    with pytest.raises(Exception, match="job_finishd"):
        register(Typo(), pm=acme_pm())


def test_event_hooks_fire_in_order_after_state_is_saved() -> None:
    seen: list[str] = []

    class Observer:
        @hookimpl
        def adjustment_made(self, adjustment: vidbridge.Adjustment) -> None:
            seen.append(f"adjusted {adjustment.field}")

        @hookimpl
        def job_accepted(self, job: vidbridge.Job) -> None:
            seen.append(f"accepted {job.id}")

        @hookimpl
        def job_finished(self, result: vidbridge.VideoResult) -> None:
            seen.append(f"finished {result.job.status}")

    pm = acme_pm()
    register(Observer(), pm=pm)
    clock = FakeClock()
    client = vidbridge.VideoClient(
        credentials={"acme": vidbridge.Credentials(api_key="k")},
        transport=httpx.MockTransport(FakeAcme()), sleep=clock.sleep, clock=clock, pm=pm)
    client.generate({"prompt": "x", "duration": 5}, model="acme:motion-2")
    assert seen == ["adjusted duration", "accepted acme-1", "finished succeeded"]


def test_public_surface_is_sorted_and_complete() -> None:
    assert vidbridge.__all__ == sorted(vidbridge.__all__)
    public = {name for name in dir(vidbridge) if not name.startswith("_")
              and not isinstance(getattr(vidbridge, name), type(vidbridge))}
    public -= {"annotations"}
    assert public <= set(vidbridge.__all__)
    for name in vidbridge.__all__:
        assert hasattr(vidbridge, name)
