"""The gateway's Starlette app: the OpenAI Videos endpoints over ``AsyncVideos``.

Each endpoint authenticates the caller (a gateway key, never a provider key), reads the
request in the official shape and hands it to the same service the ``AsyncOpenAI``
look-alike uses; jobs run as tasks on the server's loop. At start-up the lifespan restarts
what a previous process left unfinished; at shutdown running jobs are cancelled but stay
recorded, so the next start resumes polling them instead of submitting again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, cast

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..compat import _errors as e
from ..compat._service import VideoService, default_output_dir
from ..compat._store import VideoStore
from ..compat._video import Video
from ..compat.openai import AsyncVideos
from ..config import Config, check_poll_interval
from ..engine import PollPolicy
from ..errors import ConfigError
from ..ledger import default_ledger_path
from ..redaction import install as install_log_redaction
from . import batches, callbacks, links, webhooks, workers
from .auth import GatewayKeys
from .bodies import parse_json_object, whole_number
from .limits import BodyLimit
from .ops import Ops
from .timeouts import BodyDeadline

log = logging.getLogger("vidbridge.gateway")
RETRY_AFTER_S = 5  # what a caller over its concurrency cap is told to wait
SWEEP_INTERVAL_S = 60.0
Handler = Callable[[Request, AsyncVideos], Awaitable[Response]]


def create_app(config: str | Path | Config | None, *, client: Any = None,
               insecure_no_auth: bool = False, keys: list[str] | None = None,
               database: str | Path | None = None, output_dir: str | Path | None = None,
               retention_s: float | None = None, poll_after_ms: int = 1000,
               environ: Mapping[str, str] | None = None,
               webhook_options: dict[str, Any] | None = None, database_url: str | None = None,
               durable: Mapping[str, Any] | None = None,
               poll_interval_s: float | None = None) -> Starlette:
    """Build the gateway.

    ``config``: a path, a loaded ``Config`` or None (``$VIDBRIDGE_CONFIG``). ``client``: an
    ``AsyncVideoClient`` to use (default: one built from the config). ``keys`` overrides the
    key variable (tests). ``database`` / ``output_dir`` override ``[gateway]``;
    ``retention_s`` is how long finished videos stay downloadable (default an hour, as
    OpenAI's did); ``poll_after_ms`` is the ``openai-poll-after-ms`` hint sent while a video
    is being made (the SDK's ``poll`` sleeps that long between retrieves).
    ``webhook_options`` go to the webhook ``Dispatcher`` (clock, sleep, http: tests).
    ``database_url`` overrides ``[gateway] database_url``: jobs then run as DBOS workflows
    (``durable`` passes options to ``workers.DurableJobs``, e.g. tests' fast sleep).
    ``poll_interval_s`` overrides ``[gateway] poll_interval_s`` (``serve --poll-interval``).
    """
    from ..client import AsyncVideoClient
    from ..config import load_config

    cfg = config if isinstance(config, Config) else load_config(config, environ=environ)
    install_log_redaction()
    gateway = cfg.gateway
    owns_client = client is None
    url = workers.database_url(cfg, database_url, environ)  # None: jobs run in-process
    client = client or AsyncVideoClient(config=cfg, poll=_poll_policy(cfg, poll_interval_s),
                                        **workers.client_options(url))
    ledger = client.core.ledger
    if ledger.path == ":memory:":
        log.warning("the job ledger is in memory: a restart cannot resume jobs in flight "
                    "(set `ledger` in the config)")
    store = VideoStore(database or workers.shared_tables(url) or gateway.database
                       or _beside(ledger.path))
    ops = Ops(cfg, store, client, environ=environ)  # named keys, budgets, dashboard, metrics
    auth = (GatewayKeys(keys + ops.named_secrets, insecure=insecure_no_auth)
            if keys is not None
            else GatewayKeys.from_env(gateway.keys_env, insecure=insecure_no_auth,
                                      environ=environ, extra=ops.named_secrets))
    ops.check_separate(auth)
    service = VideoService(
        client.core, store, output_dir or default_output_dir(cfg),
        default_target=gateway.route, max_active_per_owner=gateway.max_concurrent_per_key,
        max_image_bytes=int(gateway.max_body_mb * 1024 * 1024), retry_after_s=RETRY_AFTER_S,
        retention_s=gateway.retention_s if retention_s is None else retention_s,
        admission=ops.budgets)
    ops.service = service
    # Per-job push URLs for the candidates that take them ([gateway] callbacks).
    tokens = callbacks.attach(gateway, client.core, store.path)
    relay = callbacks.relay(tokens, url, client.core)  # several workers: wakes cross over
    env = os.environ if environ is None else environ

    def key_name(owner: str) -> str | None:  # [[gateway.webhooks]] key = a named key
        policy = ops.budgets.by_owner.get(owner)
        return policy.name if policy else None

    dispatcher = webhooks.attach(gateway, service, store.path, env, key_name,
                                 **(webhook_options or {}))
    signer = links.LinkSigner.from_config(gateway, env)
    tasks: set[asyncio.Task[None]] = set()
    videos = (workers.durable_videos(cfg, client, service, tasks, url, durable or {}, key_name)
              if url else AsyncVideos(client, service, tasks, owner=""))
    poll_header = {"openai-poll-after-ms": str(poll_after_ms)}
    batch_queue = batches.Batches(store.path)  # the OpenAI Batch API shape over videos

    def wire(video: Video, request: Request) -> dict[str, Any]:
        if signer is not None:
            video = signer.decorate(video, gateway.public_url or str(request.base_url))
        return video.to_wire()

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            request_id = request_id_of(request)
            owner = auth.owner(request.headers.get("authorization"))
            response = await handler(request, videos.for_owner(owner))
            response.headers["x-request-id"] = request_id
            return response
        return run

    async def create(request: Request, view: AsyncVideos) -> Response:
        fields = await _create_fields(request)
        _refuse_unknown(fields, CREATE_FIELDS, "POST /v1/videos takes prompt, model, seconds, "
                        "size and input_reference.")
        video = await view.create(
            prompt=cast(str, fields.get("prompt")), model=fields.get("model"),
            seconds=fields.get("seconds"), size=fields.get("size"),
            input_reference=fields.get("input_reference"))
        return JSONResponse(wire(video, request))

    async def retrieve(request: Request, view: AsyncVideos) -> Response:
        video = await view.retrieve(request.path_params["video_id"])
        headers = poll_header if video.status in ("queued", "in_progress") else None
        return JSONResponse(wire(video, request), headers=headers)

    async def list_videos(request: Request, view: AsyncVideos) -> Response:
        query = request.query_params
        limit = query.get("limit")
        number = whole_number(limit, digits=9, signed=True) if limit is not None else None
        if limit is not None and number is None:
            raise e.BadRequestError(f"Invalid 'limit': expected an integer, but got '{limit}' "
                                    "instead.", param="limit", code="invalid_type")
        page = await view.list(after=query.get("after"),
                               limit=number,
                               order=query.get("order"))
        body = page.to_dict()
        body["data"] = [wire(video, request) for video in page.data]
        return JSONResponse(body)

    async def delete(request: Request, view: AsyncVideos) -> Response:
        deleted = await view.delete(request.path_params["video_id"])
        return JSONResponse(deleted.to_dict())

    async def content(request: Request, view: AsyncVideos) -> Response:
        return await _content(service, view._owner, request.path_params["video_id"],
                              request.query_params.get("variant"))

    async def usage(request: Request) -> Response:
        owner = auth.owner(request.headers.get("authorization"))
        return JSONResponse(ops.budgets.report(owner))

    async def remix(request: Request, view: AsyncVideos) -> Response:
        body = await _json_body(request)
        video = await view.remix(request.path_params["video_id"],
                                 prompt=cast(str, body.get("prompt")))
        return JSONResponse(wire(video, request))

    async def extend(request: Request, view: AsyncVideos) -> Response:
        fields = await _create_fields(request)
        _refuse_unknown(fields, EXTEND_FIELDS, "POST /v1/videos/extensions takes prompt, "
                        "seconds and video; the extension runs where the source video's route "
                        "sends it.")
        video = fields.get("video")
        if video is None and "video[id]" in fields:  # the SDK's flattening of {"id"}
            video = {"id": fields["video[id]"]}
        made = await view.extend(prompt=cast(str, fields.get("prompt")),
                                 seconds=fields.get("seconds"), video=video)
        return JSONResponse(wire(made, request))

    async def signed_content(request: Request) -> Response:
        """A signed link's download: no gateway key, the signature is the permission."""
        video_id = request.path_params["video_id"]
        if signer is None:
            raise e.NotFoundError(f"Invalid URL (GET {request.url.path})")
        variant = signer.check(video_id, request.query_params)
        return await _content(service, None, video_id, variant)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        restarted = await videos.recover()
        batch_queue.resume(videos.for_owner)  # batches whose lines were not all created
        if restarted:
            log.info("restarted %d unfinished video(s): %s", len(restarted),
                     ", ".join(restarted))
        sweeper = asyncio.create_task(_sweep(service, tokens))
        if dispatcher is not None:
            dispatcher.resume()
        try:
            yield
        finally:
            sweeper.cancel()
            batch_queue.close()
            for task in list(tasks):  # they stay unfinished in the store: resumed next start
                task.cancel()
            await asyncio.gather(sweeper, *tasks, return_exceptions=True)
            if url:
                await workers.close(videos)
            ops.close()
            if relay is not None:
                relay.close()
            if tokens is not None:
                tokens.close()
            if dispatcher is not None:  # pending deliveries stay recorded: resumed next start
                await dispatcher.aclose()
            if owns_client:
                await client.aclose()

    routes = [
        Route("/v1/videos", endpoint(create), methods=["POST"]),
        Route("/v1/videos", endpoint(list_videos), methods=["GET"]),
        Route("/v1/videos/extensions", endpoint(extend), methods=["POST"]),
        Route("/v1/videos/{video_id}", endpoint(retrieve), methods=["GET"]),
        Route("/v1/videos/{video_id}", endpoint(delete), methods=["DELETE"]),
        Route("/v1/videos/{video_id}/content", endpoint(content), methods=["GET"]),
        Route("/v1/videos/{video_id}/remix", endpoint(remix), methods=["POST"]),
        Route("/v1/vidbridge/usage", usage, methods=["GET"]),
        *ops.routes(insecure=insecure_no_auth, webhooks=dispatcher),
        *batches.routes(batch_queue, endpoint, lambda view: view._owner),
        Route(links.PATH, signed_content, methods=["GET"]),
        *callbacks.routes(tokens, callbacks.waker(client.core, relay),
                          callbacks.hints(client.core)),
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan,
        middleware=[Middleware(BodyDeadline, timeout_s=gateway.body_timeout_s),
                    Middleware(BodyLimit, max_bytes=int(gateway.max_body_mb * 1024 * 1024))],
        exception_handlers={e.APIStatusError: _api_error, HTTPException: _http_error,
                            ClientDisconnect: _client_gone, Exception: _internal_error})
    app.state.service = service
    app.state.header_timeout_s = gateway.header_timeout_s
    app.state.videos = videos
    app.state.ops = ops
    app.state.webhooks = dispatcher
    app.state.callbacks = tokens  # None unless [gateway] callbacks
    return app


# --- content ---------------------------------------------------------------------------------

async def _content(service: VideoService, owner: str | None, video_id: str,
                   variant: str | None) -> Response:
    """A finished video (or still) from a local file, or streamed from shared storage in
    chunks: any worker serves any video, none holds one in memory."""
    where, media_type, size = await asyncio.to_thread(service.locate, owner, video_id, variant)
    if isinstance(where, str) and (variant or "video") == "video":
        headers = {"content-length": str(size)} if size is not None else {}
        return StreamingResponse(service.storage.chunks(where), media_type=media_type,
                                 headers=headers)
    if isinstance(where, str):  # a still of a video in storage: made from a local copy
        where, media_type = await asyncio.to_thread(service.content, owner, video_id, variant)
    return FileResponse(where, media_type=media_type)


# --- request bodies ----------------------------------------------------------------------------

# What the official endpoints take (openai SDK ``video_create_params``, ``video_extend_params``),
# and the SDK's multipart flattening of ``video={"id": ...}``. Anything else is refused, never
# dropped: a misspelt ``second`` would otherwise buy a video of the default length.
CREATE_FIELDS = frozenset({"prompt", "model", "seconds", "size", "input_reference"})
EXTEND_FIELDS = frozenset({"prompt", "seconds", "video", "video[id]"})


def _refuse_unknown(fields: dict[str, Any], allowed: frozenset[str], takes: str) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        name = unknown[0][:80]
        raise e.BadRequestError(f"Unknown parameter: '{name}'. {takes}", param=name,
                                code="unknown_parameter")


async def _create_fields(request: Request) -> dict[str, Any]:
    """The create parameters from JSON or multipart (what the SDK always sends)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return await _json_body(request)
    form = await request.form(max_files=1, max_fields=32)
    fields: dict[str, Any] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            # Any other file part is kept by name, to be refused (or, as an extension's
            # ``video``, answered "uploaded clips are not supported"), not dropped.
            fields[name] = await value.read() if name == "input_reference" else value
        elif name == "input_reference[image_url]":  # the SDK's flattening of {"image_url"}
            fields["input_reference"] = {"image_url": value}
        elif name == "input_reference[file_id]":
            fields["input_reference"] = {"file_id": value}
        else:
            fields[name] = value
    return fields


async def _json_body(request: Request) -> dict[str, Any]:
    return parse_json_object(await request.body())


# --- errors in the official shape ---------------------------------------------------------------

async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.APIStatusError)
    request_id = request_id_of(request)
    if exc.status_code >= 500:
        log.error("%s %s %s: %s", request_id, request.method, request.url.path, exc.detail)
    return JSONResponse(exc.to_body(), status_code=exc.status_code,
                        headers={**exc.headers, "x-request-id": request_id})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: f"Invalid URL ({request.method} {request.url.path})",
               405: f"Method {request.method} is not allowed on {request.url.path}"}.get(
        exc.status_code, str(exc.detail))
    error = e.status_error(exc.status_code, message, code=None)
    return JSONResponse(error.to_body(), status_code=exc.status_code)


async def _client_gone(request: Request, exc: Exception) -> Response:
    # The client closed its connection before its body arrived: nobody will read an answer,
    # and it is no bug of ours (the 500 handler would log a traceback for it).
    log.info("%s %s %s: the client went away before its body was read",
             request_id_of(request), request.method, request.url.path)
    return Response(status_code=400)


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Only our own bugs get here (client input is a 4xx before it reaches a handler's core).
    # Never echo the exception: it could carry anything. The log has it, under the request id
    # the caller is given, so a report can be matched to its traceback.
    request_id = request_id_of(request)
    log.exception("unexpected error %s in %s %s", request_id, request.method,
                  request.url.path)
    error = e.InternalServerError("The gateway had an error while processing your request "
                                  f"(request id {request_id}).")
    return JSONResponse(error.to_body(), status_code=500, headers={"x-request-id": request_id})


def request_id_of(request: Request) -> str:
    """This request's id (``req_`` + 24 hex), made on first use and kept on its state."""
    found = getattr(request.state, "request_id", None)
    if not isinstance(found, str):
        found = request.state.request_id = "req_" + secrets.token_hex(12)
    return found


# --- housekeeping ------------------------------------------------------------------------------

async def _sweep(service: VideoService, tokens: callbacks.CallbackTokens | None = None) -> None:
    while True:
        if tokens is not None:  # a token outlives its job's longest wait and its retention
            await asyncio.to_thread(tokens.forget_before, time.time() - service.retention_s
                                    - service.core.deadline_s)
        removed = service.sweep()
        if removed:
            log.info("removed the files of %d expired video(s)", removed)
        await asyncio.sleep(SWEEP_INTERVAL_S)


def _poll_policy(cfg: Config, override: float | None) -> PollPolicy | None:
    """A fixed pace when the config or the caller sets one, else None (the provider's)."""
    if override is not None:
        try:
            check_poll_interval(override)
        except ValueError as exc:
            raise ConfigError(f"poll_interval_s: {exc}") from None
    seconds = cfg.gateway.poll_interval_s if override is None else override
    if seconds is None:
        return None
    # Chosen by the operator, so it also overrides an adapter's documented minimum and the
    # safety-net pace of jobs whose provider pushes ([gateway] callbacks).
    return PollPolicy(first=seconds, factor=1.0, cap=seconds, provider_guidance=False,
                      pushed_floor=seconds)


def _beside(ledger_path: str) -> Path:
    """The gateway database: beside the ledger, or in the cache dir if that is in memory."""
    base = default_ledger_path() if ledger_path == ":memory:" else Path(ledger_path)
    if str(base) == ":memory:":
        base = Path(default_output_dir(None)).parent / "jobs.sqlite3"  # a folder: no config
    return base.parent / "gateway.sqlite3"
