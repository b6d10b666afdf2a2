"""Part files beside a target: made on demand, and a dead writer's parts removed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_a_sink_names_its_part_with_the_writer_pid(tmp_path: Path) -> None:
    sink = files.Sink(tmp_path / "later" / "video.mp4")
    sink.write(b"abc")
    sink.close(keep=False)
    assert sink.path.name.startswith(f".video.mp4.{os.getpid()}-")
    assert sink.path.name.endswith(".part") and not sink.path.exists()


def test_only_dead_writers_parts_of_the_same_target_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "video.mp4"
    target.write_bytes(b"done")
    dead = tmp_path / f".video.mp4.{dead_pid()}-0123456789ab.part"
    live = tmp_path / f".video.mp4.{os.getpid()}-ba9876543210.part"
    other = tmp_path / f".other.mp4.{dead_pid()}-0123456789ab.part"
    unnamed = tmp_path / ".video.mp4.0123456789ab.part"  # old naming: no pid, left to the sweep
    for path in (dead, live, other, unnamed):
        path.write_bytes(b"half")
    files.remove_dead_parts(target)
    assert not dead.exists()
    assert live.exists() and other.exists() and unnamed.exists() and target.exists()


def test_removing_dead_parts_of_a_missing_folder_is_a_no_op(tmp_path: Path) -> None:
    files.remove_dead_parts(tmp_path / "gone" / "video.mp4")
