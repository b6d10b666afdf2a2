"""The main job on a fresh machine: a routed generation against the embedded simulator.

Starts the simulator on loopback, loads ``examples/simulator.toml`` pointed at it, and asks
the ``sora-2`` alias for a 12-second clip: Sora is retired (skipped before any HTTP), so the
route falls back to Veo, which makes 8 s at most. Progress, adjustments, attempts and the
estimated cost are shown; a real MP4 lands under ``out/``. No key, no network.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import parse_config
from .engine import PollPolicy
from .hookspecs import hookimpl
from .models import VideoRequest, VideoResult

if TYPE_CHECKING:
    from rich.console import Console

    from .config import Config
    from .models import Job

EXAMPLE = Path("examples") / "simulator.toml"
PROMPT = ("A paper boat drifts down a rain-soaked street at dusk, neon reflections rippling, "
          "a cat watches from a doorway")


def find_example(name: Path = EXAMPLE) -> Path:
    """The example config: from the working directory, else from the source checkout."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(f"{name} not found; run the demo from a vidbridge checkout")


def simulator_config(base_url: str, ledger: Path, example: Path | None = None) -> Config:
    """``examples/simulator.toml`` with its base URLs moved to the running simulator."""
    text = (example or find_example()).read_text(encoding="utf-8")
    text = re.sub(r"http://127\.0\.0\.1:8750", base_url, text)
    raw: dict[str, Any] = tomllib.loads(text)
    raw["ledger"] = str(ledger)
    return parse_config(raw, source=str(example or EXAMPLE))


class ProgressPrinter:
    """Prints the router's events as they happen."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.last: tuple[str, str, float | None] | None = None

    @hookimpl
    def attempt_started(self, provider: str, model: str) -> None:
        _say(self.console, "  ", (f"→ trying {provider}:{model}", "bold"))

    @hookimpl
    def job_accepted(self, job: Job) -> None:
        _say(self.console, f"    accepted: {job.provider} job ", (job.id, "cyan"))

    @hookimpl
    def job_updated(self, job: Job) -> None:
        state = (job.id, job.status, job.progress)
        if state != self.last:
            progress = f" {job.progress:.0f}%" if job.progress is not None else ""
            _say(self.console, f"    {job.status}{progress}")
            self.last = state

    @hookimpl
    def fallback(self, attempt: Any) -> None:
        _say(self.console, "  ", (f"↷ {attempt.provider}:{attempt.model} {attempt.outcome}:",
                                  "yellow"), f" {attempt.reason}")


def run_demo(out_dir: Path = Path("out"), console: Console | None = None,
             render_seconds: float = 3.0) -> VideoResult:
    """Run the routed generation against an in-process simulator and report it."""
    from rich.console import Console

    from .client import VideoClient
    from .plugins import new_plugin_manager, register
    from .simulator import SimulatorSettings, create_app, serve_in_thread

    console = console or Console()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "demo.mp4"
    request = VideoRequest(prompt=PROMPT, duration=12, aspect_ratio="16:9", resolution="720p")
    pm = new_plugin_manager()
    register(ProgressPrinter(console), name="demo-progress", pm=pm)
    app = create_app(SimulatorSettings(render_seconds=render_seconds))
    with serve_in_thread(app) as base_url:
        _say(console, ("vidbridge demo", "bold"),
             f" — simulator on {base_url} (no key, no network)")
        config = simulator_config(base_url, out_dir / "ledger.sqlite3")
        # The simulator is local: no need for the providers' polite 5-10 s poll intervals.
        poll = PollPolicy(first=0.4, factor=1.3, cap=1.0, provider_guidance=False)
        with VideoClient(config=config, pm=pm, poll=poll) as client:
            _say(console, f"request: model=\"sora-2\" {request.duration:g} s "
                          f"{request.aspect_ratio} {request.resolution}")
            console.print(checks_table(client.check(request, "sora-2"), "pre-flight check of "
                                       "route 'default' (alias sora-2), no HTTP"))
            _say(console, "generating:")
            result = client.generate(request, model="sora-2", output=target)
    _show_result(console, result)
    return result


def _say(console: Console, *parts: str | tuple[str, str]) -> None:
    """One line of text (``(text, style)`` parts styled), never wrapped at the console's
    width - a job id, a path or a reason broken across lines cannot be copied (into
    ``vidbridge resume``, a shell) from a CI log - and never read as markup: a provider's
    words may hold ``[`` (Rich would eat them, or raise inside the event)."""
    from rich.text import Text

    console.print(Text.assemble(*parts), soft_wrap=True)


def checks_table(checks: list[Any], title: str | None = None) -> Any:
    """A rich table of a route's pre-flight checks (also what ``vidbridge check`` prints)."""
    from rich.table import Table
    from rich.text import Text

    table = Table("candidate", "serves?", "adjustments / reason", "est. cost", title=title)
    for check in checks:
        changes = "; ".join(f"{a.field} {a.asked}→{a.given}" for a in check.adjustments)
        cost = f"${check.estimated_cost_usd:.2f}" if check.estimated_cost_usd is not None else "-"
        said = changes or check.reason or "as asked"
        for warning in check.warnings:  # a deprecated model serves, and the table says so
            said += f"\nwarning: {warning}"
        # Text cells: names and reasons are shown as they are, never read as markup.
        table.add_row(Text(f"{check.provider}:{check.model}"), "yes" if check.ok else "no",
                      Text(said), cost)
    return table


def _show_result(console: Console, result: VideoResult) -> None:
    job, plan = result.job, result.plan
    _say(console, ("done", "bold green"),
         f": {job.provider}:{job.model} job {job.id} {job.status}")
    for adjustment in result.adjustments:
        _say(console, f"  adjusted {adjustment.field}: {adjustment.asked} → {adjustment.given}"
                      f" ({adjustment.reason})")
    for attempt in result.attempts:
        _say(console, f"  attempt {attempt.provider}:{attempt.model}: {attempt.outcome}"
                      + (f" — {attempt.reason}" if attempt.reason else ""))
    if plan is not None:
        cost = plan.estimated_cost_usd
        shown = f"${cost:.2f}" if cost is not None else "unknown"
        _say(console, f"  estimated cost: {shown} ({plan.duration} s at {plan.size}, "
                      f"audio {'on' if plan.audio else 'off'})")
    _say(console, f"  wrote {result.path} ({result.bytes_written} bytes)")
    probe = probe_mp4(result.path) if result.path else None
    if probe:
        _say(console, f"  MP4 check: {probe['duration']:.2f} s, {probe['width']}x{probe['height']}"
                      f", audio track: {'yes' if probe['audio'] else 'no'}")


def probe_mp4(path: Path) -> dict[str, Any] | None:
    """Duration, frame size and audio presence of an MP4 (PyAV), or None without PyAV."""
    try:
        import av
    except ImportError:
        return None
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        duration = float(container.duration or 0) / 1_000_000
        return {"duration": duration, "width": video.codec_context.width,
                "height": video.codec_context.height, "audio": bool(container.streams.audio)}
