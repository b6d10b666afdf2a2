"""Part files beside a target: made on demand, and a dead writer's parts removed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vidbridge import files


def dead_pid() -> int:
    """The pid of a process that has exited (reaped, so nothing owns it any more)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_write_into_a_new_folder_makes_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "video.mp4"
    files.write_atomically(target, b"bytes")
    assert target.read_bytes() == b"bytes"
    assert [p.name for p in target.parent.iterdir()] == ["video.mp4"]  # no part left


def test_a_sink_names_its_part_with_the_writer_pid_and_host(tmp_path: Path) -> None:
    sink = files.Sink(tmp_path / "later" / "video.mp4")
    sink.write(b"abc")
    sink.close(keep=False)
    assert sink.path.name.startswith(f".video.mp4.{os.getpid()}-{files.HOST_TAG}-")
    assert sink.path.name.endswith(".part") and not sink.path.exists()


def test_a_folder_sweep_removes_only_this_hosts_dead_writers_parts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead, me = dead_pid(), os.getpid()
    other_host = "0" * 6 if files.HOST_TAG != "0" * 6 else "1" * 6
    gone = [tmp_path / f".video.mp4.{dead}-{files.HOST_TAG}-0123456789ab.part",
            tmp_path / f".other.mp4.{dead}-{files.HOST_TAG}-0123456789ab.part",
            tmp_path / f".old.mp4.{dead}-0123456789ab.part"]  # pid, no host: written here
    kept = [tmp_path / f".video.mp4.{me}-{files.HOST_TAG}-ba9876543210.part",  # alive
            tmp_path / f".video.mp4.{dead}-{other_host}-0123456789ab.part",  # unknowable
            tmp_path / ".video.mp4.0123456789ab.part",  # no pid: left to the age rule
            tmp_path / "video.mp4"]
    for path in gone + kept:
        path.write_bytes(b"half")
    monkeypatch.setattr(files, "_scanned", {})
    files.Sink(tmp_path / "new.mp4").close(keep=False)  # the folder's first write sweeps it
    assert [path for path in gone if path.exists()] == []
    assert all(path.exists() for path in kept)


def test_a_folder_is_swept_once_per_rescan_period(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "_scanned", {})
    files.write_atomically(tmp_path / "first.mp4", b"one")
    late = tmp_path / f".late.mp4.{dead_pid()}-{files.HOST_TAG}-0123456789ab.part"
    late.write_bytes(b"half")  # a writer that died after this process's sweep
    files.write_atomically(tmp_path / "second.mp4", b"two")
    assert late.exists()  # not listed again per write
    monkeypatch.setattr(files, "_scanned", {tmp_path: -files.RESCAN_S})  # the period passed
    files.write_atomically(tmp_path / "third.mp4", b"three")
    assert not late.exists()


def test_sweeping_a_missing_folder_is_a_no_op(tmp_path: Path) -> None:
    assert files.remove_stale_parts(tmp_path / "gone") == []
