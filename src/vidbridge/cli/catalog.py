"""``models`` and ``providers list``: what the installed adapters offer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .app import app, group
from .output import ConfigOption, JsonOption, config_path, emit

providers_app = group("providers", "Installed provider adapters.")


def model_rows(provider: str | None, config: Any = None) -> list[dict[str, Any]]:
    from ..model_report import model_rows as rows
    from ..plugins import providers

    return rows(providers(), config, provider=provider)


def _config(path: Path | None) -> Any:
    """The config to list, loaded without its credentials (listing needs no keys)."""
    from ..config import load_config

    chosen = config_path(path)
    return load_config(chosen, check_env=False) if chosen is not None else None


@app.command()
def models(provider: Annotated[str | None, typer.Argument()] = None,
           wide: Annotated[bool, typer.Option(
               "--wide", help="every column in full: sizes, inputs, lifecycle text")] = False,
           config: ConfigOption = None,
           stale: Annotated[bool, typer.Option(
               "--stale", help="rows not verified in 90 days, and route candidates that are "
               "deprecated or retired")] = False,
           as_json: JsonOption = False) -> None:
    """List every model with its durations, sizes, audio, inputs, price and lifecycle; with a
    config (-c or $VIDBRIDGE_CONFIG), its [models] rows and each route's candidates too."""
    from ..model_report import route_rows, stale_report
    from ..plugins import providers

    loaded = _config(config)
    if stale:
        report = stale_report(providers(), loaded)
        emit(report, as_json, lambda: _stale_tables(report))
        return
    rows = model_rows(provider, loaded)
    routes = route_rows(loaded, providers()) if loaded is not None else []

    def tables() -> Any:
        table = wide_table(rows) if wide else compact_table(rows)
        if not routes:
            return table
        from rich.console import Group
        from rich.table import Table

        route_table = Table("route", "first live candidate", "candidates", "warning")
        for route in routes:
            route_table.add_row(route["route"], route["first_live"] or "-", "\n".join(
                f"{c['candidate']}: {c['lifecycle']}" for c in route["candidates"]),
                route["warning"] or "")
        return Group(table, route_table)

    emit({"models": rows, "routes": routes} if loaded is not None else rows, as_json, tables)


def _stale_tables(report: dict[str, list[dict[str, Any]]]) -> Any:
    from rich.console import Group
    from rich.table import Table

    rows = Table("model", "verified on", "days ago", "source",
                 title="rows not verified in 90 days")
    for row in report["stale_rows"]:
        rows.add_row(row["model"], str(row["verified_on"] or "never"),
                     str(row["verified_days_ago"] if row["verified_days_ago"] is not None
                         else "-"), row["source"] or "unsourced")
    candidates = Table("route", "candidate", "status", "date", "successor",
                       title="route candidates deprecated or retired")
    for row in report["route_candidates"]:
        candidates.add_row(row["route"], row["candidate"], row["status"],
                           str(row["date"] or "not published"), row["successor"] or "-")
    return Group(rows, candidates)


STATUS = {"available": "live", "deprecated": "deprecated", "retired": "retired"}
AUDIO = {"never": "-", "optional": "opt", "always": "yes"}
UNITS = {"credit": "cr", "credits": "cr", "unit": "u", "units": "u"}  # `--wide` spells them


def compact_table(rows: list[dict[str, Any]]) -> Any:
    """Fits 80 columns: the model id whole (never cut), the rest in short forms."""
    from rich.table import Table

    table = Table("model", "secs", "res", "audio", "price/s", "status", box=None,
                  pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    for column in table.columns:
        column.no_wrap = True  # one row per model
    # The id is never cut: its column is as wide as the longest id.
    table.columns[0].min_width = max((len(row["model"]) for row in rows), default=5)
    for row in rows:
        res = row["resolutions"]
        table.add_row(row["model"], _span(row["durations"]),
                      f"{res[0]}-{res[-1]}" if len(res) > 1 else "".join(res),
                      AUDIO.get(row["audio"], row["audio"]), _rate(row["price"]),
                      STATUS.get(row["status"], row["status"]))
    return table


def wide_table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table("model", "served on", "durations", "sizes", "audio", "inputs", "price",
                  "status")
    table.columns[0].no_wrap = True
    for row in rows:
        rates = ", ".join(f"{res} {rate:g}" for res, rate in row["price"]["per_second"].items())
        table.add_row(row["model"], ", ".join(row["backends"]) or "any backend",
                      ",".join(map(str, row["durations"])),
                      " ".join(row["sizes"]), row["audio"], ", ".join(row["inputs"]),
                      f"{rates} {row['price']['unit']}/s" if rates else "-", row["lifecycle"])
    return table


def _span(durations: list[int]) -> str:
    """``[3, 4, ..., 15]`` -> ``3-15``; short lists stay (``4,6,8``); long ones shorten."""
    if len(durations) > 2 and durations == list(range(durations[0], durations[-1] + 1)):
        return f"{durations[0]}-{durations[-1]}"
    if len(durations) > 3:  # an even step, as Sora's 4,8,12...: first, second, last
        return f"{durations[0]},{durations[1]}..{durations[-1]}"
    return ",".join(map(str, durations))


def _rate(price: dict[str, Any]) -> str:
    rates = sorted(price["per_second"].values())
    if not rates:
        return "-"
    span = f"{rates[0]:g}" if rates[0] == rates[-1] else f"{rates[0]:g}-{rates[-1]:g}"
    unit = UNITS.get(price["unit"], price["unit"])
    return f"${span}" if price["unit"] == "usd" else f"{span} {unit}"


@providers_app.command("list")
def providers_list(as_json: JsonOption = False) -> None:
    """List the installed provider adapters (entry-point group 'vidbridge')."""
    from ..plugins import providers

    rows: list[dict[str, Any]] = [
        {"name": name, "models": len(adapter.models),
         "credential_env": sorted(adapter.credential_env.values())}
        for name, adapter in providers().items()]

    def lines() -> str:
        return "\n".join(f"{row['name']}: {row['models']} models; credentials from "
                         f"{', '.join('$' + var for var in row['credential_env']) or '-'}"
                         for row in rows)

    emit(rows, as_json, lines)
