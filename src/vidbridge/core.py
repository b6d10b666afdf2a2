"""``ClientCore``: everything a client does, as engine step generators.

``VideoClient`` and ``AsyncVideoClient`` (``client``) are thin shells over it: the sync one
drives its steps with ``drive``, the async one awaits ``adrive``. Model lookups, credentials,
planning and the single-model path live here once (the rules on which models may be sent:
``screening.ModelRules``); routes are ``routing.Router``'s, the ledger's state machine
``lifecycle.Lifecycle``'s.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from ._ids import new_request_key
from .engine import Engine, PollPolicy, Steps
from .errors import CapabilityError, ConfigError
from .files import check_target
from .models import (
    Job,
    ModelCapabilities,
    Plan,
    Policy,
    VideoRequest,
    VideoResult,
    as_request,
)
from .normalisation import PlanCache
from .plugins import (
    emit_adjustment,
    emit_job_accepted,
    emit_job_finished,
    emit_job_updated,
    emit_request_failed,
    plugin_manager,
    providers,
)
from .provider import Credentials, VideoProvider
from .screening import ModelRules
from .wakeups import CallbackUrls, Wakeups

if TYPE_CHECKING:
    import pluggy

    from .config import Config
    from .ledger import Ledger
    from .lifecycle import Done, Lifecycle
    from .routing import CandidateCheck, Router

DEFAULT_DEADLINE_S = 20 * 60.0  # adapters' guidance: renders take minutes, cap the wait anyway


def split_model(spec: str) -> tuple[str, str]:
    """``"veo:veo-3.1-generate-001"`` -> ``("veo", "veo-3.1-generate-001")``."""
    provider, sep, model = spec.partition(":")
    if not sep or not provider or not model:
        raise ConfigError(f"a model is named 'provider:model' (e.g. 'veo:veo-3.1-generate-001'),"
                          f" not {spec!r}")
    return provider, model


def credentials_from_env(adapter: VideoProvider, name: str = "env",
                         environ: Mapping[str, str] | None = None) -> Credentials:
    """Credentials read from the provider's conventional environment variables."""
    environ = os.environ if environ is None else environ
    secrets = {field: SecretStr(environ[var]) for field, var in adapter.credential_env.items()
               if environ.get(var)}
    return Credentials(name=name, **secrets)


def refuse_empty(**names: str | None) -> None:
    """An empty (or blank) name is a mistake, not "none given": an unset ``$ORDER_ID`` in
    ``--request-id "$ORDER_ID"`` would otherwise make a fresh key, and a rerun pay again."""
    for field, value in names.items():
        if value is not None and not value.strip():
            raise ConfigError(f"{field} is empty: give one, or leave it out")


class ClientCore(ModelRules):
    """Everything a client does, as step generators; the drivers only send and sleep."""

    def __init__(self, *, credentials: Mapping[str, Credentials] | None = None,
                 config: Config | None = None, pm: pluggy.PluginManager | None = None,
                 clock: Callable[[], float] = time.monotonic, poll: PollPolicy | None = None,
                 policy: Policy = "nearest", deadline_s: float = DEFAULT_DEADLINE_S,
                 ledger: Ledger | None = None,
                 today: Callable[[], date] = date.today,
                 max_concurrent: int | Mapping[str, int] | None = None,
                 allow_retired: bool = False) -> None:
        self.pm = pm or plugin_manager()
        self.today = today
        # Send retired models too (a test kit replaying their wire, an archive's base URL);
        # a config says it per provider (``allow_retired`` under [providers.NAME]).
        self.allow_retired = allow_retired
        self.config = config
        self.credentials = dict(credentials or {})
        self.engine = Engine(clock=clock, poll_policy=poll or PollPolicy(),
                             on_update=self.job_updated)
        self.clock = clock
        self.policy = policy
        self.deadline_s = deadline_s
        self._ledger = ledger
        self._router: Router | None = None
        self._lifecycle: Lifecycle | None = None
        self._adapters: dict[str, VideoProvider] | None = None
        self._configured: dict[str, Credentials] = {}
        # (provider, model) -> capability row: the config and the adapters' tables are fixed
        # for the client's life, and looking a row up through the config costs each call.
        self._caps: dict[tuple[str, str], ModelCapabilities] = {}
        self._plans = PlanCache()  # normalisation results by request shape (see PlanCache)
        self.max_concurrent = max_concurrent
        # Poll waits end early on a wake (a provider's push via the gateway's callback route).
        self.wakeups = Wakeups()
        # Set by a host that serves provider callbacks (the gateway): per-job push URLs.
        self.callbacks: CallbackUrls | None = None

    def limit_for(self, provider: str) -> int:
        """Requests in flight to ``provider`` at once: the client argument (a number, or a
        mapping by provider), else the provider's ``max_concurrent`` in the config."""
        from .limits import DEFAULT_MAX_CONCURRENT

        chosen = self.max_concurrent
        if isinstance(chosen, Mapping):
            chosen = chosen.get(provider)
        if chosen is None and self.config is not None:
            chosen = self.config.max_concurrent(provider)
        return int(chosen or DEFAULT_MAX_CONCURRENT)

    def pool_size(self) -> int:
        """Connections for every provider's in-flight slots (the HTTP pool's size)."""
        names = set(self.config.providers) if self.config is not None else set()
        names |= set(self.credentials)
        if isinstance(self.max_concurrent, Mapping):
            names |= set(self.max_concurrent)
        return sum(self.limit_for(name) for name in names) or 4 * self.limit_for("")

    # -- lookups -------------------------------------------------------------------------------
    def adapter(self, provider: str) -> VideoProvider:
        """The adapter behind a provider name (a config entry may name another plugin)."""
        plugin = self.config.plugin(provider) if self.config is not None else provider
        if self._adapters is None:
            # One instance per adapter for the client's life: adapters may cache (Kling
            # tokens), and asking every plugin again per request costs time for nothing.
            self._adapters = providers(self.pm)
        if plugin not in self._adapters:
            raise ConfigError(f"unknown provider {plugin!r}; known providers: "
                              f"{', '.join(self._adapters) or 'none (is vidbridge installed?)'}")
        return self._adapters[plugin]

    def creds_for(self, provider: str, name: str | None = None) -> Credentials:
        """The credentials a call uses: by the job's credential ``name`` when it has one
        (so follow-up calls reuse the create call's context), else the provider's own.
        Read once per client, like an SDK client reads its key; a ``token_env`` token is
        still read at every call."""
        for key in filter(None, (name, provider)):
            if key in self.credentials:
                return self.credentials[key]
            if self.config is not None and key in self.config.providers:
                if key not in self._configured:
                    self._configured[key] = self.config.credentials(key)
                return self._configured[key]
        return credentials_from_env(self.adapter(provider))

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            from .ledger import Ledger

            path = self.config.ledger_path() if self.config is not None else None
            self._ledger = Ledger(path)
        return self._ledger

    @property
    def lifecycle(self) -> Lifecycle:
        if self._lifecycle is None:
            from .lifecycle import Lifecycle

            self._lifecycle = Lifecycle(self)
        return self._lifecycle

    @property
    def router(self) -> Router:
        if self._router is None:
            from .routing import Router

            self._router = Router(self)
        return self._router

    def capabilities(self, provider: str, model_id: str) -> ModelCapabilities:
        """The row for ``provider:model``: the config's [models] entry, else the adapter's."""
        found = self._caps.get((provider, model_id))
        if found is not None:
            return found
        adapter = self.adapter(provider)
        caps = (self.config.model_caps(provider, model_id, adapter) if self.config is not None
                else adapter.models.get(model_id))
        if caps is None:
            known = (self.config.model_ids(provider, adapter) if self.config is not None
                     else list(adapter.models))
            raise ConfigError(f"unknown model {model_id!r} for provider {provider!r}; known "
                              f"models: {', '.join(known)}")
        self._caps[(provider, model_id)] = caps
        return caps

    def plan(self, request: VideoRequest, model: str, policy: Policy | None = None,
             request_key: str = "") -> Plan:
        """Normalise ``request`` for ``provider:model`` (no HTTP)."""
        provider, model_id = split_model(model)
        caps = self.capabilities(provider, model_id)
        self.refuse_unsendable(provider, model_id, caps)
        if request.extend is not None and request.extend.provider not in (
                provider, self.config.plugin(provider) if self.config else provider):
            raise CapabilityError(
                f"{provider}:{model_id}: the video to extend was made by "
                f"{request.extend.provider}; a provider extends only its own videos",
                field="extend", allowed=[f"{request.extend.provider}:*"], model=model)
        usd_per_unit = self.config.usd_per_unit(provider) if self.config else None
        base = self.config.base_model(provider, model_id) if self.config else model_id
        try:
            plan = self._plans.normalise(
                request, caps, policy or self.policy, provider=provider, model=model_id,
                usd_per_unit=usd_per_unit, today=self.today(),
                base_model=base if base != model_id else "", request_key=request_key)
        except CapabilityError as refused:
            if refused.field != "extend":
                raise
            able = self.extendable_models()
            raise CapabilityError(f"{provider}:{model_id} cannot extend a video; models that "
                                  f"can: {', '.join(able) or 'none installed'}",
                                  field="extend", allowed=able, model=model) from None
        if request_key and caps.push_callbacks and self.callbacks is not None:
            # Only a model whose provider pushes gets the URL, so no other adapter sees it.
            url = self.callbacks.url_for(provider, request_key)
            if url is not None:
                return plan.model_copy(update={"callback_url": url})
        return plan

    def pushes(self, provider: str, model: str) -> bool:
        """Whether a job of ``provider:model`` was given a push URL (so polls are the safety
        net only): a host serves callbacks and the model's provider pushes."""
        if self.callbacks is None:
            return False
        try:
            return self.capabilities(provider, model).push_callbacks
        except ConfigError:
            return False

    def extendable_models(self) -> list[str]:
        """Every installed ``provider:model`` that can extend a video, live ones its backend
        serves only."""
        if self._adapters is None:
            self._adapters = providers(self.pm)
        today = self.today()
        return [f"{name}:{model}" for name, adapter in self._adapters.items()
                for model, caps in adapter.models.items()
                if caps.supports_extend and caps.lifecycle.status(today) != "retired"
                and self.unserved(name, model, caps) is None]

    def is_route(self, name: str) -> bool:
        return self.config is not None and (name in self.config.routes
                                            or name in self.config.aliases)

    # -- step generators -----------------------------------------------------------------------
    def generate_steps(self, request: VideoRequest | Mapping[str, Any], *,
                       model: str | None = None, route: str | None = None,
                       output: str | Path | None = None, policy: Policy | None = None,
                       request_id: str | None = None) -> Steps[VideoResult]:
        """``request_id`` keys the ledger rows of this request (the gateway's video id)."""
        request = as_request(request)
        refuse_empty(request_id=request_id, route=route, model=model)
        # A new id cannot have ledger rows yet: the per-candidate read is skipped.
        fresh, request_id = request_id is None, request_id or new_request_key()
        target = Path(output) if output is not None else None
        if target is not None:
            check_target(target)  # before any HTTP: a refused path costs nothing
        name = route or model
        if name is None:
            if self.config is None or not self.config.routes:
                raise ConfigError("name a model ('provider:model') or a route")
            name = self.config.default_route
        try:
            if route is not None or self.is_route(name):
                return (yield from self.router.run(request, name, target, policy, request_id,
                                                   fresh=fresh))
            plan = self.plan(request, name, policy, request_id)
            return (yield from self.single_steps(plan, target, request_id, fresh=fresh))
        except BaseException as exc:  # observers close what they opened (spans, gauges)
            emit_request_failed(self.pm, request_id, exc)
            raise

    def single_steps(self, plan: Plan, target: Path | None, request_id: str | None = None,
                     *, fresh: bool = False) -> Steps[VideoResult]:
        """One model, no fallback: the same ledger machine as a route's candidate."""
        adapter = self.adapter(plan.provider)
        creds = self.creds_for(plan.provider)
        adapter.check_credentials(creds)
        for adjustment in plan.adjustments:
            emit_adjustment(self.pm, plan.provider, plan.model, adjustment)
        outcome = yield from self.lifecycle.attempt(
            adapter, plan, creds, request_key=request_id or new_request_key(),
            target=target, deadline=self.clock() + self.deadline_s,
            fresh=fresh or request_id is None)
        if outcome.done is None:
            assert outcome.error is not None
            raise outcome.error
        return self.finished(outcome.done, plan, target, ())

    def job_accepted(self, job: Job, request_id: str | None = None) -> None:
        """Observers hear of an accepted job after its ledger row is written."""
        emit_job_accepted(self.pm, job, request_id)

    def job_updated(self, job: Job) -> None:
        """Each poll's news goes to the ledger, so other readers (the gateway) see progress."""
        self.ledger.progressed(job)
        emit_job_updated(self.pm, job)

    def finished(self, done: Done, plan: Plan | None, target: Path | None,
                 attempts: tuple[Any, ...]) -> VideoResult:
        fetched = done.fetched
        path = target if fetched.bytes_written else None
        result = VideoResult(job=done.job, path=path, bytes_written=fetched.bytes_written,
                             content_type=fetched.content_type, plan=plan, attempts=attempts)
        self.ledger.finished(done.key)
        emit_job_finished(self.pm, result)
        return result

    def submit_steps(self, request: VideoRequest | Mapping[str, Any], model: str,
                     policy: Policy | None = None) -> Steps[Job]:
        """Submit only (for hosts with execution limits): pick the job up later by id."""
        request_id = new_request_key()
        plan = self.plan(as_request(request), model, policy, request_id)
        adapter = self.adapter(plan.provider)
        creds = self.creds_for(plan.provider)
        adapter.check_credentials(creds)
        _, job = yield from self.lifecycle.submit(adapter, plan, creds, request_id)
        return job

    def resume_steps(self, job: Job | str, output: str | Path | None = None,
                     deadline_s: float | None = None) -> Steps[VideoResult]:
        """Carry a ledger row (by ``Job``, ledger key or job id) to its end; never submits.
        A succeeded job is downloaded only; an unanswered submit is looked up, not resent."""
        from .errors import ConfigError as Missing
        from .ledger import JobOwnedError

        if output is not None:
            check_target(Path(output))
        ledger = self.ledger
        if isinstance(job, str):
            entry = ledger.find(job)
        else:
            try:
                entry = ledger.find(job.id, job.provider)
            except Missing:
                with contextlib.suppress(JobOwnedError):  # another thread recorded it
                    ledger.record(job)
                entry = ledger.find(job.id, job.provider)
        adapter = self.adapter(entry.provider)
        creds = self.creds_for(entry.provider, entry.credential or None)
        target = Path(output) if output is not None else None
        done = yield from self.lifecycle.proceed(
            adapter, entry, creds, target, self.clock() + (deadline_s or self.deadline_s))
        return self.finished(done, entry.plan, target, ())

    def check(self, request: VideoRequest | Mapping[str, Any],
              route: str | None = None) -> list[CandidateCheck]:
        """For each candidate of a route: can it serve, with which changes, at what cost."""
        refuse_empty(route=route)
        name = route or (self.config.default_route if self.config else None)
        if name is None:
            raise ConfigError("check needs a route (load a config with routes)")
        return self.router.check(as_request(request), name)
