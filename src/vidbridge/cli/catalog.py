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
                "sizes": list(caps.all_sizes), "audio": caps.audio, "inputs": inputs,
                "price": {"unit": caps.price.unit, "per_second": dict(caps.price.per_second)},
                "status": caps.lifecycle.status(), "lifecycle": caps.lifecycle.describe()})
    return rows


@app.command()
def models(provider: Annotated[str | None, typer.Argument()] = None,
           as_json: JsonOption = False) -> None:
    """List every model with its durations, sizes, audio, inputs, price and lifecycle."""
    rows = model_rows(provider)

    def table() -> Any:
        from rich.table import Table

        table = Table("model", "durations", "sizes", "audio", "inputs", "price", "status")
        for row in rows:
            rates = ", ".join(f"{res} {rate:g}" for res, rate in row["price"]["per_second"]
                              .items())
            table.add_row(row["model"], ",".join(map(str, row["durations"])),
                          " ".join(row["sizes"]), row["audio"], ", ".join(row["inputs"]),
                          f"{rates} {row['price']['unit']}/s" if rates else "-",
                          row["lifecycle"])
        return table

    emit(rows, as_json, table)


@providers_app.command("list")
def providers_list(as_json: JsonOption = False) -> None:
    """List the installed provider adapters (entry-point group 'vidbridge')."""
    from ..plugins import providers

    rows: list[dict[str, Any]] = [{"name": name, "models": len(adapter.models),
             "credential_env": sorted(adapter.credential_env.values())}
            for name, adapter in providers().items()]

    def lines() -> str:
        return "\n".join(f"{row['name']}: {row['models']} models; credentials from "
                         f"{', '.join('$' + var for var in row['credential_env']) or '-'}"
                         for row in rows)

    emit(rows, as_json, lines)
