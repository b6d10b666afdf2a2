"""Live progress for ``generate`` and ``resume``, fed by the pluggy event hooks.

On a terminal a Rich ``Live`` line shows the current attempt (provider:model, status,
provider progress, elapsed) while events print above it as they happen: a candidate
skipped and why, a retry after a 429 with its wait, a fallback. Elsewhere (a pipe, CI)
the same events are plain lines, and a status line only when the status changes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..hookspecs import hookimpl

if TYPE_CHECKING:
    from rich.console import Console

    from ..models import Adjustment, Attempt, Job, VideoResult


class Progress:
    """A plugin that renders one generation; use as a context manager around the call."""

    def __init__(self, console: Console, clock: Any = time.monotonic) -> None:
        self.console = console
        self.clock = clock
        self.live_mode = console.is_terminal
        self.current: str | None = None  # provider:model being tried
        self.started = clock()
        self.job: Job | None = None
        self.shown: tuple[str, str, float | None] | None = None
        self._live: Any = None

    # -- rendering -----------------------------------------------------------------------------
    def __enter__(self) -> Progress:
        if self.live_mode:
            from rich.live import Live

            self._live = Live(self, console=self.console, refresh_per_second=8,
                              transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def __rich__(self) -> Any:
        """The live line (Rich re-renders it on each refresh, so elapsed keeps moving)."""
        from rich.spinner import Spinner
        from rich.text import Text

        return Spinner("dots", text=Text(self.status_line()))  # names are text, not markup

    def status_line(self) -> str:
        job = self.job
        status = job.status if job is not None else "submitting"
        progress = f" {job.progress:.0f}%" if job is not None and job.progress is not None \
            else ""
        # No job id here: it is printed once when accepted, and a Veo operation name
        # would push the live line past the terminal width.
        name = self.current or (f"{job.provider}:{job.model}" if job else "preparing")
        return f"{name}  {status}{progress}  " \
            f"{self.clock() - self.started:.1f}s"

    def event(self, text: str) -> None:
        # soft_wrap: a job id or URL in an event is never broken across lines. markup=False:
        # events carry providers' words (a refusal's "body[/promptText]"), which Rich would
        # read as tags: text eaten, or a MarkupError raised inside the event, ending the route.
        self.console.print(text, soft_wrap=True, markup=False, highlight=False)

    # -- hooks ---------------------------------------------------------------------------------
    @hookimpl
    def attempt_started(self, provider: str, model: str) -> None:
        self.current, self.job, self.started = f"{provider}:{model}", None, self.clock()
        self.event(f"→ trying {provider}:{model}")

    @hookimpl
    def adjustment_made(self, adjustment: Adjustment) -> None:
        self.event(f"  adjusted {adjustment.field}: {adjustment.asked} → {adjustment.given} "
                   f"({adjustment.reason})")

    @hookimpl
    def job_accepted(self, job: Job) -> None:
        self.job = job
        self.current = self.current or f"{job.provider}:{job.model}"
        self.event(f"  accepted: {job.provider} job {job.id}")

    @hookimpl
    def job_updated(self, job: Job) -> None:
        self.job = job
        state = (job.id, job.status, job.progress)
        if not self.live_mode and state != self.shown:
            self.event(f"  {self.status_line()}")
        self.shown = state

    @hookimpl
    def retry_scheduled(self, provider: str, model: str, error: BaseException,
                        wait_s: float) -> None:
        kind = getattr(error, "kind", type(error).__name__)
        self.event(f"  {provider}:{model} refused ({kind}): retrying in {wait_s:.1f}s")

    @hookimpl
    def fallback(self, attempt: Attempt) -> None:
        self.event(f"↷ {attempt.provider}:{attempt.model} {attempt.outcome}: {attempt.reason}")


def summary(result: VideoResult) -> list[str]:
    """What happened, after the fact: attempts, adjustments, warnings, cost, output."""
    lines = []
    if result.attempts:
        lines.append("attempts: " + "; ".join(
            f"{a.provider}:{a.model} {a.outcome}" + (f" ({a.reason})" if a.reason and
                                                     a.outcome != "succeeded" else "")
            for a in result.attempts))
    lines += [f"adjusted {a.field}: {a.asked} → {a.given} ({a.reason})"
              for a in result.adjustments]
    if result.plan is not None:
        lines += [f"warning: {w}" for w in result.plan.warnings]
    cost = result.estimated_cost_usd
    lines.append(f"{result.job.provider}:{result.job.model} job {result.job.id}: "
                 f"{result.path} ({result.bytes_written} bytes)"
                 + (f", estimated ${cost:.2f}" if cost is not None else ""))
    return lines


# How long the cancel after Ctrl-C may take: the user is leaving, not waiting a read timeout.
CANCEL_TIMEOUT_S = 10.0


def cancel_or_explain(client: Any, job: Job | None, timeout: float = CANCEL_TIMEOUT_S) -> str:
    """After Ctrl-C: cancel the remote job where the provider allows it, else say how to
    pick it up again. Never raises: the user is leaving.

    The cancel goes out on a new connection, not through ``client.http``: the interrupt may
    have landed inside that client's connection pool, whose state (a lock, a half-read
    answer) is then not to be trusted."""
    from .._http import ApiClient

    if job is None:
        unsettled = _left_uncertain(client)
        if unsettled is not None:
            return (f"interrupted before {unsettled.provider} answered the submit; it may have "
                    f"accepted the job (ledger entry {unsettled.key}, uncertain): vidbridge "
                    f"jobs reconcile {unsettled.key} --adopt PROVIDER_JOB_ID, or --abandon")
        return "interrupted before any provider accepted the job: nothing to cancel"
    core = client.core
    try:
        adapter = core.adapter(job.provider)
        request = adapter.build_cancel(job, core.creds_for(job.provider, job.credential))
        if request is not None:
            with ApiClient(timeout=timeout) as fresh:
                adapter.raise_for_error(fresh.send(request))
            return f"cancelled {job.provider} job {job.id}"
    except Exception as exc:  # noqa: BLE001 - report and leave; the id below still works
        return (f"could not cancel {job.provider} job {job.id} ({exc}); it may still run: "
                f"vidbridge resume {job.id}")
    return (f"{job.provider} cannot cancel a job; {job.id} keeps running there: "
            f"vidbridge resume {job.id}")


def _left_uncertain(client: Any) -> Any:
    """The submit this process was waiting on when interrupted (the lifecycle marks it
    uncertain then), or None. Never raises: the user is leaving."""
    try:
        mine = [entry for entry in client.core.ledger.open()
                if entry.state == "uncertain" and entry.written_here]
    except Exception:  # noqa: BLE001 - an unreadable ledger leaves the plain message
        return None
    return mine[-1] if mine else None
