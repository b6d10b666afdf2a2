"""The ``vidbridge`` command: nouns for groups, verbs for commands. Loaded only when run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional  # noqa: UP035 - typer reads Optional

import typer
from rich.console import Console
from rich.table import Table

from . import errors
from .models import ImageInput, VideoRequest

app = typer.Typer(help="One interface in front of AI video-generation APIs.",
                  no_args_is_help=True, add_completion=False)
providers_app = typer.Typer(help="Installed provider adapters.", no_args_is_help=True)
jobs_app = typer.Typer(help="The job ledger: accepted and uncertain jobs.", no_args_is_help=True)
app.add_typer(providers_app, name="providers")
app.add_typer(jobs_app, name="jobs")
console = Console()

ConfigOption = Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional
    "--config", "-c", help="vidbridge TOML config (default: $VIDBRIDGE_CONFIG)")]


def _client(config: Path | None) -> Any:
    from .client import VideoClient

    return VideoClient.from_config(config) if config or _env_config() else VideoClient()


def _env_config() -> bool:
    import os

    return bool(os.environ.get("VIDBRIDGE_CONFIG"))


def _request(prompt: str, duration: float | None, size: str | None,
             aspect_ratio: str | None, resolution: str | None, audio: bool | None,
             image: Path | None, last_frame: Path | None, seed: int | None,
             negative_prompt: str | None) -> VideoRequest:
    return VideoRequest(
        prompt=prompt, duration=duration, size=size, aspect_ratio=aspect_ratio,
        resolution=resolution, audio=audio, seed=seed, negative_prompt=negative_prompt,
        image=ImageInput.from_path(image) if image else None,
        last_frame=ImageInput.from_path(last_frame) if last_frame else None)


def _fail(error: Exception) -> None:
    console.print(f"[red]error:[/] {error}")
    for attempt in getattr(error, "attempts", ()):
        console.print(f"  {attempt.provider}:{attempt.model} {attempt.outcome}: {attempt.reason}")
    raise typer.Exit(1)


@app.command()
def demo(out: Annotated[Path, typer.Option(help="folder for the MP4")] = Path("out")) -> None:
    """Run a routed generation on the embedded simulator (no key, no network)."""
    from .demo import run_demo

    try:
        run_demo(out, console)
    except errors.VidbridgeError as exc:
        _fail(exc)


@app.command()
def generate(
    prompt: str,
    model: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="provider:model, a route or an alias")] = None,
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("out/video.mp4"),
    duration: Annotated[Optional[float], typer.Option()] = None,  # noqa: UP045
    size: Annotated[Optional[str], typer.Option(help="WIDTHxHEIGHT")] = None,  # noqa: UP045
    aspect_ratio: Annotated[Optional[str], typer.Option()] = None,  # noqa: UP045
    resolution: Annotated[Optional[str], typer.Option()] = None,  # noqa: UP045
    audio: Annotated[Optional[bool], typer.Option("--audio/--no-audio")] = None,  # noqa: UP045
    image: Annotated[Optional[Path], typer.Option(help="first frame")] = None,  # noqa: UP045
    last_frame: Annotated[Optional[Path], typer.Option()] = None,  # noqa: UP045
    seed: Annotated[Optional[int], typer.Option()] = None,  # noqa: UP045
    negative_prompt: Annotated[Optional[str], typer.Option()] = None,  # noqa: UP045
    strict: Annotated[bool, typer.Option(help="refuse instead of adjusting")] = False,
    config: ConfigOption = None,
) -> None:
    """Generate one video and write it to --out."""
    try:
        request = _request(prompt, duration, size, aspect_ratio, resolution, audio, image,
                           last_frame, seed, negative_prompt)
        with _client(config) as client:
            result = client.generate(request, model=model, output=out,
                                     policy="strict" if strict else None)
    except (errors.VidbridgeError, ValueError) as exc:
        _fail(exc)
        return
    for change in result.adjustments:
        console.print(f"adjusted {change.field}: {change.asked} → {change.given} ({change.reason})")
    cost = result.estimated_cost_usd
    console.print(f"[green]{result.job.provider}:{result.job.model}[/] job {result.job.id}: "
                  f"{result.path} ({result.bytes_written} bytes)"
                  + (f", estimated ${cost:.2f}" if cost is not None else ""))


@app.command()
def check(
    prompt: str,
    route: Annotated[Optional[str], typer.Option(help="route or alias")] = None,  # noqa: UP045
    duration: Annotated[Optional[float], typer.Option()] = None,  # noqa: UP045
    size: Annotated[Optional[str], typer.Option()] = None,  # noqa: UP045
    aspect_ratio: Annotated[Optional[str], typer.Option()] = None,  # noqa: UP045
    resolution: Annotated[Optional[str], typer.Option()] = None,  # noqa: UP045
    audio: Annotated[Optional[bool], typer.Option("--audio/--no-audio")] = None,  # noqa: UP045
    config: ConfigOption = None,
) -> None:
    """Show, with no HTTP, what each candidate of a route would do with a request."""
    try:
        request = _request(prompt, duration, size, aspect_ratio, resolution, audio, None, None,
                           None, None)
        checks = _client(config).check(request, route)
    except (errors.VidbridgeError, ValueError) as exc:
        _fail(exc)
        return
    from .demo import checks_table

    console.print(checks_table(checks))


@app.command()
def models(provider: Annotated[Optional[str], typer.Argument()] = None) -> None:  # noqa: UP045
    """List every model with its durations, sizes, audio, inputs, price and lifecycle."""
    from .plugins import get_provider, providers

    chosen = [get_provider(provider)] if provider else list(providers().values())
    table = Table("model", "durations", "sizes", "audio", "inputs", "price", "status")
    for adapter in chosen:
        for name, caps in adapter.models.items():
            inputs = ", ".join(label for label, ok in (
                ("text", caps.supports_text), ("image", caps.supports_image),
                ("last frame", caps.supports_last_frame),
                (f"{caps.max_reference_images} refs", caps.max_reference_images),
                ("seed", caps.supports_seed)) if ok)
            rates = ", ".join(f"{res} {rate:g}" for res, rate in caps.price.per_second.items())
            table.add_row(f"{adapter.name}:{name}", ",".join(map(str, caps.durations)),
                          " ".join(caps.all_sizes), caps.audio, inputs,
                          f"{rates} {caps.price.unit}/s" if rates else "-",
                          caps.lifecycle.describe())
    console.print(table)


@providers_app.command("list")
def providers_list() -> None:
    """List the installed provider adapters (entry-point group 'vidbridge')."""
    from .plugins import providers

    for name, adapter in providers().items():
        env = ", ".join(f"${var}" for var in adapter.credential_env.values())
        console.print(f"{name}: {len(adapter.models)} models; credentials from {env or '-'}")


@app.command()
def resume(job_id: str, out: Annotated[Path, typer.Option("--out", "-o")] = Path(
        "out/video.mp4"), config: ConfigOption = None) -> None:
    """Finish a job the ledger holds (after a crash or a submit-only run); never resubmits."""
    try:
        with _client(config) as client:
            result = client.resume(job_id, output=out)
    except errors.VidbridgeError as exc:
        _fail(exc)
        return
    console.print(f"{result.job.provider} job {result.job.id}: {result.path}")


@jobs_app.command("list")
def jobs_list(config: ConfigOption = None) -> None:
    """Jobs accepted but not finished, and submits that may have been accepted."""
    core = _client(config).core
    for job in core.ledger.pending():
        console.print(f"pending   {job.provider}:{job.model} {job.id} ({job.status}) "
                      f"credential={job.credential}")
    for row in core.ledger.uncertain():
        console.print(f"uncertain {row['provider']}:{row['job']['model']} request "
                      f"{row['request_key']}: may exist upstream, reconcile before retrying")


@app.command()
def simulate(
    port: Annotated[int, typer.Option()] = 8750,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    scenario: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="fault scenario for every request")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    require_key: Annotated[Optional[str], typer.Option(help="accept only this key")] = None,  # noqa: UP045
    kling_secret: Annotated[Optional[str], typer.Option(help="check Kling JWT signatures")] = None,  # noqa: UP045
) -> None:
    """Serve the provider simulator (see examples/simulator.toml for a matching config)."""
    from .simulator import run

    console.print(f"simulator on http://{host}:{port} — config: examples/simulator.toml")
    run(host=host, port=port, scenario=scenario, seed=seed, require_key=require_key,
        kling_secret=kling_secret)


@app.command()
def serve(
    config: Annotated[Path, typer.Option("--config", "-c")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8760,
    insecure_no_auth: Annotated[bool, typer.Option(
        help="accept requests without a gateway key (local development only)")] = False,
) -> None:
    """Serve the OpenAI-compatible Videos API, routed by the config."""
    from .gateway import serve as serve_gateway

    serve_gateway(config, host=host, port=port, insecure_no_auth=insecure_no_auth)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
