"""Every provider wire x every simulator fault x sync and async, through a two-candidate
route. Each cell asserts the error kind, what the router did, the upstream jobs the
simulator made (never more than one per accepted job), the file (complete or absent, never
a part file left) and the ledger state. The matrix prints at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from .harness import FAULTS, RESULTS, WIRES, Fault, Wire, run_cell

FALLS_BACK = {"429+retry-after": "rate_limited", "429 bare": "rate_limited",
              "429 garbage": "rate_limited", "5xx": "unavailable", "refused": "unavailable",
              "no credits": "insufficient_credits", "retired model": "model_unavailable"}
SUBMIT_REFUSES_CONTENT = {"sora", "kling"}  # the others accept, then fail the job
NOT_SERVED = {("veo-gemini", "no credits"): "the reference has no Veo balance error body",
              ("veo-vertex", "no credits"): "the reference has no Veo balance error body"}


@dataclass(frozen=True)
class Expect:
    kind: str | None
    action: str            # succeeded | fell back | stopped
    primary_jobs: int
    fallback_jobs: int
    file: str              # complete | absent
    primary_state: str     # the ledger state of the primary candidate's row
    note: str = ""


def expected(wire: Wire, fault: Fault) -> Expect:
    fine = Expect(None, "succeeded", 1, 0, "complete", "finished")
    name = fault.name
    if (wire.name, name) in NOT_SERVED:
        return Expect(None, "succeeded", 1, 0, "complete", "finished",
                      "n/a: " + NOT_SERVED[(wire.name, name)])
    if name in ("none", "latency", "timeout poll", "drop dl once"):
        return fine
    if name in FALLS_BACK:
        return Expect(FALLS_BACK[name], "fell back", 0, 1, "complete", "rejected")
    if name == "timeout submit":
        if wire.lookup:  # found again by lookup: that job is finished, nothing paid twice
            return fine
        return Expect("submit_uncertain", "stopped", 1, 0, "absent", "uncertain")
    if name in ("timeout download", "drop dl always"):
        if wire.inline:
            return Expect(None, "succeeded", 1, 0, "complete", "finished",
                          "n/a: the video comes inline")
        # A paid job is never replaced: no fallback, resume downloads it.
        return Expect("download_failed", "stopped", 1, 0, "absent", "succeeded")
    if name == "malformed json":  # the job exists and stays ours for resume
        return Expect("unavailable", "stopped", 1, 0, "absent", "accepted")
    if name == "job failed":
        return Expect("job_failed", "fell back", 1, 1, "complete", "failed")
    if name == "content policy":
        if wire.name in SUBMIT_REFUSES_CONTENT:
            return Expect("content_policy", "stopped", 0, 0, "absent", "rejected")
        return Expect("content_policy", "stopped", 1, 0, "absent", "content_policy")
    if name == "proxy 502 (sent)":  # not the provider's error body: it may have the job
        if wire.lookup:
            return fine
        return Expect("submit_uncertain", "stopped", 1, 0, "absent", "uncertain")
    if name == "proxy 503 (unsent)":  # seen from here the same: never a blind second submit
        return Expect("submit_uncertain", "stopped", 0, 0, "absent", "uncertain")
    if name == "auth error":
        return Expect("auth", "stopped", 0, 0, "absent", "rejected")
    raise AssertionError(f"no expectation for {name}")


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
def test_cell(wire: Wire, fault: Fault, mode: str, tmp_path: Path) -> None:
    want = expected(wire, fault)
    key = (wire.name, fault.name, mode)
    RESULTS[key] = "FAIL"
    seen = run_cell(wire, fault, mode, tmp_path)
    primary = seen.upstream.get(wire.upstream, 0)
    fallback = sum(seen.upstream.values()) - primary
    got = Expect(seen.error_kind, seen.action, primary, fallback, seen.file,
                 seen.states[0][1] if seen.states else "none", want.note)
    assert got == want, seen.message
    # Never more upstream jobs than ledger rows that own one.
    owning = [s for _, s in seen.states if s not in ("rejected", "intent")]
    assert sum(seen.upstream.values()) <= len(owning)
    RESULTS[key] = {"succeeded": "ok", "fell back": "ok->fb", "stopped": "ok stop"}[
        seen.action] + ("*" if want.note else "")
