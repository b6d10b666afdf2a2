"""The CLI's shared behaviour: one-line errors (traceback only with --debug), --json output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidbridge.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SIMULATOR = str(EXAMPLES / "simulator.toml")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_an_error_is_one_line_on_stderr_with_exit_code_1(runner: CliRunner) -> None:
    result = runner.invoke(app, ["models", "nosuch"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: unknown provider 'nosuch'; known providers: kling, omni, runway, sora, veo"]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_adds_the_traceback_wherever_it_is_written(runner: CliRunner, where: str) -> None:
    args = ["models", "nosuch"]
    args = ["--debug", *args] if where == "before" else [*args, "--debug"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: unknown provider 'nosuch'")


def test_a_missing_file_is_named_not_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "a kite", "--model", "veo:veo-3.1-generate-001",
                                 "--image", str(tmp_path / "nosuch.png")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"error: no such file: {tmp_path / 'nosuch.png'}"]



def test_a_retired_model_is_named_retired_not_a_missing_key(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Sora user's first try: told the model is gone, not to set a key for a dead API."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("VIDBRIDGE_CONFIG", raising=False)
    result = runner.invoke(app, ["generate", "a kite", "--model", "sora:sora-2",
                                 "-o", str(tmp_path / "kite.mp4")])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: sora:sora-2 is retired since 2026-09-24") and \
        "nothing was sent" in line and "OPENAI_API_KEY" not in line
    assert list(tmp_path.iterdir()) == []

def test_a_usage_error_is_exit_code_2_without_a_panel(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "x", "--nosuch"])
    assert result.exit_code == 2
    assert "No such option: --nosuch" in result.output and "╭" not in result.output


@pytest.mark.parametrize(("args", "line"), [
    (["check", "x", "--nosuch"], "No such option: --nosuch; see 'vidbridge check --help'"),
    (["nosuch"], "No such command 'nosuch'; see 'vidbridge --help'"),
    (["--nosuch"], "No such option: --nosuch; see 'vidbridge --help'"),
    (["generate"], "Missing argument 'prompt'; see 'vidbridge generate --help'"),
    (["generate", "a kite", "--duration", "long"],
     "Invalid value for '--duration': Input should be a valid number, unable to parse string "
     "as a number; see 'vidbridge generate --help'"),
])
def test_a_usage_error_is_one_line(runner: CliRunner, args: list[str], line: str) -> None:
    result = runner.invoke(app, args, prog_name="vidbridge")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {line}"] and result.stdout == ""


def test_a_bare_group_still_shows_its_help(runner: CliRunner) -> None:
    result = runner.invoke(app, ["jobs"], prog_name="vidbridge")
    assert "Usage: vidbridge jobs" in result.output and "error:" not in result.output


def test_models_json_is_the_table_as_data(runner: CliRunner) -> None:
    result = runner.invoke(app, ["models", "veo", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    row = next(r for r in rows if r["model"] == "veo:veo-3.1-generate-001")
    assert set(row) >= {"model", "durations", "sizes", "audio", "inputs", "price", "status"}
    assert 8 in row["durations"] and "1280x720" in row["sizes"]


def test_providers_list_json(runner: CliRunner) -> None:
    rows = json.loads(runner.invoke(app, ["providers", "list", "--json"]).stdout)
    by_name = {row["name"]: row for row in rows}
    assert {"sora", "veo", "runway", "kling"} <= set(by_name)
    assert "KLING_ACCESS_KEY" in by_name["kling"]["credential_env"]


def test_check_json_and_exit_code(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "a kite", "--duration", "12", "--route", "sora-2",
                                 "-c", SIMULATOR, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["model"] == "sora:sora-2" and rows[0]["serves"] is False
    assert "retired" in rows[0]["reason"]
    served = next(row for row in rows if row["serves"])
    assert {"field": "duration", "asked": 12, "given": 8} .items() <= served["adjustments"][0]\
        .items()


def test_jobs_list_says_no_jobs_when_empty(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'ledger = "{tmp_path / "l.sqlite3"}"\n' + Path(SIMULATOR).read_text())
    result = runner.invoke(app, ["jobs", "list", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "no jobs"
    assert json.loads(runner.invoke(app, ["jobs", "list", "-c", str(config), "--json"])
                      .stdout) == []


def one_error_line(result: object) -> str:
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and "Traceback" not in lines[0]
    return lines[0]


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No provider keys, no config and a private ledger, whatever the machine has."""
    for var in ("VIDBRIDGE_CONFIG", "GEMINI_API_KEY", "OPENAI_API_KEY", "RUNWAYML_API_SECRET",
                "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "VIDBRIDGE_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("VIDBRIDGE_LEDGER", str(tmp_path / "ledger.sqlite3"))
    return tmp_path


def test_duration_zero_names_the_field_and_the_allowed_range(runner: CliRunner,
                                                             isolated: Path) -> None:
    result = runner.invoke(app, ["generate", "a kite", "--duration", "0", "--model", "sora-2",
                                 "-c", SIMULATOR])
    assert result.exit_code == 1
    assert one_error_line(result) == "error: --duration: allowed: > 0 and <= 600 (got 0)"


def test_a_misspelt_model_suggests_the_alias(runner: CliRunner, isolated: Path) -> None:
    result = runner.invoke(app, ["generate", "a kite", "--model", "sora2", "-c", SIMULATOR])
    assert result.exit_code == 1
    assert "unknown model, route or alias 'sora2' (did you mean 'sora-2'?)" in \
        one_error_line(result)


def test_a_missing_gemini_key_names_the_variable(runner: CliRunner, isolated: Path) -> None:
    result = runner.invoke(app, ["generate", "a kite", "--model", "veo:veo-3.1-generate-001",
                                 "-o", str(isolated / "v.mp4")])
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "GEMINI_API_KEY" in line and "no an" not in line


def test_strict_lists_the_candidates_once(runner: CliRunner, isolated: Path) -> None:
    # 16 s: longer than any candidate makes (kling-v3 goes to 15), so each one refuses.
    result = runner.invoke(app, ["generate", "a kite", "--duration", "16", "--model", "sora-2",
                                 "--strict", "-c", SIMULATOR, "-o", str(isolated / "v.mp4")])
    assert result.exit_code == 1
    assert result.stderr.count("veo:veo-3.1-generate-001 skipped") == 1
    assert result.stderr.count("allowed duration: 4, 6, 8") == 1
    assert re.fullmatch(r"error: no candidate produced a video \(\d+ tried; the reasons are "
                        r"above\)", result.stderr.splitlines()[-1])


@pytest.mark.parametrize(("args", "expected"), [
    (["resume", "nosuch-id"], "no job 'nosuch-id' in the ledger"),
    (["simulate", "--scenario", "nosuch"], "unknown scenario 'nosuch'"),
    (["serve", "-c", "missing.toml"], "missing.toml does not exist"),
    (["serve", "-c", SIMULATOR, "--insecure-no-auth", "--host", "0.0.0.0"],
     "only binds a loopback address"),
    (["generate", "a kite"], "name a model ('provider:model') or a route"),
    (["models", "nosuch"], "unknown provider 'nosuch'"),
])
def test_each_former_traceback_is_one_line(runner: CliRunner, isolated: Path,
                                           args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert expected in one_error_line(result)


def test_serve_without_keys_is_one_line(runner: CliRunner, isolated: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIDBRIDGE_GATEWAY_KEYS", raising=False)
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: None)
    result = runner.invoke(app, ["serve", "-c", SIMULATOR])
    assert result.exit_code == 1
    assert "the gateway needs keys" in one_error_line(result)


def test_serve_insecure_prints_its_warning(runner: CliRunner, isolated: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: served.append(kwargs))
    result = runner.invoke(app, ["serve", "-c", SIMULATOR, "--insecure-no-auth"])
    assert result.exit_code == 0, result.output
    assert "warning: --insecure-no-auth" in result.stderr
    assert served and served[0]["host"] == "127.0.0.1"


def test_unseeded_simulators_never_share_job_ids() -> None:
    from vidbridge.simulator.jobs import Store

    assert Store(None).uuid() != Store(None).uuid()
    assert Store(5).uuid() == Store(5).uuid()


def test_models_fits_80_columns_with_every_id_whole(runner: CliRunner) -> None:
    result = runner.invoke(app, ["models"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    ids = [row["model"] for row in json.loads(runner.invoke(app, ["models", "--json"]).stdout)]
    shown = {line.split()[0] for line in lines[1:] if line.strip()}
    assert set(ids) == shown  # one line per model, its id never cut or wrapped
    assert "…" not in result.stdout


def test_names_from_the_config_are_text_not_markup(runner: CliRunner, tmp_path: Path) -> None:
    """A route named "night[/b]" once ended `models` and `doctor` in a MarkupError."""
    config = tmp_path / "brackets.toml"
    config.write_text('default_route = "night[/b]"\n[providers.runway]\napi_key = "k"\n'
                      'base_url = "http://127.0.0.1:9"\n'
                      '[routes."night[/b]"]\ncandidates = ["runway:gen4.5"]\n')
    for command in (["models", "runway"], ["doctor"]):
        result = runner.invoke(app, [*command, "-c", str(config)], env={"COLUMNS": "120"})
        assert "MarkupError" not in result.output, result.output
        assert "night[/b]" in result.stdout, result.output


def test_models_wide_shows_sizes_and_lifecycle(runner: CliRunner) -> None:
    result = runner.invoke(app, ["models", "sora", "--wide"], env={"COLUMNS": "250"})
    assert "retired since 2026-09-24" in result.stdout and "1280x720" in result.stdout


def test_ctrl_c_on_a_provider_without_cancel_names_the_job_to_resume() -> None:
    from types import SimpleNamespace

    from vidbridge.cli.progress import cancel_or_explain
    from vidbridge.models import Job

    adapter = SimpleNamespace(build_cancel=lambda job, creds: None)
    core = SimpleNamespace(adapter=lambda name: adapter, creds_for=lambda *names: None)
    job = Job(provider="veo", model="veo-3.1-generate-001", id="operations/42",
              status="running")
    message = cancel_or_explain(SimpleNamespace(core=core), job)
    assert message == ("veo cannot cancel a job; operations/42 keeps running there: "
                       "vidbridge resume operations/42")
    assert "nothing to cancel" in cancel_or_explain(SimpleNamespace(core=core), None)


def test_ctrl_c_during_the_submit_names_the_uncertain_row_to_settle(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from vidbridge.cli.progress import cancel_or_explain
    from vidbridge.ledger import Ledger
    from vidbridge.models import Plan

    ledger = Ledger(tmp_path / "jobs.sqlite3")
    plan = Plan(provider="runway", model="gen4.5", prompt="p", duration=5,
                aspect_ratio="16:9", resolution="720p", size="1280x720", audio=False)
    key = ledger.intent("req-1", plan, credential="runway")
    client = SimpleNamespace(core=SimpleNamespace(ledger=ledger))
    assert "nothing to cancel" in cancel_or_explain(client, None)  # an intent still in flight
    ledger.mark_uncertain(key, "interrupted (KeyboardInterrupt) before the submit's answer")
    message = cancel_or_explain(client, None)
    assert message == (f"interrupted before runway answered the submit; it may have accepted "
                       f"the job (ledger entry {key}, uncertain): vidbridge jobs reconcile "
                       f"{key} --adopt PROVIDER_JOB_ID, or --abandon")


def test_simulate_starts_with_random_ids_unless_seeded(runner: CliRunner,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: started.append(app))
    result = runner.invoke(app, ["simulate", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert "simulator on http://127.0.0.1:0" in result.stdout
    assert started[0].state.simulator.settings.seed is None  # type: ignore[attr-defined]
    runner.invoke(app, ["simulate", "--port", "0", "--seed", "7"])
    assert started[1].state.simulator.settings.seed == 7  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", [["jobs", "list"], ["resume", "vb_1"],
                                     ["jobs", "reconcile", "vb_1", "--abandon"]])
def test_a_corrupt_ledger_is_one_line_naming_it(runner: CliRunner, isolated: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               command: list[str]) -> None:
    ledger = isolated / "not-a-ledger.txt"
    ledger.write_text("hello\n")
    monkeypatch.setenv("VIDBRIDGE_LEDGER", str(ledger))
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert f"ledger {ledger}: not a vidbridge ledger" in line and "--debug" not in line


def test_an_output_that_is_a_directory_is_one_line_before_any_http(runner: CliRunner,
                                                                  isolated: Path) -> None:
    # The simulator config points at a port nothing listens on: any HTTP would fail otherwise.
    result = runner.invoke(app, ["generate", "a kite", "--model", "runway:gen4.5", "-c",
                                 SIMULATOR, "-o", str(isolated)])
    assert result.exit_code == 1
    assert one_error_line(result) == (f"error: output {isolated}: is a directory; give a file "
                                      f"path such as {isolated / 'video.mp4'}")


def test_ctrl_c_cancels_on_a_new_bounded_connection_not_the_interrupted_client() -> None:
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from types import SimpleNamespace

    import httpx

    from vidbridge.cli.progress import cancel_or_explain
    from vidbridge.models import Job

    class Cancelled(BaseHTTPRequestHandler):
        def do_DELETE(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Cancelled)
    threading.Thread(target=server.handle_request, daemon=True).start()
    silent = socket.socket()  # accepts (the kernel's backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    job = Job(provider="runway", model="gen4.5", id="task-1", status="running")

    def core(port: int) -> SimpleNamespace:
        adapter = SimpleNamespace(
            build_cancel=lambda job, creds: httpx.Request(
                "DELETE", f"http://127.0.0.1:{port}/v1/tasks/{job.id}"),
            raise_for_error=lambda response: response.raise_for_status())
        return SimpleNamespace(adapter=lambda name: adapter, creds_for=lambda *names: None)

    interrupted = SimpleNamespace(send=lambda request: pytest.fail("used the old pool"))
    try:
        done = cancel_or_explain(SimpleNamespace(core=core(server.server_address[1]),
                                                 http=interrupted), job)
        assert done == "cancelled runway job task-1"
        hung = cancel_or_explain(SimpleNamespace(core=core(silent.getsockname()[1]),
                                                 http=interrupted), job, timeout=0.2)
        assert hung.startswith("could not cancel runway job task-1 (") and \
            hung.endswith("vidbridge resume task-1")
    finally:
        server.server_close()
        silent.close()


@pytest.mark.parametrize(("args", "line"), [
    (["generate", "a kite", "--model", "runway:gen4.5", "--request-id", ""],
     "error: request_id is empty: give one, or leave it out"),
    (["generate", "a kite", "--model", "runway:gen4.5", "--request-id", "  "],
     "error: request_id is empty: give one, or leave it out"),
    (["check", "a kite", "--route", ""], "error: route is empty: give one, or leave it out"),
])
def test_an_empty_name_is_refused_not_read_as_none(runner: CliRunner, isolated: Path,
                                                   args: list[str], line: str) -> None:
    # An unset $ORDER_ID in --request-id "$ORDER_ID" made a fresh key: a rerun paid again.
    result = runner.invoke(app, [*args, "-c", SIMULATOR])
    assert result.exit_code == 1
    assert one_error_line(result) == line
