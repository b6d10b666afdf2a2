"""``generate``, ``resume`` and ``check``: one request, from plan to MP4."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import app
from .failures import EXIT_INTERRUPTED, CliError, did_you_mean
from .output import ConfigOption, JsonOption, client_for, console, emit, money, poll_interval, say

if TYPE_CHECKING:
    from ..models import VideoRequest



def build_request(prompt: str, duration: float | None = None, size: str | None = None,
                  aspect_ratio: str | None = None, resolution: str | None = None,
                  audio: bool | None = None, image: Path | None = None,
                  last_frame: Path | None = None, seed: int | None = None,
                  negative_prompt: str | None = None) -> VideoRequest:
    from ..models import ImageInput, VideoRequest

    return VideoRequest(
        prompt=prompt, duration=duration, size=size, aspect_ratio=aspect_ratio,
        resolution=resolution, audio=audio, seed=seed, negative_prompt=negative_prompt,
        image=ImageInput.from_path(image) if image else None,
        last_frame=ImageInput.from_path(last_frame) if last_frame else None)


PollOption = Annotated[float | None, typer.Option(
    "--poll-interval", callback=poll_interval,
    help="seconds between status polls (default: the provider's pace)")]


@app.command()
def generate(
    prompt: str,
    model: Annotated[str | None, typer.Option(help="provider:model, a route or an alias")] = None,
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("out/video.mp4"),
    duration: Annotated[float | None, typer.Option()] = None,
    size: Annotated[str | None, typer.Option(help="WIDTHxHEIGHT")] = None,
    aspect_ratio: Annotated[str | None, typer.Option()] = None,
    resolution: Annotated[str | None, typer.Option()] = None,
    audio: Annotated[bool | None, typer.Option("--audio/--no-audio")] = None,
    image: Annotated[Path | None, typer.Option(help="first frame")] = None,
    last_frame: Annotated[Path | None, typer.Option()] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    negative_prompt: Annotated[str | None, typer.Option()] = None,
    strict: Annotated[bool, typer.Option(help="refuse instead of adjusting")] = False,
    request_id: Annotated[str | None, typer.Option(
        help="key the ledger rows of this request: running the same id again (after a crash)"
             " carries its jobs forward instead of paying for new ones")] = None,
    config: ConfigOption = None,
    poll_interval: PollOption = None,
) -> None:
    """Generate one video and write it to --out, showing progress as it goes."""
    request = build_request(prompt, duration, size, aspect_ratio, resolution, audio, image,
                            last_frame, seed, negative_prompt)
    with watched(config, poll_interval) as (client, progress):
        if model is not None:
            check_model_name(client, model)
            if ":" in model:  # one model, no route: no attempt_started event will name it
                progress.current = model
        result = run_watched(client, progress, lambda: client.generate(
            request, model=model, output=out, policy="strict" if strict else None,
            request_id=request_id))
    show_result(result)


@contextlib.contextmanager
def watched(config: Path | None, poll_interval: float | None) -> Iterator[tuple[Any, Any]]:
    """A client whose events drive a ``Progress`` display (on stderr, so stdout stays the
    result), with its own plugin manager so nothing leaks into other clients."""
    from ..engine import PollPolicy
    from ..plugins import new_plugin_manager, register
    from .progress import Progress

    pm = new_plugin_manager()
    progress = Progress(console(stderr=True))
    register(progress, name="cli-progress", pm=pm)
    options: dict[str, Any] = {"pm": pm}
    if poll_interval is not None:
        options["poll"] = PollPolicy(first=poll_interval, factor=1.0, cap=poll_interval,
                                     provider_guidance=False)
    with client_for(config, **options) as client:
        yield client, progress


def run_watched(client: Any, progress: Any, call: Callable[[], Any]) -> Any:
    """Run ``call`` under the live display; Ctrl-C cancels the remote job or names it."""
    from ..errors import AllCandidatesFailedError
    from .progress import cancel_or_explain

    try:
        with progress:
            return call()
    except AllCandidatesFailedError as exc:
        if not exc.attempts:
            raise
        # Each attempt and its reason was printed as it happened: say so, not all again.
        raise CliError(f"no candidate produced a video ({len(exc.attempts)} tried; the "
                       "reasons are above)") from exc
    except KeyboardInterrupt:
        print(cancel_or_explain(client, progress.job), file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def model_names(client: Any) -> list[str]:
    """Every name ``--model`` takes: routes, aliases and ``provider:model`` of each adapter
    (a config entry such as ``veo-vertex`` offers the models of the plugin it names)."""
    from ..plugins import providers

    config, adapters = client.core.config, providers(client.core.pm)
    names = [*config.aliases, *config.routes] if config is not None else []
    entries = {name: config.plugin(name) for name in config.providers} if config else {}
    for entry, plugin in {**{name: name for name in adapters}, **entries}.items():
        adapter = adapters.get(plugin)
        ids = (config.model_ids(entry, adapter) if config is not None and adapter is not None
               else getattr(adapter, "models", ()))
        names += [f"{entry}:{model}" for model in ids]
    return names


def check_model_name(client: Any, name: str) -> None:
    """Refuse an unknown ``--model`` before anything runs, suggesting the closest name."""
    names = model_names(client)
    if name in names:
        return
    routes = [n for n in names if ":" not in n]
    raise CliError(f"unknown model, route or alias {name!r}{did_you_mean(name, names)}; "
                   + (f"routes and aliases: {', '.join(routes)}; " if routes else "")
                   + "models: see `vidbridge models`")


def show_result(result: Any) -> None:
    from .progress import summary

    for line in summary(result):
        say(line)


@app.command()
def resume(job_id: str, out: Annotated[Path, typer.Option("--out", "-o")] = Path(
        "out/video.mp4"), config: ConfigOption = None, poll_interval: PollOption = None,
           ) -> None:
    """Finish a job the ledger holds (by ledger key or job id); never resubmits. A succeeded
    job is downloaded only; a submit without an answer is looked up, never sent again."""
    with watched(config, poll_interval) as (client, progress):
        result = run_watched(client, progress, lambda: client.resume(job_id, output=out))
    show_result(result)


@app.command()
def check(
    prompt: str,
    route: Annotated[str | None, typer.Option(help="route or alias")] = None,
    duration: Annotated[float | None, typer.Option()] = None,
    size: Annotated[str | None, typer.Option()] = None,
    aspect_ratio: Annotated[str | None, typer.Option()] = None,
    resolution: Annotated[str | None, typer.Option()] = None,
    audio: Annotated[bool | None, typer.Option("--audio/--no-audio")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show, with no HTTP, what each candidate of a route would do with a request."""
    request = build_request(prompt, duration, size, aspect_ratio, resolution, audio)
    checks = client_for(config).check(request, route)
    rows = [check_row(check) for check in checks]

    def table() -> Any:
        from ..demo import checks_table

        return checks_table(checks)

    emit(rows, as_json, table)
    if not any(row["serves"] for row in rows):
        raise typer.Exit(1)


def check_row(check: Any) -> dict[str, Any]:
    from ..migration.assess import candidate_row

    return candidate_row(check)


__all__ = ["build_request", "check_row", "money", "show_result"]
