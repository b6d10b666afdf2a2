"""The operator's side of the gateway, wired in one place: named keys and budgets, the
dashboard behind admin keys, and Prometheus ``/metrics``.

``app.py`` builds one ``Ops`` and asks it for the admission hook, the extra key secrets and
the routes, so the request path stays where it was.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..compat import _errors as e
from ..errors import ConfigError
from .budgets import Budgets, UsageStore
from .dashboard.admin import COOKIE, AdminKeys

if TYPE_CHECKING:
    from ..compat._service import VideoService
    from ..compat._store import VideoStore
    from ..config import Config
    from .auth import GatewayKeys
    from .metrics import MetricsObserver

log = logging.getLogger("vidbridge.gateway")
RECENT_S = 7 * 86400  # webhook deliveries the dashboard lists
MAX_DELIVERIES = 200


class Ops:
    def __init__(self, config: Config, store: VideoStore, client: Any, *,
                 environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.client = client
        self.clock = clock
        self.usage = UsageStore(store.path)  # same database file, its own table
        self.budgets, self.named_secrets = Budgets.from_config(config, self.usage, environ,
                                                               clock)
        self.admin = AdminKeys.from_env(config.gateway.admin_keys_env, environ)
        self.service: VideoService | None = None
        self.metrics = self._metrics()
        self.tracing = self._tracing(os.environ if environ is None else environ)

    def _metrics(self) -> MetricsObserver | None:
        if importlib.util.find_spec("prometheus_client") is None:
            return None
        from .metrics import MetricsObserver

        observer = MetricsObserver(self.usage)
        self.client.core.pm.register(observer, name=f"vidbridge.metrics.{id(observer)}")
        return observer

    def _tracing(self, env: Mapping[str, str]) -> Any:
        """``VIDBRIDGE_OTEL=1``: spans for every job, to the process's tracer provider (set
        up by e.g. ``opentelemetry-instrument``)."""
        if env.get("VIDBRIDGE_OTEL") != "1":
            return None
        if importlib.util.find_spec("opentelemetry") is None:
            log.warning("VIDBRIDGE_OTEL=1 but OpenTelemetry is missing: pip install "
                        "'vidbridge[otel]'")
            return None
        from ..telemetry import instrument

        return instrument(self.client.core.pm)

    def check_separate(self, auth: GatewayKeys) -> None:
        if self.admin.overlaps(auth.accepts):
            self.close()
            raise ConfigError(f"${self.config.gateway.admin_keys_env} holds a key that is also "
                              "a gateway API key: admin keys must be separate secrets")

    def routes(self, *, insecure: bool = False, webhooks: Any = None) -> list[BaseRoute]:
        """``webhooks``: the gateway's webhook dispatcher, whose delivery log is shown."""
        found: list[BaseRoute] = [Route("/metrics", self._scrape(insecure), methods=["GET"])]
        if self.service is None or importlib.util.find_spec("jinja2") is None:
            log.warning("the dashboard needs jinja2: pip install 'vidbridge[server]'")
            return found
        from .dashboard import dashboard_routes
        from .dashboard.queries import DashboardData

        data = DashboardData(self.usage, self.service, self.config)
        deliveries: Callable[[], list[dict[str, Any]]] | None = None
        if webhooks is not None:
            delivery_log = webhooks.deliveries

            def recent() -> list[dict[str, Any]]:
                # The newest week, newest first, capped: the log keeps every try.
                rows: list[dict[str, Any]] = delivery_log.rows(
                    "WHERE created_at >= ?", self.clock() - RECENT_S)
                return rows[::-1][:MAX_DELIVERIES]
            deliveries = recent
        return [*found, *dashboard_routes(data, self.admin, webhooks=deliveries,
                                          clock=self.clock)]

    def _scrape(self, insecure: bool) -> Callable[[Request], Any]:
        async def scrape(request: Request) -> Response:
            if not insecure and not self.admin.allows(request.headers.get("authorization"),
                                                      request.cookies.get(COOKIE)):
                error = e.AuthenticationError("/metrics needs an admin key (Authorization: "
                                              "Bearer), not an API key.",
                                              code="invalid_admin_key")
                return JSONResponse(error.to_body(), status_code=401)
            if self.metrics is None:
                missing = e.NotFoundError("metrics need prometheus_client: pip install "
                                          "'vidbridge[server]'")
                return JSONResponse(missing.to_body(), status_code=404)
            from .metrics import CONTENT_TYPE

            return Response(self.metrics.exposition(), media_type=CONTENT_TYPE)
        return scrape

    def close(self) -> None:
        pm = self.client.core.pm
        for observer in (self.metrics, self.tracing):
            if observer is not None and pm.is_registered(observer):
                pm.unregister(observer)
        self.usage.close()
