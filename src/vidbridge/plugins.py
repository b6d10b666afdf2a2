"""The plugin manager and the typed calls into it. Only this module touches ``pm.hook``."""

from __future__ import annotations

import functools
import logging
import os
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs
from .errors import ConfigError

LOGGING_OBSERVER = "vidbridge.logging"
_LOG = logging.getLogger("vidbridge")  # the logger the logging observer writes to

if TYPE_CHECKING:
    from .models import Adjustment, Attempt, Job, ModelCapabilities, VideoResult
    from .provider import VideoProvider


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, built on first use: entry points load once."""
    return new_plugin_manager()


def new_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh manager (tests build their own); ``VIDBRIDGE_DISABLE_PLUGINS`` blocks names."""
    pm = pluggy.PluginManager("vidbridge")
    pm.add_hookspecs(hookspecs)
    for name in filter(None, os.environ.get("VIDBRIDGE_DISABLE_PLUGINS", "").split(",")):
        pm.set_blocked(name.strip())
    if load_entry_points:
        pm.load_setuptools_entrypoints("vidbridge")
    from . import observers

    pm.register(observers.LoggingObserver(), name=LOGGING_OBSERVER)
    pm.check_pending()  # a misspelt hookimpl fails here, not silently later
    return pm


def register(plugin: Any, name: str | None = None,
             pm: pluggy.PluginManager | None = None) -> None:
    """Register a plugin object (a module or an instance with hookimpls) at run time."""
    pm = pm or plugin_manager()
    pm.register(plugin, name=name)
    pm.check_pending()


def providers(pm: pluggy.PluginManager | None = None) -> dict[str, VideoProvider]:
    """Every registered provider by name; two plugins offering one name is a ``ConfigError``."""
    found: dict[str, VideoProvider] = {}
    for offered in (pm or plugin_manager()).hook.video_providers():
        for provider in offered:
            if provider.name in found:
                raise ConfigError(f"two plugins offer a provider named {provider.name!r}")
            found[provider.name] = provider
    return dict(sorted(found.items()))


def get_provider(name: str, pm: pluggy.PluginManager | None = None) -> VideoProvider:
    """The provider called ``name``, or a ``ConfigError`` listing the known ones."""
    known = providers(pm)
    if name not in known:
        raise ConfigError(f"unknown provider {name!r}; known providers: "
                          f"{', '.join(known) or 'none (is vidbridge installed?)'}")
    return known[name]


def get_model(provider: str, model: str,
              pm: pluggy.PluginManager | None = None) -> ModelCapabilities:
    """Capabilities of ``provider``'s ``model``, or a ``ConfigError`` listing known models."""
    adapter = get_provider(provider, pm)
    if model not in adapter.models:
        raise ConfigError(f"unknown model {model!r} for provider {provider!r}; known models: "
                          f"{', '.join(adapter.models)}")
    return adapter.models[model]


# --- events: fired only after the state they report is saved ---------------------------------

def _heard(hook: Any) -> bool:
    """Whether an event has a listener. The built-in logging observer alone is none while
    the ``vidbridge`` logger is below INFO (the default), so then an event costs no hook call.
    Asked at each event: logging turned up later is heard at once."""
    impls = hook.get_hookimpls()
    if len(impls) == 1 and impls[0].plugin_name == LOGGING_OBSERVER:
        return _LOG.isEnabledFor(logging.INFO)
    return bool(impls)


def emit_attempt_started(pm: pluggy.PluginManager, provider: str, model: str,
                         request_id: str) -> None:
    if _heard(hook := pm.hook.attempt_started):
        hook(provider=provider, model=model, request_id=request_id)


def emit_adjustment(pm: pluggy.PluginManager, provider: str, model: str,
                    adjustment: Adjustment) -> None:
    if _heard(hook := pm.hook.adjustment_made):
        hook(provider=provider, model=model, adjustment=adjustment)


def emit_job_accepted(pm: pluggy.PluginManager, job: Job,
                      request_id: str | None = None) -> None:
    if _heard(hook := pm.hook.job_accepted):
        hook(job=job, request_id=request_id)


def emit_job_updated(pm: pluggy.PluginManager, job: Job) -> None:
    if _heard(hook := pm.hook.job_updated):
        hook(job=job)


def emit_retry_scheduled(pm: pluggy.PluginManager, provider: str, model: str,
                         error: BaseException, wait_s: float, request_id: str) -> None:
    if _heard(hook := pm.hook.retry_scheduled):
        hook(provider=provider, model=model, error=error, wait_s=wait_s,
             request_id=request_id)


def emit_fallback(pm: pluggy.PluginManager, attempt: Attempt, request_id: str) -> None:
    if _heard(hook := pm.hook.fallback):
        hook(attempt=attempt, request_id=request_id)


def emit_job_finished(pm: pluggy.PluginManager, result: VideoResult) -> None:
    if _heard(hook := pm.hook.job_finished):
        hook(result=result)


def emit_request_failed(pm: pluggy.PluginManager, request_id: str,
                        error: BaseException) -> None:
    if _heard(hook := pm.hook.request_failed):
        hook(request_id=request_id, error=error)
