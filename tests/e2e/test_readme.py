"""Every code block in README.md runs, against the simulator, as a reader would run it.

Python blocks are executed in a folder whose ``vidbridge.toml`` is ``examples/simulator.toml``
pointed at an in-process simulator; shell blocks run in bash there with ``.venv/bin`` first on
PATH (servers are started, seen to listen, and stopped with Ctrl-C; ports become 0, hosts
loopback; ``generate`` and ``resume`` poll the local simulator every 20 ms instead of the
providers' pace; a ``postgresql://`` URL becomes a throwaway PostgreSQL database from
``tests/postgres.py``, and the block skips where the machine has no PostgreSQL). ``toml``
blocks must parse. ``text`` blocks are output pasted from a run and are not executed. A
block preceded by ``<!-- not run: REASON -->`` is skipped, and so are the few shell lines
in ``SKIP_LINES``; both lists are asserted, so a new skip is a visible decision.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from vidbridge.simulator import SimulatorSettings, create_app, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"(?:<!-- not run: (?P<skip>[^>]*) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```",
                   re.S)
SHELL = {"bash", "sh", "shell"}
# Shell lines not run, and why (each must still be in the README, or the entry goes).
SKIP_LINES = {
    "make test": "the suite this test belongs to",
    "make bench": "the benchmarks take minutes; they print figures, not pass/fail",
    "pytest tests/contract --record-mode=once": "records cassettes with a real provider key",
}
SERVERS = ("vidbridge simulate", "vidbridge serve")
POSTGRES_URL = re.compile(r"postgresql://\S+")
LISTENING = "Uvicorn running on"  # what both servers log once they accept connections
START_S = 90  # a bound on start-up (a durable worker launches DBOS first), never reached


def blocks() -> list[tuple[int, str, str, str | None]]:
    text = README.read_text(encoding="utf-8")
    return [(text[:m.start()].count("\n") + 1, m["lang"], m["body"], m["skip"])
            for m in FENCE.finditer(text)]


def block_id(block: tuple[int, str, str, str | None]) -> str:
    return f"line{block[0]}-{block[1] or 'plain'}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding vidbridge.toml for a running simulator, like a user's project."""
    folder = tmp_path_factory.mktemp("readme")
    with serve_in_thread(create_app(SimulatorSettings(fast=True, seed=5))) as base:
        text = (ROOT / "examples" / "simulator.toml").read_text()
        (folder / "vidbridge.toml").write_text(
            f'ledger = "{folder / "ledger.sqlite3"}"\n'
            + text.replace("http://127.0.0.1:8750", base))
        (folder / "examples").symlink_to(ROOT / "examples")
        yield folder


@pytest.fixture
def in_workdir(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from vidbridge.engine import PollPolicy

    # The simulator is local and fast: no need for the providers' 5-10 s poll intervals.
    monkeypatch.setattr("vidbridge.core.PollPolicy", lambda: PollPolicy(
        first=0.02, factor=1.0, cap=0.02, provider_guidance=False))
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("VIDBRIDGE_CONFIG", str(workdir / "vidbridge.toml"))
    monkeypatch.setenv("VIDBRIDGE_LEDGER", str(workdir / "ledger.sqlite3"))
    return workdir


def test_the_readme_has_runnable_blocks_and_few_skips() -> None:
    found = blocks()
    assert sum(lang == "python" for _, lang, _, _ in found) >= 2
    assert sum(lang in SHELL for _, lang, _, _ in found) >= 2
    text = README.read_text(encoding="utf-8")
    for line in SKIP_LINES:
        assert line in text, f"{line!r} is no longer in README: drop it from SKIP_LINES"
    skipped = [(n, reason) for n, _, _, reason in found if reason]
    assert len(skipped) <= 3, skipped


@pytest.mark.parametrize("block", [b for b in blocks() if b[1] == "python"], ids=block_id)
def test_python_block_runs(block: tuple[int, str, str, str | None], in_workdir: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    line, _, body, skip = block
    if skip:
        pytest.skip(skip)
    # The contract-suite example imports the reader's own adapter: a stand-in module.
    monkeypatch.setitem(sys.modules, "acme_vidbridge",
                        types.SimpleNamespace(Acme=type("Acme", (), {"name": "acme"})))
    code = compile(body, f"README.md:{line}", "exec")
    exec(code, {"__name__": "readme_block"})  # noqa: S102 - the README's own example


@pytest.mark.parametrize("block", [b for b in blocks() if b[1] in SHELL], ids=block_id)
def test_shell_block_runs(block: tuple[int, str, str, str | None], in_workdir: Path,
                          request: pytest.FixtureRequest) -> None:
    line, _, body, skip = block
    if skip:
        pytest.skip(skip)
    script = "\n".join(shell_line(raw) for raw in body.splitlines())
    if POSTGRES_URL.search(script):  # skips, with the reason, where there is no PostgreSQL
        url = request.getfixturevalue("postgres_url")
        script = POSTGRES_URL.sub(lambda _: shlex.quote(url), script)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "COLUMNS": "100"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=in_workdir, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, (f"README.md:{line}\n{script}\n--- stdout\n{done.stdout}\n"
                                  f"--- stderr\n{done.stderr}")


def shell_line(raw: str) -> str:
    """One README shell line as the test runs it."""
    command = raw.split("  #")[0].split(" # ")[0].strip()
    if not command or command.startswith("#"):
        return ""
    if any(skip in command for skip in SKIP_LINES):
        return ": skipped"
    if command.startswith("make "):  # the Makefile's venv is this interpreter's
        return f"make -C {ROOT} VENV={Path(sys.executable).parents[1]} " \
               f"{command.removeprefix('make ')}"
    if command.split("=", 1)[-1].split(" ", 1)[-1].startswith(SERVERS) \
            or command.startswith(SERVERS):
        # Ephemeral port on loopback; wait until it listens, then Ctrl-C: it must start and
        # stop cleanly (exit 0 or 130).
        command = re.sub(r"--port \d+", "--port 0", command)
        command = re.sub(r"--host \S+", "--host 127.0.0.1", command)
        if "--port" not in command:
            command += " --port 0"
        command = command.replace("[", "").replace("]", "")
        return (f"timeout -k 5 {START_S * 2} {command} > server.log 2>&1 & pid=$!; "
                f"for _ in $(seq {START_S * 10}); do grep -q '{LISTENING}' server.log && "
                "break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done; "
                f"grep -q '{LISTENING}' server.log || {{ cat server.log; exit 1; }}; "
                "code=0; kill -INT $pid; wait $pid || code=$?; "
                "[ $code = 0 ] || [ $code = 130 ] || { cat server.log; exit 1; }")
    if command.startswith(("vidbridge generate", "vidbridge resume")) and \
            "--poll-interval" not in command:
        command += " --poll-interval 0.02"  # the local simulator needs no 10 s waits
    return command


@pytest.mark.parametrize("block", [b for b in blocks() if b[1] == "toml"], ids=block_id)
def test_toml_block_parses(block: tuple[int, str, str, str | None]) -> None:
    tomllib.loads(block[2])
