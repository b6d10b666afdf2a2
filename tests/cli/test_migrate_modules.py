"""`vidbridge migrate` on a project whose client lives in a module of its own: the video calls
of every module importing it are sites (they were passed over: "No video-generation call
sites found", exit 0, for a project calling a model nothing serves)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vidbridge.cli import app

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR = str(ROOT / "examples" / "simulator.toml")


def project(root: Path, files: dict[str, str]) -> dict[str, bytes]:
    for name, source in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source)
    return {name: (root / name).read_bytes() for name in files}


def migrate(root: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["migrate", str(root), *args, "-c", SIMULATOR])


def sites(root: Path) -> list[tuple[str, int, str, bool, str]]:
    result = migrate(root, "--json")
    return [(str(Path(s["file"]).relative_to(root)), s["line"], s["call"], s["async"],
             s["verdict"]) for s in json.loads(result.stdout)]


def user(imports: str, call: str, *, is_async: bool = False) -> str:
    """A module importing a client (``imports``) and making one call with it, on line 5."""
    head = "async def" if is_async else "def"
    return f"{imports}\n\n\n{head} use(i):\n    return {call}\n"


CLIENTS = "from openai import OpenAI\n\nclient = OpenAI()\nvideos = client.videos\n"
JOBS = '''from clients import client


def make(prompt):
    return client.videos.create_and_poll(model="sora-3", prompt=prompt, seconds="8")
'''


def test_a_client_imported_from_a_sibling_module_makes_its_calls_sites(tmp_path: Path) -> None:
    before = project(tmp_path, {
        "clients.py": CLIENTS, "jobs.py": JOBS,
        "web.py": user("import clients", "clients.client.videos.retrieve(i).status"),
        "thumbs.py": user("from clients import videos as v", "v.delete(i)")})
    assert sites(tmp_path) == [
        ("jobs.py", 5, "client.videos.create_and_poll", False, "no candidate"),
        ("thumbs.py", 5, "v.delete", False, "ok"),
        ("web.py", 5, "clients.client.videos.retrieve", False, "ok")]
    report = migrate(tmp_path)
    assert report.exit_code == 1, report.output  # sora-3: nothing serves it, a CI gate fails
    assert "clients.py: not rewritten, its client is used from" in report.output
    fixed = migrate(tmp_path, "--fix")
    assert fixed.exit_code == 1
    assert {name: (tmp_path / name).read_bytes() for name in before} == before  # untouched


def test_relative_imports_factories_and_module_aliases_in_a_package(tmp_path: Path) -> None:
    project(tmp_path, {
        "app/__init__.py": "",
        "app/clients.py": "from openai import AsyncOpenAI\n\n\n"
                          "def get_client() -> AsyncOpenAI:\n    return AsyncOpenAI()\n\n\n"
                          "shared = AsyncOpenAI()\n",
        "app/render.py": user("from .clients import get_client", "await get_client()."
                              "videos.create(model='sora-2', prompt=i)", is_async=True),
        "app/listing.py": user("from app import clients", "[v.id async for v in "
                               "clients.shared.videos.list()]", is_async=True),
        "app/deep/__init__.py": "",
        "app/deep/poll.py": user("from ..clients import shared as s",
                                 "await s.videos.retrieve(i)", is_async=True)})
    assert sites(tmp_path) == [
        ("app/deep/poll.py", 5, "s.videos.retrieve", True, "ok"),
        ("app/listing.py", 5, "clients.shared.videos.list", True, "ok"),
        ("app/render.py", 5, "get_client().videos.create", True, "ok")]


@pytest.mark.parametrize("imports", [
    "from elsewhere import client",  # not a scanned file: nothing is known of it
    "from clients import make_thumbnail as client",  # scanned, but not a client
])
def test_a_name_no_scanned_module_makes_a_client_is_no_site(tmp_path: Path,
                                                          imports: str) -> None:
    project(tmp_path, {"clients.py": CLIENTS + "\n\ndef make_thumbnail():\n    return 1\n",
                       "jobs.py": JOBS.replace("from clients import client", imports)})
    assert sites(tmp_path) == []


def test_one_file_named_alone_still_knows_the_client_module_beside_it(tmp_path: Path) -> None:
    project(tmp_path, {"clients.py": CLIENTS, "jobs.py": JOBS,
                       "pkg/__init__.py": "", "pkg/shared.py": CLIENTS,
                       "pkg/use.py": user("from .shared import client", "client.videos.list()")})
    alone = CliRunner().invoke(app, ["migrate", str(tmp_path / "jobs.py"), "--json", "-c",
                                     SIMULATOR])
    assert [(s["line"], s["verdict"]) for s in json.loads(alone.stdout)] == [
        (5, "no candidate")]
    assert alone.exit_code == 1
    relative = CliRunner().invoke(app, ["migrate", str(tmp_path / "pkg" / "use.py"), "--json",
                                        "-c", SIMULATOR])
    # Only the file named is reported: the module beside it was read for its client alone.
    assert [(Path(s["file"]).name, s["call"]) for s in json.loads(relative.stdout)] == [
        ("use.py", "client.videos.list")]
