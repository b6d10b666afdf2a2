"""``vidbridge doctor``: is this machine ready to generate, and if not, what to fix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import app
from .output import ConfigOption, JsonOption, config_path, console, emit

if TYPE_CHECKING:
    from ..core import ClientCore

USABLE = ("live", "deprecated")


@app.command()
def doctor(
    config: ConfigOption = None,
    online: Annotated[bool, typer.Option(
        "--online", help="also make one cheap authenticated call per provider")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the config, credentials (names only), each route's candidates and the ledger.
    Exit 1 when the config is invalid, a route has no usable candidate or the ledger cannot
    be opened."""
    from ..client import VideoClient
    from ..config import load_config
    from ..errors import ConfigError

    path = config_path(config)
    report: dict[str, Any] = {"config": {"path": str(path) if path else None, "valid": None}}
    loaded = None
    if path is not None:
        try:
            loaded = load_config(path)
            report["config"]["valid"] = True
        except (ConfigError, OSError, ValueError) as exc:
            from .failures import describe

            report["config"].update(valid=False, error=describe(exc))
    with VideoClient(config=loaded) as client:
        core = client.core
        report["credentials"] = credentials(core)
        report["routes"] = routes(core)
        report["ledger"] = ledger(core)
        if online:
            report["online"] = probes(core, client.http)
    emit(report, as_json, lambda: show(report))
    bad_route = any(not route["usable"] for route in report["routes"])
    if report["config"]["valid"] is False or bad_route or "error" in report["ledger"]:
        raise typer.Exit(1)


def _entries(core: ClientCore) -> dict[str, str]:
    """Provider entry name -> plugin: the config's entries, else every installed adapter."""
    from ..plugins import providers

    if core.config is not None and core.config.providers:
        return {name: core.config.plugin(name) for name in core.config.providers}
    return {name: name for name in providers(core.pm)}


def credentials(core: ClientCore) -> list[dict[str, Any]]:
    """Per provider entry: the variables it reads and whether each is set (never a value)."""
    import os

    rows = []
    for name, plugin in _entries(core).items():
        entry = core.config.providers.get(name) if core.config is not None else None
        if entry is not None:
            named = {"api_key": entry.api_key_env, "secret_key": entry.secret_key_env,
                     "token": entry.token_env}
            literal = [field for field in ("api_key", "secret_key") if getattr(entry, field)]
        else:
            named = dict(core.adapter(plugin).credential_env)
            literal = []
        variables = [{"field": field, "variable": var, "set": bool(os.environ.get(var))}
                     for field, var in named.items() if var]
        rows.append({"provider": name, "plugin": plugin, "variables": variables,
                     "literal_in_config": literal, "ready": _ready(core, name)})
    return rows


def _ready(core: ClientCore, provider: str) -> str | None:
    """None when the provider's credentials can work, else why not (no HTTP)."""
    from ..errors import ConfigError

    try:
        core.adapter(provider).check_credentials(core.creds_for(provider))
    except (ConfigError, ValueError) as exc:
        return " ".join(str(exc).split())
    return None


def routes(core: ClientCore) -> list[dict[str, Any]]:
    """Per route: each candidate's state (live, deprecated, retired, not served by the
    configured backend, missing credentials)."""
    if core.config is None:
        return []
    from ..core import split_model
    from ..errors import ConfigError

    aliases: dict[str, list[str]] = {}
    for alias, target in core.config.aliases.items():
        aliases.setdefault(target, []).append(alias)
    out = []
    for name, route in core.config.routes.items():
        candidates = []
        for spec in route.candidates:
            provider, model = split_model(spec)
            state, reason = "live", ""
            try:
                adapter = core.adapter(provider)
                caps = core.config.model_caps(provider, model, adapter)
            except ConfigError as exc:
                caps, reason = None, " ".join(str(exc).split())
            if caps is None:
                state, reason = "unknown model", reason or f"{provider} has no model {model!r}"
            else:
                lifecycle = caps.lifecycle.status(core.today())
                entry = core.config.providers.get(provider)
                if lifecycle == "retired" and not (entry and entry.allow_retired):
                    state, reason = "retired", caps.lifecycle.describe(core.today())
                elif (unserved := core.unserved(provider, model, caps)) is not None:
                    state, reason = "not served", unserved
                elif (missing := _ready(core, provider)) is not None:
                    state, reason = "missing credentials", missing
                elif lifecycle == "deprecated":
                    state, reason = "deprecated", caps.lifecycle.describe(core.today())
            candidates.append({"model": spec, "state": state, "reason": reason})
        out.append({"route": name, "aliases": aliases.get(name, []),
                    "usable": any(c["state"] in USABLE for c in candidates),
                    "candidates": candidates})
    return out


def ledger(core: ClientCore) -> dict[str, Any]:
    """The ledger's pending and uncertain jobs; a ledger that cannot be opened is a row of the
    report (``error``), like an invalid config, not the end of the check."""
    from ..errors import ConfigError

    try:
        pending = core.ledger.pending()
        uncertain = core.ledger.uncertain()
    except ConfigError as exc:
        return {"path": None, "error": str(exc), "pending": [], "uncertain": []}
    return {"path": core.ledger.path,
            "pending": [f"{job.provider}:{job.model} {job.id}" for job in pending],
            "uncertain": [f"{row['provider']}:{row['job']['model']} request "
                          f"{row['request_key']}" for row in uncertain]}


def probes(core: ClientCore, http: Any) -> list[dict[str, Any]]:
    """One authenticated call per provider: the adapter's ``build_probe`` when it has one,
    else a poll of a job id that cannot exist. 401/403 means the key was refused; any other
    answer means it was accepted. Nothing is created and nothing is billed."""
    import httpx

    from ..errors import AuthenticationError, VidbridgeError
    from ..models import Job

    rows = []
    for name in _entries(core):
        row: dict[str, Any] = {"provider": name}
        if _ready(core, name) is not None:
            rows.append({**row, "result": "skipped", "reason": "credentials missing"})
            continue
        adapter, creds = core.adapter(name), core.creds_for(name)
        try:
            build = getattr(adapter, "build_probe", None)
            request = build(creds) if build else adapter.build_poll(
                Job(provider=name, id="vidbridge-doctor-probe", status="running"), creds)
        except (KeyError, ValueError, VidbridgeError):
            request = None
        if request is None:
            rows.append({**row, "result": "skipped", "reason": "no cheap authenticated call"})
            continue
        try:
            response = http.send(request)
            adapter.raise_for_error(response)
            rows.append({**row, "result": "ok", "reason": f"HTTP {response.status_code}"})
        except AuthenticationError as exc:
            rows.append({**row, "result": "refused", "reason": " ".join(str(exc).split())})
        except VidbridgeError as exc:
            status = getattr(exc, "status", None)
            rows.append({**row, "result": "ok", "reason": f"key accepted (HTTP {status}: "
                         "the probe job does not exist, as expected)"})
        except httpx.HTTPError as exc:
            rows.append({**row, "result": "unreachable", "reason": type(exc).__name__})
    return rows


def show(report: dict[str, Any]) -> None:
    """Print the report, a line per finding. Our marks and colours are markup; every value
    (a path, a job id, a provider's words) is escaped, so a ``[`` in it is shown, never read
    as a tag (``[/x]`` would end the command in a MarkupError). Each line is printed whole,
    never wrapped at the terminal's width: an id or a path in it copies intact."""
    from rich.markup import escape
    from rich.text import Text

    marks = {True: "[green]✓[/]", False: "[red]✗[/]"}
    cfg = report["config"]
    verdict = "is valid" if cfg["valid"] else f"is invalid: {escape(cfg.get('error', ''))}"
    lines = [f"{marks[cfg['valid'] is not False]} config: "
             + (f"{escape(cfg['path'])} {verdict}" if cfg["path"]
                else "none (-c or $VIDBRIDGE_CONFIG); using the environment")]
    for row in report["credentials"]:
        names = ", ".join(f"${v['variable']} {'set' if v['set'] else 'not set'}"
                          for v in row["variables"]) or "no variables"
        if row["literal_in_config"]:
            names += "; literal key in the config (loopback only)"
        lines.append(f"{marks[row['ready'] is None]} {escape(row['provider'])}: {escape(names)}")
    for route in report["routes"]:
        alias = f" (alias {', '.join(route['aliases'])})" if route["aliases"] else ""
        lines.append(f"{marks[route['usable']]} route {escape(route['route'] + alias)}:")
        for c in route["candidates"]:
            colour = {"live": "green", "deprecated": "yellow"}.get(c["state"], "red")
            lines.append(f"    [{colour}]{c['state']}[/] {escape(c['model'])}"
                         + (f" — {escape(c['reason'])}" if c["reason"] and c["state"] != "live"
                            else ""))
    led = report["ledger"]
    if "error" in led:
        lines.append(f"{marks[False]} {escape(led['error'])}")
    else:
        lines.append(f"  ledger: {escape(led['path'])}: {len(led['pending'])} pending, "
                     f"{len(led['uncertain'])} uncertain")
    lines += [f"    pending {escape(job)}" for job in led["pending"]]
    lines += [f"    uncertain {escape(job)} (reconcile before retrying)"
              for job in led["uncertain"]]
    for probe in report.get("online", []):
        mark = {"ok": marks[True], "skipped": "-"}.get(probe["result"], marks[False])
        lines.append(f"{mark} online {escape(probe['provider'])}: {escape(probe['result'])} "
                     f"({escape(probe['reason'])})")
    for line in lines:
        console().print(Text.from_markup(line), soft_wrap=True)
