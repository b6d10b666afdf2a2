"""Files vidbridge writes: hidden temporary files beside the target, renamed into place.

A process killed mid-download leaves its ``.NAME.<hex>.part`` file behind. The next time
vidbridge writes into that folder it removes part files untouched for ``STALE_PART_AGE_S``
(an hour: a live download rewrites its part file continuously, so its age stays near zero).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path

STALE_PART_AGE_S = 3600.0
PART_GLOB = ".*.part"
RESCAN_S = 600.0  # look at one folder at most this often per process: writes stay cheap
_scanned: dict[Path, float] = {}


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


def remove_stale_parts(folder: Path, now: float | None = None) -> list[Path]:
    """Delete the stale part files of ``folder``; returns what was removed."""
    removed = []
    for path in stale_parts(folder, now):
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            continue
    return removed


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
    # The writer's pid is in the name so a finished write can tell its dead predecessors'
    # parts (a SIGKILLed download of the same target) from a live writer's.
    name = os.path.join(folder, f".{target.name}.{os.getpid()}-{secrets.token_hex(6)}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        return os.open(name, flags, 0o666), name
    except FileNotFoundError:  # the folder is new: made on demand, not stat-ed per write
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(name, flags, 0o666), name


def remove_dead_parts(target: Path) -> None:
    """Remove ``target``'s part files whose writer process is gone (called once ``target``
    is complete: they can only be earlier, killed attempts at the same file)."""
    prefix = f".{target.name}."
    try:
        with os.scandir(target.parent) as listing:  # one listing, no glob pattern compiling
            names = [entry.name for entry in listing
                     if entry.name.startswith(prefix) and entry.name.endswith(".part")]
    except OSError:
        return
    for name in names:
        pid, sep, _ = name[len(prefix):-len(".part")].partition("-")
        if sep and pid.isdigit() and not process_alive(int(pid)):
            (target.parent / name).unlink(missing_ok=True)


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


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` beside ``target`` and rename it into place; nothing partial remains."""
    fd, name = _temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(name, target)
        remove_dead_parts(target)
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
