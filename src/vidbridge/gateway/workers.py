"""One gateway worker's part in the shared DBOS workflows: launch, queues, liveness.

DBOS recovers a dead executor's workflows only when told which executor died; it keeps no
liveness itself (its hosted Conductor does). So each worker heartbeats a row in
``gateway_workers`` (the database's clock, so machines' clocks need not agree) and every
worker checks for rows older than ``worker_timeout_s``; the one whose DELETE removes a dead
row hands that executor's workflows back to their queues, where any live worker takes them.

The gateway's hooks are at the end: ``database_url`` (is durable mode on), ``shared_tables``
and ``client_options`` (the store and ledger in the shared PostgreSQL), ``durable_videos``
(the ``AsyncVideos`` whose work is enqueued) and ``close``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from .. import _sql
from .._http import ApiClient
from ..errors import ConfigError, VidbridgeError
from ..ledger import OWNED_STATES
from . import workflows
from .workflows import APP_NAME, QUEUE_PREFIX

if TYPE_CHECKING:
    from ..client import AsyncVideoClient
    from ..compat._service import VideoService, Work
    from ..compat.openai import AsyncVideos
    from ..config import Config
    from ..core import ClientCore

log = logging.getLogger("vidbridge.gateway.workers")
UNLISTED_PRIORITY = 1_000_000  # DBOS runs lower numbers first (1..2**31-1)

SCHEMA = """
CREATE TABLE IF NOT EXISTS gateway_workers (
    executor_id TEXT PRIMARY KEY,   -- the DBOS executor id of one running worker
    seen REAL NOT NULL              -- its last heartbeat (the database's clock)
);
"""


@dataclass(frozen=True)
class QueueLimits:
    """One provider's queue: at most ``max_concurrent`` jobs in flight across all workers,
    and at most ``rate_limit`` starts per ``rate_period_s`` (None: unlimited)."""

    max_concurrent: int | None = None
    rate_limit: int | None = None
    rate_period_s: float = 60.0


def system_database_url(url: str) -> str:
    """DBOS's URL for our database URL (SQLAlchemy spells psycopg explicitly)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


# --- one worker ---------------------------------------------------------------------------------

class DurableJobs:
    """This process's part in the shared workflows: launch DBOS, enqueue, find dead peers."""

    def __init__(self, config: Config, service: VideoService, core: ClientCore, url: str, *,
                 http: httpx.Client | None = None, sleep: Callable[[float], None] = time.sleep,
                 executor_id: str | None = None, heartbeat_s: float | None = None,
                 polling_interval_s: float = 0.2,
                 hooks: dict[str, Callable[[str, str], None]] | None = None,
                 key_name: Callable[[str], str | None] | None = None) -> None:
        self.config, self.service, self.core, self.url = config, service, core, url
        gateway = config.gateway
        self.worker_timeout_s = gateway.worker_timeout_s
        self.heartbeat_s = heartbeat_s or max(0.2, self.worker_timeout_s / 5)
        self.polling_interval_s = polling_interval_s
        shared = _sql.is_url(url)
        # One machine: a fixed id, so a restart recovers its own workflows at launch.
        # Several: a new id per process; survivors (or its own restart) recover the old one.
        self.executor_id = executor_id or (f"worker-{secrets.token_hex(6)}" if shared
                                           else "vidbridge-local")
        self.shared = shared
        self.http = http or ApiClient(timeout=httpx.Timeout(30.0, connect=10.0))
        self._owns_http = http is None
        self.sleep = sleep
        self.hooks = hooks or {}
        self.key_name = key_name or (lambda _owner: None)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._queues: dict[str, Any] = {}
        self._workflow: Any = None

    # -- life cycle ------------------------------------------------------------------------------
    def launch(self) -> None:
        try:
            from dbos import DBOS
        except ImportError:
            raise VidbridgeError("[gateway] database_url needs DBOS: pip install "
                                 "'vidbridge[scale]'") from None
        db = _sql.connect(self.service.store.path)  # beside the videos
        db.executescript(SCHEMA)
        self._db = db
        self._workflow = workflows.install(workflows.Runtime(
            self.service, self.core, self.http, self.sleep, self.hooks))
        from .. import __version__

        DBOS(config={"name": APP_NAME, "system_database_url": system_database_url(self.url),
                     "executor_id": self.executor_id,
                     "application_version": f"vidbridge-{__version__}",
                     "log_level": "WARNING"})
        DBOS.launch()
        for provider, limits in self.limits().items():
            self._queues[provider] = DBOS.register_queue(
                QUEUE_PREFIX + provider, global_concurrency=limits.max_concurrent,
                limiter=({"limit": limits.rate_limit, "period": limits.rate_period_s}
                         if limits.rate_limit else None),
                polling_interval_sec=self.polling_interval_s, on_conflict="always_update")
        if self.shared:
            self._beat()
            self._start(self._heartbeat, "vidbridge-heartbeat")

    def limits(self) -> dict[str, QueueLimits]:
        """Each configured provider's queue limits (``[gateway.queues.<provider>]``)."""
        configured = self.config.gateway.queues
        return {name: QueueLimits(**configured[name].model_dump()) if name in configured
                else QueueLimits() for name in self.config.providers}

    def close(self) -> None:
        from dbos import DBOS

        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        DBOS.destroy(workflow_completion_timeout_sec=0)
        if self.shared:
            # Leaving cleanly: marked long silent, so the next survivor's check takes over
            # this worker's unfinished workflows at once instead of after the timeout.
            self._db.execute("UPDATE gateway_workers SET seen=0 WHERE executor_id=?",
                             (self.executor_id,))
        workflows.install(None)
        if self._owns_http:
            self.http.close()
        self._db.close()

    # -- work ----------------------------------------------------------------------------------
    def enqueue(self, work: Work, priority: int | None = None) -> None:
        """Put one video on its provider's queue (idempotent: the workflow id is the video
        id, so enqueuing a video twice starts it once)."""
        from dbos import SetEnqueueOptions, SetWorkflowID

        record = self.service.store.get(work.video_id)
        provider = _provider_of(record) if record is not None else None
        queue = self._queues.get(provider or "") or next(iter(self._queues.values()))
        # A reopened video's first workflow has ended: its second is named by the job it
        # finishes, so every worker enqueuing it still starts it once.
        workflow_id = f"{work.video_id}.{work.reopened}" if work.reopened else work.video_id
        with SetWorkflowID(workflow_id), SetEnqueueOptions(priority=priority):
            queue.enqueue(self._workflow, work.video_id)

    def priority(self, owner: str) -> int | None:
        """The queue priority of a gateway key's videos (``[gateway.priorities]``): None when
        no priorities are configured (first come, first served)."""
        table = self.config.gateway.priorities
        if not table:
            return None
        name = self.key_name(owner)
        return table.get(name, UNLISTED_PRIORITY) if name else UNLISTED_PRIORITY

    def recover(self) -> list[str]:
        """Videos the store has unfinished: enqueue each (a no-op for those already queued
        or running), so a video recorded just before a crash is never lost."""
        started = []
        for record in self.service.store.unfinished():
            from ..compat._service import Work

            self.enqueue(Work(record.id, self.service.output_path(record.id), record.target,
                              reopened=self._reopened(record.id)))
            started.append(record.id)
        for work in self.service.reclaimable():  # reconciled while no worker read them
            self.enqueue(work)
            started.append(work.video_id)
        return started

    def _reopened(self, video_id: str) -> str:
        """The reopened-workflow name of an unfinished video whose own workflow has ended
        (a crash between ``reclaim`` reopening it and the enqueue), else ``""``."""
        from dbos import DBOS

        status = DBOS.get_workflow_status(video_id)
        if status is None or status.status in ("PENDING", "ENQUEUED"):
            return ""
        owned = [entry for entry in self.core.ledger.entries(video_id)
                 if entry.state in OWNED_STATES]
        return owned[-1].key if owned else ""

    # -- liveness (shared database only) -----------------------------------------------------
    def _start(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _beat(self) -> None:
        self._db.execute("INSERT INTO gateway_workers (executor_id, seen) VALUES (?, "
                         "EXTRACT(EPOCH FROM now())) ON CONFLICT (executor_id) DO UPDATE "
                         "SET seen=excluded.seen", (self.executor_id,))

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                self._beat()
                self.take_over_dead()
            except Exception:  # a database blip must not end the heartbeat
                log.exception("heartbeat failed; retrying")

    def take_over_dead(self) -> list[str]:
        """Recover the workflows of workers silent for ``worker_timeout_s``; returns their ids."""
        rows = self._db.execute(
            "DELETE FROM gateway_workers WHERE seen < EXTRACT(EPOCH FROM now()) - ? AND "
            "executor_id <> ? RETURNING executor_id",
            (self.worker_timeout_s, self.executor_id)).fetchall()
        dead = [row[0] for row in rows]
        if dead:  # the DELETE decided who recovers: exactly one survivor got each row
            taken = recover_workflows_of(dead)
            log.warning("took over %d workflow(s) of stopped worker(s) %s", taken,
                        ", ".join(dead))
        return dead


def recover_workflows_of(executors: list[str]) -> int:
    """Hand the PENDING workflows of dead ``executors`` back to their own queues (so the
    provider's cap still holds), where any live worker of this code version takes them.

    Public DBOS API only (checked against dbos 3.4.0): ``list_workflows`` filtered by executor
    and ``resume_workflows`` with the queue. 3.4.0 has no admin server and its
    ``_recover_pending_workflows`` is private; both paths set the rows ENQUEUED and the queue's
    atomic dequeue admits one runner. Only workflows of this process's application version are
    taken, as DBOS's own recovery does: another version's code may not replay its steps.
    """
    from dbos import DBOS

    pending = DBOS.list_workflows(status="PENDING", executor_id=executors,
                                  app_version=DBOS.application_version,
                                  load_input=False, load_output=False)
    by_queue: dict[str | None, list[str]] = {}
    for status in pending:
        by_queue.setdefault(status.queue_name, []).append(status.workflow_id)
    for queue, ids in by_queue.items():
        DBOS.resume_workflows(ids, queue_name=queue)  # None: DBOS's internal queue
    return len(pending)


def _provider_of(record: Any) -> str | None:
    info = json.loads(record.info) if record.info else {}
    provider = info.get("provider")
    return provider if isinstance(provider, str) else None


# --- the gateway's hooks -------------------------------------------------------------------------

def database_url(config: Config, override: str | None,
                 environ: Mapping[str, str] | None = None) -> str | None:
    """The workflows' database: the argument, ``[gateway] database_url``, else its env var."""
    env = os.environ if environ is None else environ
    url = override or config.gateway.database_url or env.get(config.gateway.database_url_env)
    if url and not (url.startswith("sqlite:///") or _sql.is_url(url)):
        raise ConfigError(f"[gateway] database_url must be sqlite:///PATH or "
                          f"postgresql://..., not {_sql.display(url)!r}")
    return url or None


def shared_tables(url: str | None) -> str | None:
    """Where the store and ledger go: the shared PostgreSQL, or (SQLite, one worker) their
    usual files (None)."""
    return url if url and _sql.is_url(url) else None


def client_options(url: str | None) -> dict[str, Any]:
    """The gateway's own client keeps its ledger in the shared database."""
    if shared_tables(url) is None:
        return {}
    from ..ledger import Ledger

    return {"ledger": Ledger(url)}


def durable_videos(config: Config, client: AsyncVideoClient, service: VideoService,
                   tasks: set[Any], url: str, options: Mapping[str, Any],
                   key_name: Callable[[str], str | None] | None = None) -> AsyncVideos:
    """The videos the gateway serves, their work run as DBOS workflows."""
    from ..compat.openai import AsyncVideos

    if shared_tables(url) is not None and not _sql.is_url(client.core.ledger.path):
        raise ConfigError("with a postgresql:// database_url the client's ledger must be in "
                          "the same database (AsyncVideoClient(ledger=Ledger(url)))")
    jobs = DurableJobs(config, service, client.core, url, key_name=key_name, **options)

    class DurableVideos(AsyncVideos):
        """``AsyncVideos`` whose work is enqueued on the workers' shared queues."""

        durable = jobs

        def for_owner(self, owner: str) -> AsyncVideos:
            return DurableVideos(self._client, self._service, self._tasks, owner)

        def start(self, work: Work) -> Any:
            jobs.enqueue(work, priority=jobs.priority(self._owner))
            return None

        async def recover(self) -> list[str]:
            import anyio

            await anyio.to_thread.run_sync(jobs.launch)
            return await anyio.to_thread.run_sync(jobs.recover)

    return DurableVideos(client, service, tasks, owner="")


async def close(videos: Any) -> None:
    import anyio

    jobs = getattr(videos, "durable", None)
    if jobs is not None:
        await anyio.to_thread.run_sync(jobs.close)
