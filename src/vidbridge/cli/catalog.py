"""``models`` and ``providers list``: what the installed adapters offer."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .app import app, group
from .output import JsonOption, emit

providers_app = group("providers", "Installed provider adapters.")


def model_rows(provider: str | None) -> list[dict[str, Any]]:
    from ..plugins import get_provider, providers

    chosen = [get_provider(provider)] if provider else list(providers().values())
    rows = []
    for adapter in chosen:
        for name, caps in adapter.models.items():
            inputs = [label for label, ok in (
                ("text", caps.supports_text), ("image", caps.supports_image),
                ("last frame", caps.supports_last_frame),
                (f"{caps.max_reference_images} refs", caps.max_reference_images),
                ("seed", caps.supports_seed)) if ok]
            rows.append({
                "model": f"{adapter.name}:{name}", "durations": list(caps.durations),
                "sizes": list(caps.all_sizes), "resolutions": list(caps.resolutions),
                "audio": caps.audio, "inputs": inputs,
                "price": {"unit": caps.price.unit, "per_second": dict(caps.price.per_second)},
                "status": caps.lifecycle.status(), "lifecycle": caps.lifecycle.describe()})
    return rows


@app.command()
def models(provider: Annotated[str | None, typer.Argument()] = None,
           wide: Annotated[bool, typer.Option(
               "--wide", help="every column in full: sizes, inputs, lifecycle text")] = False,
           as_json: JsonOption = False) -> None:
    """List every model with its durations, sizes, audio, inputs, price and lifecycle."""
    rows = model_rows(provider)
    emit(rows, as_json, lambda: wide_table(rows) if wide else compact_table(rows))


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

    table = Table("model", "durations", "sizes", "audio", "inputs", "price", "status")
    table.columns[0].no_wrap = True
    for row in rows:
        rates = ", ".join(f"{res} {rate:g}" for res, rate in row["price"]["per_second"].items())
        table.add_row(row["model"], ",".join(map(str, row["durations"])),
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
