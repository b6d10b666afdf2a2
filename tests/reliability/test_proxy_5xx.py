"""Window 7 (issue 10's ledger note): a 5xx on submit. Only the provider's own error body
proves the provider refused; a 502/503/504 (any 5xx) without it may come from a proxy that
lost the answer of an accepted job, so it is uncertain: looked up where the adapter can,
never resubmitted blindly; the route's ``on_uncertain = "continue"`` may still go on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from vidbridge.plugins import providers

from .harness import FAULTS, WIRES, run_cell

# The reference's 5xx bodies (/work/shared/reference): Kling and Runway show theirs; Sora's
# and Google's are their documented error shapes with a 5xx status (our reading).
OWN_5XX = {
    "kling": {"code": 5000, "message": "Internal server error, please retry later",
              "request_id": "7f2d9b1e-4c8a-4b6f-a3e0-9d5c1e7b2f18"},
    "runway": {"error": "Service temporarily unavailable."},
    "sora": {"error": {"message": "The server had an error while processing your request.",
                       "type": "server_error", "param": None, "code": None}},
    "veo": {"error": {"code": 503, "message": "The service is currently unavailable.",
                      "status": "UNAVAILABLE"}},
    "omni": [{"error": {"code": 500, "message": "Internal error encountered.",
                        "status": "INTERNAL"}}],
}
NOT_THEIRS = [
    b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    b"",
    b"upstream connect error or disconnect/reset before headers",
    b'{"message": "Internal server error"}',  # an API gateway's own JSON
    b'{"code": 0, "message": "SUCCEED"}',
    b"[[[[",
]


@pytest.mark.parametrize("name", sorted(OWN_5XX))
def test_each_adapter_recognises_its_own_5xx_body_only(name: str) -> None:
    adapter: Any = providers()[name]
    own = httpx.Response(503, json=OWN_5XX[name])
    assert adapter.is_provider_error(own) is True
    for body in NOT_THEIRS:
        assert adapter.is_provider_error(httpx.Response(502, content=body)) is False, body
    for other, body in OWN_5XX.items():  # another provider's body (Veo and Omni: both Google)
        if other != name and {other, name} != {"veo", "omni"}:
            assert adapter.is_provider_error(httpx.Response(500, json=body)) is False, other


def test_an_adapter_without_a_recogniser_reads_every_5xx_as_uncertain() -> None:
    from vidbridge.engine import answered_by_provider

    class Bare:
        name = "bare"

    class Broken:
        name = "broken"

        def is_provider_error(self, response: httpx.Response) -> bool:
            raise KeyError("error")

    page = httpx.Response(502, content=NOT_THEIRS[0])
    assert answered_by_provider(Bare(), page) is False  # type: ignore[arg-type]
    assert answered_by_provider(Broken(), page) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_on_uncertain_continue_lets_the_route_go_on(mode: str, tmp_path: Path) -> None:
    """The route config may accept the risk: the unproven submit stays uncertain in the
    ledger (one job upstream may be ours) and the next candidate runs."""
    [wire] = [wire for wire in WIRES if wire.name == "runway"]
    [fault] = [fault for fault in FAULTS if fault.name == "proxy 502 (sent)"]
    seen = run_cell(wire, fault, mode, tmp_path, route={"on_uncertain": "continue"})
    assert seen.action == "fell back" and seen.error_kind == "submit_uncertain"
    assert seen.upstream.get("runway") == 1 and seen.file == "complete"
    assert [state for _, state in seen.states] == ["uncertain", "finished"]
