"""A throwaway PostgreSQL server from the machine's binaries, for the tests that need one.

``initdb`` + ``pg_ctl`` in a temporary folder, listening only on a Unix socket inside that
folder (no TCP port to collide with another test run). PostgreSQL refuses to run as root, so
as root (CI) the cluster is created and started as the ``postgres`` system user that the
Debian package adds. Without binaries, ``start`` raises ``Unavailable`` with a one-line
reason the fixture turns into a skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/bin")
PORT = 5432  # only names the socket file: the server listens on no TCP address


class Unavailable(Exception):
    """No PostgreSQL here (the reason is one line, shown as the skip reason)."""


def binaries() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: $PG_BIN, PATH, then Debian's layout."""
    explicit = os.environ.get("PG_BIN")
    candidates = [explicit] if explicit else []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))  # Debian links into its bin
    for pattern in SEARCH:
        candidates.extend(sorted(glob.glob(pattern), reverse=True))  # newest version first
    for folder in candidates:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    raise Unavailable("no PostgreSQL binaries (initdb/pg_ctl): apt-get install postgresql")


@dataclass
class Server:
    root: Path
    bin: Path
    user: str | None  # the system user the server runs as (None: the current one)

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str = "postgres") -> str:
        """A libpq URL (SQLAlchemy and psycopg both read ``host`` as the socket folder)."""
        return f"postgresql://postgres@/{database}?host={self.root}&port={PORT}"

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    def create_database(self, name: str) -> str:
        done = self._run("createdb", "-h", str(self.root), "-p", str(PORT), "-U", "postgres",
                         name)
        if done.returncode != 0:
            raise RuntimeError(f"CREATE DATABASE {name} failed: {done.stderr.strip()}")
        return self.url(name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> Server:
    """Create and start a cluster; the caller stops it (``Server.stop``)."""
    folder = binaries()
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no 'postgres' user to run "
                              "PostgreSQL as") from None
        if shutil.which("runuser") is None:
            raise Unavailable("running as root and 'runuser' is missing")
        user = "postgres"
    # Short path: a Unix socket path must fit in ~107 bytes.
    root = Path(tempfile.mkdtemp(prefix="vbpg", dir="/tmp"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    server = Server(root, folder, user)
    init = server._run("initdb", "-D", str(root / "data"), "-U", "postgres", "-A", "trust",
                       "--no-sync", "-E", "UTF8")
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(f"initdb failed: {init.stderr.strip().splitlines()[-1:]}")
    # Durability off (fsync, full pages): a test cluster lives for one run; speed matters.
    options = (f"-k {root} -p {PORT} -c listen_addresses='' -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    started = server._run("pg_ctl", "-D", str(root / "data"), "-o", options,
                          "-l", str(root / "log"), "-w", "-t", "30", "start")
    if started.returncode != 0:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} {log[-500:]}")
    return server
