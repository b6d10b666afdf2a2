"""``demo``, ``simulate`` and ``serve``: the long-running and self-contained commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .output import console, poll_interval


@app.command()
def demo(out: Annotated[Path, typer.Option(help="folder for the MP4")] = Path("out")) -> None:
    """Run a routed generation on the embedded simulator (no key, no network)."""
    from ..demo import run_demo

    run_demo(out, console())


@app.command()
def simulate(
    port: Annotated[int, typer.Option()] = 8750,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    scenario: Annotated[str | None, typer.Option(help="fault scenario for every request")] = None,
    seed: Annotated[int | None, typer.Option(
        help="reproducible job ids and faults (default: random ids)")] = None,
    require_key: Annotated[str | None, typer.Option(help="accept only this key")] = None,
    kling_secret: Annotated[str | None, typer.Option(help="check Kling JWT signatures")] = None,
) -> None:
    """Serve the provider simulator (see examples/simulator.toml for a matching config)."""
    from ..simulator import run
    from ..simulator.scenarios import parse

    parse(scenario)  # before announcing a server that will not start
    console().print(f"simulator on http://{host}:{port} — config: examples/simulator.toml")
    run(host=host, port=port, scenario=scenario, seed=seed, require_key=require_key,
        kling_secret=kling_secret)


@app.command()
def serve(
    config: Annotated[Path, typer.Option("--config", "-c")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8760,
    insecure_no_auth: Annotated[bool, typer.Option(
        help="accept requests without a gateway key (local development only)")] = False,
    poll_interval: Annotated[float | None, typer.Option(
        "--poll-interval", callback=poll_interval,
        help="seconds between status polls of every job (default: [gateway] "
             "poll_interval_s, else the provider's pace)")] = None,
) -> None:
    """Serve the OpenAI-compatible Videos API, routed by the config."""
    from ..gateway import serve as serve_gateway
    from ..gateway.auth import refuse_open_bind

    refuse_open_bind(host, insecure_no_auth)
    if insecure_no_auth:
        from rich.text import Text

        console(stderr=True).print(Text.assemble(
            ("warning:", "bold red"), " --insecure-no-auth: the gateway accepts requests "
            "without a key; anyone who can reach it spends your provider credits (loopback "
            "only)"), soft_wrap=True)
    serve_gateway(config, host=host, port=port, insecure_no_auth=insecure_no_auth,
                  poll_interval_s=poll_interval)
