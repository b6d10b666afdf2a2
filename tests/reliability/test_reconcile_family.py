"""Window 8 (issue 10's ledger note): ``vidbridge jobs reconcile KEY --adopt ID`` on Kling
polls the endpoint family the submit used (image2video, omni-video, video-extend...), read
from the intent (its lookup id ``family/external_task_id``, else the stored plan); when the
row cannot tell, ``--family`` must say, and the error says so. Against the simulator."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from vidbridge import VideoClient
from vidbridge.cli import app
from vidbridge.ledger import Ledger
from vidbridge.models import ImageInput, VideoRequest

from .crashkit import KLING, RUNWAY, Counting


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 360), (30, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


class Lost:
    """An image2video submit the provider took whose answer never reached the ledger."""

    def __init__(self, tmp: Path, base: str, monkeypatch: pytest.MonkeyPatch,
                 record_lookup_id: bool = True) -> None:
        self.config = tmp / "vidbridge.toml"
        self.config.write_text(
            f'[providers.kling]\nbase_url = "{base}/kling"\n{KLING.entry}'
            f'[providers.runway]\nbase_url = "{base}/runway"\n{RUNWAY.entry}')
        self.ledger_path = tmp / "ledger.sqlite3"
        monkeypatch.setenv("VIDBRIDGE_CONFIG", str(self.config))
        monkeypatch.setenv("VIDBRIDGE_LEDGER", str(self.ledger_path))
        request = VideoRequest(prompt="a paper lantern drifting up",
                               image=ImageInput(data=png(), mime_type="image/png"), duration=5)
        with _client(self.config) as client:
            core = client.core
            plan = core.plan(request, KLING.model, request_key=f"lost-{tmp.name}")
            adapter: Any = core.adapter("kling")
            creds = core.creds_for("kling")
            ledger = Ledger(self.ledger_path)
            self.key = ledger.intent(f"lost-{tmp.name}", plan, credential="kling",
                                     lookup_id=adapter.lookup_id(plan) if record_lookup_id
                                     else None)
            ledger.close()
            answer = httpx.Client().send(adapter.build_submit(plan, creds))
            self.job_id = adapter.parse_submit(answer, plan).id  # ... and then lost

    def reconcile(self, *options: str) -> Any:
        return CliRunner().invoke(app, ["jobs", "reconcile", self.key, *options])

    def runway_intent(self) -> str:
        """A Runway submit's intent in the same ledger (Runway has no endpoint families)."""
        with _client(self.config) as client:
            plan = client.core.plan(VideoRequest(prompt="a lantern", duration=5), RUNWAY.model)
        ledger = Ledger(self.ledger_path)
        key = ledger.intent("runway-lost", plan, credential="runway")
        ledger.close()
        return key

    def state(self) -> tuple[str, str | None, str | None]:
        ledger = Ledger(self.ledger_path)
        entry = ledger.get(self.key)
        ledger.close()
        family = entry.job.meta.get("family") if entry.job else None
        return entry.state, entry.job_id, family


def _client(config: Path) -> VideoClient:
    from vidbridge.config import load_config

    return VideoClient(config=load_config(config))


def test_adopt_polls_the_family_the_intent_recorded(sim: tuple[str, Counting], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    base, counting = sim
    lost = Lost(tmp_path, base, monkeypatch)
    posts = counting.submits(KLING)
    adopted = lost.reconcile("--adopt", lost.job_id)
    assert adopted.exit_code == 0, adopted.output
    assert lost.state() == ("accepted", lost.job_id, "image2video")
    # One line, whatever the width (80 here): the id and the next command copy whole.
    assert any(line.startswith(f"{lost.key}: adopted kling job {lost.job_id} (")
               and line.endswith(f"`vidbridge resume {lost.key}`")
               for line in adopted.output.splitlines()), adopted.output
    out = tmp_path / "out.mp4"
    resumed = CliRunner().invoke(app, ["resume", lost.key, "-o", str(out),
                                       "--poll-interval", "0.05"])
    assert resumed.exit_code == 0, resumed.output
    assert out.read_bytes()[4:8] == b"ftyp" and counting.submits(KLING) == posts


def test_a_row_that_cannot_tell_asks_for_the_family(sim: tuple[str, Counting], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    lost = Lost(tmp_path, sim[0], monkeypatch, record_lookup_id=False)
    refused = lost.reconcile("--adopt", lost.job_id)
    assert refused.exit_code != 0
    assert "--family" in refused.output and "image2video" in refused.output
    assert lost.state()[0] == "intent"  # nothing adopted, nothing polled on a guess
    wrong = lost.reconcile("--adopt", lost.job_id, "--family", "image-to-video")
    assert wrong.exit_code != 0 and "allowed: text2video, image2video" in wrong.output
    placed = lost.reconcile("--adopt", lost.job_id, "--family", "image2video")
    assert placed.exit_code == 0, placed.output
    assert lost.state() == ("accepted", lost.job_id, "image2video")


def test_a_family_that_contradicts_the_row_is_refused(sim: tuple[str, Counting],
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    lost = Lost(tmp_path, sim[0], monkeypatch)
    refused = lost.reconcile("--adopt", lost.job_id, "--family", "text2video")
    assert refused.exit_code != 0 and "went to image2video" in refused.output
    assert lost.state()[0] == "intent"
    alone = lost.reconcile("--family", "image2video")
    assert alone.exit_code == 2 and "--family goes with --adopt" in alone.output


def test_family_is_refused_for_a_provider_without_families(sim: tuple[str, Counting],
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    lost = Lost(tmp_path, sim[0], monkeypatch)
    key = lost.runway_intent()
    refused = CliRunner().invoke(app, ["jobs", "reconcile", key, "--adopt", "task-1",
                                       "--family", "image2video"])
    assert refused.exit_code != 0 and "runway jobs have no endpoint families" in refused.output


@pytest.mark.parametrize("pasted", ["..", "."])
def test_an_id_no_url_can_carry_is_refused_before_any_request(sim: tuple[str, Counting],
                                                              tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              pasted: str) -> None:
    lost = Lost(tmp_path, sim[0], monkeypatch)
    key = lost.runway_intent()
    refused = CliRunner().invoke(app, ["jobs", "reconcile", key, "--adopt", pasted])
    assert refused.exit_code == 1
    assert refused.output.strip() == (f"error: {pasted!r} is not a runway job id ({pasted!r} "
                                      "is not a job id a URL path can carry)")
    assert Ledger(lost.ledger_path).get(key).state == "intent"
