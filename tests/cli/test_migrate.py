"""`vidbridge migrate` on a fixture project holding every recognised call style."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidbridge.cli import app

FIXTURE = Path(__file__).parent / "migrate_fixture"
SIMULATOR = str(Path(__file__).resolve().parents[2] / "examples" / "simulator.toml")
HARD_CODED = ("hard-coded https://api.openai.com/v1 ignores OPENAI_BASE_URL; change this URL "
              "to the gateway's (e.g. read OPENAI_BASE_URL) to reach it")
EXPECTED = [  # file, line, call, operation, async, verdict, arguments
    ("app/no_route.py", 4, "OpenAI().videos.create", "create", False, "no candidate",
     {"model": "sora-3", "prompt": "a comet", "seconds": "8"}),
    ("app/raw_http.py", 12, "httpx.post", "create", False, "needs a change",
     {"model": "sora-2", "prompt": "a fox", "seconds": "4"}),
    ("app/raw_http.py", 14, "http.get", "retrieve", False, "ok", {}),
    ("app/raw_http.py", 18, "requests.get", "download_content", False, "needs a change",
     {"variant": "spritesheet"}),
    ("app/raw_http.py", 24, "session.delete", "delete", True, "ok", {}),
    ("app/sdk_async.py", 8, "client.videos.create", "create", True, "ok",
     {"model": "sora-2", "prompt": "a lighthouse", "seconds": "4"}),
    ("app/sdk_async.py", 10, "other.videos.extend", "extend", True, "ok with adjustments",
     {"prompt": "longer", "seconds": "8"}),
    ("app/sdk_sync.py", 12, "client.videos.create", "create", False, "ok with adjustments",
     {"model": "sora-2", "prompt": "a paper boat in the rain", "seconds": "12",
      "size": "1280x720"}),
    ("app/sdk_sync.py", 14, "videos.create_and_poll", "create_and_poll", False, "ok",
     {"model": "sora-2", "seconds": "8"}),
    ("app/sdk_sync.py", 15, "client.videos.retrieve", "retrieve", False, "ok", {}),
    ("app/sdk_sync.py", 16, "videos.poll", "poll", False, "ok", {}),
    ("app/sdk_sync.py", 17, "client.videos.list", "list", False, "ok", {}),
    ("app/sdk_sync.py", 18, "client.videos.download_content", "download_content", False,
     "ok with adjustments", {"variant": "thumbnail"}),
    ("app/sdk_sync.py", 19, "client.videos.remix", "remix", False, "ok with adjustments",
     {"prompt": "at night"}),
    ("app/sdk_sync.py", 20, "client.videos.delete", "delete", False, "ok", {}),
    ("app/sdk_sync.py", 21, "client.videos.create", "create", False, "ok with adjustments",
     {"model": "sora-2-pro", "prompt": "a kite", "seconds": "4", "size": "1024x1792"}),
    ("app/with_litellm.py", 7, "video_generation", "create", False, "needs a change",
     {"model": "openai/sora-2", "prompt": "a red kite", "seconds": "4", "size": "720x1280"}),
    ("app/with_litellm.py", 9, "litellm.video_status", "retrieve", False, "ok", {}),
    ("app/with_litellm.py", 10, "video_content", "download_content", False, "ok", {}),
    ("other/chat_too.py", 6, "client.videos.create", "create", False, "ok",
     {"model": "sora-2", "prompt": "a tree", "seconds": "4"}),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture project as the working directory (paths in reports are short)."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("VIDBRIDGE_LEDGER", str(tmp_path / "ledger.sqlite3"))
    return root


def run_json(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(app, ["migrate", *args, "-c", SIMULATOR, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_every_call_style_is_found_with_its_verdict(project: Path) -> None:
    code, sites = run_json(".")
    assert code == 1  # app/no_route.py has no candidate: CI fails on it
    assert [(s["file"], s["line"], s["call"], s["operation"], s["async"], s["verdict"],
             s["arguments"]) for s in sites] == EXPECTED
    for site in sites:
        assert set(site) >= {"file", "line", "call", "arguments", "verdict", "reasons",
                             "candidates"}
        assert site["reasons"], site


def test_a_create_lists_candidates_with_adjustments_and_cost(project: Path) -> None:
    _, sites = run_json("app/sdk_sync.py")
    twelve = sites[0]
    by_model = {c["model"]: c for c in twelve["candidates"]}
    assert set(by_model) == {"sora:sora-2", "veo:veo-3.1-generate-001",
                             "omni:gemini-omni-1.2-flash", "runway:gen4.5",
                             "kling:kling-v3:pro"}
    for candidate in by_model.values():
        assert set(candidate) >= {"model", "serves", "adjustments", "estimated_cost_usd",
                                  "reason"}
    assert by_model["sora:sora-2"]["serves"] is False
    assert "retired" in by_model["sora:sora-2"]["reason"]
    veo = by_model["veo:veo-3.1-generate-001"]
    assert veo["serves"] and veo["estimated_cost_usd"] == pytest.approx(3.2)
    assert [(a["field"], a["asked"], a["given"]) for a in veo["adjustments"]] == [
        ("duration", 12, 8)]
    assert twelve["reasons"][0] == ("served by veo:veo-3.1-generate-001 (route 'sora-2'), "
                                    "estimated $3.20")
    assert "runway:gen4.5 also serves (duration 12→10)" in twelve["reasons"]


def test_reasons_name_what_changes(project: Path) -> None:
    _, sites = run_json(".")
    by_where = {(s["file"], s["line"]): s for s in sites}
    assert by_where[("app/raw_http.py", 12)]["reasons"][-1] == f"line 8: {HARD_CODED}"
    assert by_where[("app/raw_http.py", 18)]["reasons"][-1] == f"line 18: {HARD_CODED}"
    assert by_where[("app/sdk_sync.py", 18)]["reasons"] == [
        "thumbnail variant: made locally from the MP4 (WebP)"]
    assert by_where[("app/sdk_sync.py", 19)]["reasons"][0].startswith(
        "remix: re-generated from the original request")
    assert "api_base" in by_where[("app/with_litellm.py", 7)]["reasons"][-1]
    assert "'sora-3' is no route, alias or provider:model" in \
        by_where[("app/no_route.py", 4)]["reasons"][0]


def test_exit_code_is_0_when_every_site_has_a_candidate(project: Path) -> None:
    code, sites = run_json("app/sdk_sync.py", "app/raw_http.py")
    assert code == 0 and len(sites) == 13


def test_markdown_is_a_pull_request_comment(project: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", "app/sdk_sync.py", "-c", SIMULATOR,
                                      "--markdown"])
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("## Leaving Sora")
    assert "| `app/sdk_sync.py:12` | `client.videos.create` | ok with adjustments |" in text
    assert "  - veo:veo-3.1-generate-001: serves, duration 12→8, est. $3.20" in text


def test_the_human_report_fits_80_columns(project: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", ".", "-c", SIMULATOR],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 1
    assert "no candidate  app/no_route.py:4  OpenAI().videos.create" in result.stdout
    assert "other/chat_too.py: not rewritten, the client also serves client.chat (line 5)" \
        in result.stdout
    assert "app/sdk_async.py:9: openai.AsyncOpenAI() is built through the module" in \
        result.stdout


def test_diff_and_fix_rewrite_only_files_using_the_client_for_videos(project: Path) -> None:
    before = {p: p.read_text() for p in project.rglob("*.py")}
    diff = CliRunner().invoke(app, ["migrate", ".", "-c", SIMULATOR, "--diff"])
    assert "-from openai import OpenAI\n+from vidbridge.compat.openai import OpenAI" in \
        diff.stdout
    assert "chat_too.py" not in diff.stdout and "not rewritten" in diff.stderr
    assert {p: p.read_text() for p in project.rglob("*.py")} == before  # --diff writes nothing
    fixed = CliRunner().invoke(app, ["migrate", ".", "-c", SIMULATOR, "--fix"])
    assert "rewrote app/sdk_sync.py" in fixed.stdout
    assert (project / "app/sdk_sync.py").read_text() == before[project / "app/sdk_sync.py"] \
        .replace("from openai import OpenAI", "from vidbridge.compat.openai import OpenAI")
    assert "from vidbridge.compat.openai import AsyncOpenAI" in \
        (project / "app/sdk_async.py").read_text()
    assert (project / "other/chat_too.py").read_text() == before[project / "other/chat_too.py"]


def test_a_missing_path_is_one_line(project: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", "nosuch.py", "-c", SIMULATOR])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no such file: nosuch.py"


def test_files_that_cannot_be_read_or_parsed_are_noted_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("x = " + "+".join(["a"] * 100_000) + "\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "pkg.py").mkdir()  # a folder named like a module is not a file to scan
    (tmp_path / "fine.py").write_text("x = 1\n")
    result = CliRunner().invoke(app, ["migrate", str(tmp_path), "-c", SIMULATOR])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert f"{tmp_path / 'deep.py'}: not scanned: nested too deeply" in result.stdout
    assert f"{tmp_path / 'dangling.py'}: not scanned: cannot read" in result.stdout
    assert "pkg.py" not in result.stdout


def test_json_keeps_stdout_to_the_sites_and_names_unscanned_files_on_stderr(
        tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def (:\n")
    (tmp_path / "fine.py").write_text("x = 1\n")
    result = CliRunner().invoke(app, ["migrate", str(tmp_path), "-c", SIMULATOR, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    assert result.stderr.startswith(f"{tmp_path / 'broken.py'}: not scanned: ")
    assert len(result.stderr.splitlines()) == 1
