"""The operator's dashboard: server-rendered pages (Starlette + Jinja2, no front-end build)
of jobs, spend, uncertain submits, webhook deliveries and the routes' capability matrix.

Read-only, behind the admin keys (``[gateway] admin_keys_env``). Pages carry a strict
Content-Security-Policy (no script at all, styles and images from this origin only), are
never cached and cannot be framed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...storage import is_url
from ..bodies import whole_number
from .admin import COOKIE, HOME, AdminKeys, safe_next
from .queries import DashboardData

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'none'; style-src 'self'; img-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
Page = Callable[[Request], Awaitable[Response]]


def _environment() -> jinja2.Environment:
    import jinja2

    # Lenient undefined on purpose: records written by older versions may lack a field,
    # and a missing field should show as blank, not as an error page.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters["usd"] = lambda v: f"${v:,.2f}" if isinstance(v, int | float) else "–"
    # an unnamed key is known by its owner digest: enough of it to tell keys apart
    env.filters["shortkey"] = lambda v: v[:12] + "…" if str(v).startswith("key_") else v
    env.filters["when"] = lambda v: time.strftime(
        "%Y-%m-%d %H:%M:%S", time.gmtime(float(v))) if isinstance(v, int | float) else "–"
    return env


def dashboard_routes(data: DashboardData, admin: AdminKeys, *,
                     webhooks: Callable[[], list[dict[str, Any]]] | None = None,
                     clock: Callable[[], float] = time.time) -> list[BaseRoute]:
    """The routes under /dashboard. ``webhooks`` lists recent deliveries, when the gateway
    records them."""
    env = _environment()

    def render(name: str, request: Request, status: int = 200, **context: Any) -> Response:
        html = env.get_template(name).render(request_path=request.url.path, nav=name,
                                             **context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def login_page(request: Request, status: int, error: str = "") -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return render("login.html", request, status, next=safe_next(target), error=error,
                      enabled=admin.enabled)

    def guarded(page: Page) -> Page:
        async def run(request: Request) -> Response:
            if not admin.allows(request.headers.get("authorization"),
                                request.cookies.get(COOKIE)):
                return login_page(request, 401 if admin.enabled else 403)
            return await page(request)
        return run

    async def jobs(request: Request) -> Response:
        query = request.query_params
        choices = data.choices()
        status = query.get("status", "")
        key = query.get("key", "")
        provider = query.get("provider", "")
        before = query.get("before", "")
        page = data.jobs(status=status if status in choices["status"] else "",
                         key=key, provider=provider,
                         before=whole_number(before))  # a keyset cursor, else none
        return render("jobs.html", request, page=page, choices=choices)

    async def job(request: Request) -> Response:
        found = data.job(request.path_params["video_id"])
        if found is None:
            return render("missing.html", request, 404, what="job")
        row, ledger = found
        return render("job.html", request, job=row, ledger=ledger)

    async def spend(request: Request) -> Response:
        return render("spend.html", request, spend=data.spend(clock()))

    async def reconcile(request: Request) -> Response:
        return render("reconcile.html", request, uncertain=data.uncertain())

    async def deliveries(request: Request) -> Response:
        return render("webhooks.html", request, available=webhooks is not None,
                      deliveries=webhooks() if webhooks else [])

    async def routes(request: Request) -> Response:
        return render("routes.html", request, matrix=data.capability_matrix())

    async def thumbnail(request: Request) -> Response:
        row = data.job_row({"video_id": request.path_params["video_id"], "status": ""})
        if not row.has_video:
            return Response(status_code=404, headers=SECURITY_HEADERS)
        from .thumbnails import thumbnail as make

        record = data.service.store.get(row.id)
        assert record is not None and record.output
        output, storage = record.output, data.service.storage
        try:  # made once with PyAV and kept beside the video (or its local copy)
            video = await run_in_threadpool(storage.local, output) if is_url(output) else \
                Path(output)
            path = await run_in_threadpool(make, video)
        except Exception:  # no PyAV, or a file it cannot read: no picture, not an error page
            return Response(status_code=404, headers=SECURITY_HEADERS)
        return FileResponse(path, media_type="image/jpeg", headers=SECURITY_HEADERS)

    async def stylesheet(request: Request) -> Response:
        return FileResponse(TEMPLATES / "dashboard.css", media_type="text/css",
                            headers={"cache-control": "max-age=3600"})

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return login_page(request, 200)
        form = await request.form(max_files=0, max_fields=4)
        key_id = admin.match(str(form.get("key") or "")) if admin.enabled else None
        if key_id is None:
            return render("login.html", request, 401, next=safe_next(str(form.get("next", ""))),
                          error="That is not an admin key.", enabled=admin.enabled)
        response = RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
        response.set_cookie(COOKIE, admin.issue(key_id), max_age=int(admin.session_ttl_s),
                            path=HOME, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    async def logout(request: Request) -> Response:
        response = RedirectResponse(f"{HOME}/login", status_code=303)
        response.delete_cookie(COOKIE, path=HOME, httponly=True, samesite="strict")
        return response

    return [
        Route(HOME, guarded(jobs), methods=["GET"]),
        Route(f"{HOME}/jobs/{{video_id}}", guarded(job), methods=["GET"]),
        Route(f"{HOME}/jobs/{{video_id}}/thumbnail", guarded(thumbnail), methods=["GET"]),
        Route(f"{HOME}/spend", guarded(spend), methods=["GET"]),
        Route(f"{HOME}/reconcile", guarded(reconcile), methods=["GET"]),
        Route(f"{HOME}/webhooks", guarded(deliveries), methods=["GET"]),
        Route(f"{HOME}/routes", guarded(routes), methods=["GET"]),
        Route(f"{HOME}/login", login, methods=["GET", "POST"]),
        Route(f"{HOME}/logout", logout, methods=["POST"]),
        Route(f"{HOME}/static/dashboard.css", stylesheet, methods=["GET"]),
    ]
