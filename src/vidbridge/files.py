"""Files vidbridge writes: hidden temporary files beside the target, renamed into place.

A process killed mid-download leaves its ``.NAME.<pid>-<host>-<hex>.part`` file behind. The
first write a process makes into a folder (then at most every ``RESCAN_S``) sweeps it: a part
whose writer was a process of this host that is gone is removed at once, and any part
untouched for ``STALE_PART_AGE_S`` (an hour: a live download rewrites its part continuously,
so its age stays near zero) is removed too, whoever wrote it (another host's process cannot be
checked). One listing per folder per sweep, not per download: a folder of many videos stays
cheap to write into.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import time
from pathlib import Path
from typing import NoReturn

STALE_PART_AGE_S = 3600.0
PART_GLOB = ".*.part"
RESCAN_S = 600.0  # look at one folder at most this often per process: writes stay cheap
_scanned: dict[Path, float] = {}
# Which machine wrote a part (a shared folder may hold another host's live downloads, whose
# pids mean nothing here): a short digest of the host name, in every part's name.
HOST_TAG = hashlib.sha256(
    (os.uname().nodename if hasattr(os, "uname") else "").encode()).hexdigest()[:6]


def stale_parts(folder: Path, now: float | None = None,
                age_s: float = STALE_PART_AGE_S) -> list[Path]:
    """Part files in ``folder`` left untouched for longer than ``age_s``."""
    now = time.time() if now is None else now
    found = []
    try:
        candidates = list(folder.glob(PART_GLOB))
    except OSError:
        return []
    for path in candidates:
        try:
            if now - path.stat().st_mtime > age_s:
                found.append(path)
        except OSError:
            continue  # renamed or removed by its writer meanwhile
    return sorted(found)


def leftover_parts(folder: Path, now: float | None = None) -> list[Path]:
    """The part files of ``folder`` that no live download will finish: stale ones, and those
    of this host's writers that are gone (what the next write's sweep removes)."""
    return sorted({*stale_parts(folder, now), *dead_writers_parts(folder)})


def remove_stale_parts(folder: Path, now: float | None = None) -> list[Path]:
    """Delete ``folder``'s ``leftover_parts``; returns what was removed."""
    removed = []
    for path in leftover_parts(folder, now):
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            continue
    return removed


def dead_writers_parts(folder: Path) -> list[Path]:
    """Part files in ``folder`` written by a process of this host that no longer runs."""
    try:
        with os.scandir(folder) as listing:
            names = [entry.name for entry in listing
                     if entry.name.startswith(".") and entry.name.endswith(".part")]
    except OSError:
        return []
    return [folder / name for name in names if _writer_gone(name)]


def _writer_gone(name: str) -> bool:
    """``.NAME.<pid>-<host>-<hex>.part`` (``<pid>-<hex>``: written before the host tag)."""
    stem = name[: -len(".part")]
    writer = stem.rsplit(".", 1)[-1].split("-")
    if len(writer) not in (2, 3) or not writer[0].isdigit():
        return False  # no pid in the name (an older naming): left to the age rule
    if len(writer) == 3 and writer[1] != HOST_TAG:
        return False  # another host's: its pid cannot be checked here
    return not process_alive(int(writer[0]))


def _sweep_once(folder: Path) -> None:
    now = time.monotonic()
    last = _scanned.get(folder)
    if last is not None and now - last < RESCAN_S:
        return
    _scanned[folder] = now
    remove_stale_parts(folder)


def _temp_beside(target: Path) -> tuple[int, str]:
    """A new hidden file in ``target``'s folder (same file system, so the rename is atomic).

    Opened with mode 0o666 so the umask decides the final permissions, as for any file the
    user writes (mkstemp's 0o600 would leave videos unreadable to everyone else).
    """
    folder = target.parent
    _sweep_once(folder)
    # The writer's pid and host are in the name so a sweep can tell a dead writer's part
    # (a SIGKILLed download) from a live one's.
    name = os.path.join(
        folder, f".{target.name}.{os.getpid()}-{HOST_TAG}-{secrets.token_hex(6)}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        return os.open(name, flags, 0o666), name
    except FileNotFoundError:  # the folder is new: made on demand, not stat-ed per write
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(name, flags, 0o666), name


def process_alive(pid: int) -> bool:
    """Whether a process of this machine with ``pid`` exists (POSIX signal 0)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def process_started(pid: int) -> float | None:
    """When process ``pid`` of this machine started (epoch seconds, about 1 s precise), read
    from Linux's /proc; None where that cannot be read (another OS, no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(line for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        # Field 22 (starttime, clock ticks after boot) counted after the ")" of the name,
        # which may itself hold spaces or parentheses.
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return int(boot.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def check_target(target: Path) -> None:
    """Refuse, before any job is paid for, an output path no finished video can be renamed
    onto: a directory, a device or pipe (the rename would replace it), a path under a file,
    a folder this process cannot write, a name too long for its part file. Every job runs
    this, so it is a few ``os`` calls, not ``Path`` methods (half the cost)."""
    from .errors import ConfigError

    def refuse(problem: str) -> NoReturn:
        raise ConfigError(f"output {target}: {problem}")

    folder = target.parent
    mode = _mode(target)
    if mode is not None:
        if stat.S_ISDIR(mode):
            refuse(f"is a directory; give a file path such as {target / 'video.mp4'}")
        if not stat.S_ISREG(mode):
            refuse("is not a regular file (a device, pipe or socket would be replaced); give "
                   "a file path")
    else:  # the folders not there yet are made at the write: check the nearest one that is
        while (mode := _mode(folder)) is None and folder != folder.parent:
            folder = folder.parent
        if mode is not None and not stat.S_ISDIR(mode):
            refuse(f"{folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        refuse(f"cannot write in {folder} (permission denied)")
    try:
        longest = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        longest = 255
    if len(os.fsencode(target.name)) + PART_NAME_EXTRA > longest:
        refuse(f"the file name is too long (at most {longest - PART_NAME_EXTRA} bytes here)")


def _mode(path: Path) -> int | None:
    """``st_mode`` of what is at ``path``, or None where nothing is (or a file is a folder)."""
    try:
        return os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:  # e.g. a folder on the way this user may not search
        from .errors import ConfigError

        raise ConfigError(f"output {path}: cannot be checked ({exc.strerror})") from None


# What a part file adds to the target's name: ``.`` and ``.<pid>-<host>-<12 hex>.part``.
PART_NAME_EXTRA = 48


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` beside ``target`` and rename it into place; nothing partial remains."""
    fd, name = _temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


class Sink:
    """A temporary file beside the target that a driver streams a body into."""

    def __init__(self, target: Path) -> None:
        fd, name = _temp_beside(target)
        self.path = Path(name)
        self.handle = os.fdopen(fd, "wb")
        self.written = 0
        self.digest = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)
        self.digest.update(chunk)
        self.written += len(chunk)

    def close(self, keep: bool) -> None:
        self.handle.close()
        if not keep:
            self.path.unlink(missing_ok=True)
