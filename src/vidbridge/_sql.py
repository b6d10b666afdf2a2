"""One small database connection for the ledger and the video store: SQLite or PostgreSQL.

SQLite (a path) is the embedded default. A ``postgresql://`` URL lets several gateway
workers share one database, so any worker can read any job. The tables are written once, in
the SQLite dialect both engines mostly share; for PostgreSQL the few differences are
translated here (``?`` placeholders, ``AUTOINCREMENT``, ``BLOB``, ``REAL``, ``PRAGMA``), so
the modules that own those tables keep a single schema, and so are the two SQLite functions
the queries use (``date(x, 'unixepoch')``, ``ROUND(real, n)``). ``exclusive`` is a
check-then-write transaction that holds across processes on both engines. psycopg is loaded
only for a URL (it comes with the ``scale`` extra).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from .errors import ConfigError

SCHEMA_LOCK = 0x76696462  # "vidb": the advisory lock id schema creation holds
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class Connection(Protocol):
    def execute(self, sql: str, args: Any = ...) -> Any: ...
    def executescript(self, script: str) -> Any: ...
    def close(self) -> None: ...


def is_url(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


def connect(location: str | Path) -> Connection:
    """A connection in autocommit mode (each statement commits), safe behind a lock."""
    text = str(location)
    if is_url(text):
        return _Postgres(text)
    if text != ":memory:":
        Path(text).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(text, check_same_thread=False, isolation_level=None, timeout=30.0)
    if text != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
    return db


def open_with(location: str | Path, script: str, what: str) -> Connection:
    """``connect`` and run the ``script`` that makes the tables; a file, folder or table that
    is not one of ours is one ``ConfigError`` naming ``what`` it was to be and where."""
    try:
        db = connect(location)
        db.executescript(script)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise unusable(str(location), exc, what) from None
    return db


def unusable(location: str, exc: BaseException, what: str,
             fix: str = "give it a new path, or one of vidbridge's SQLite files") -> ConfigError:
    """The one-line error for a ``what`` (ledger, video store...) that cannot be opened."""
    if "locked" in str(exc):  # one of ours, busy: the 30 s busy timeout ran out
        return ConfigError(f"{what} {display(location)}: another process held it locked for "
                           "over 30 s; try again when it is done")
    why = ("it is a directory" if Path(location).is_dir()
           else f"{exc.filename} is not a folder" if isinstance(exc, OSError) and exc.filename
           else "file is not a database" if "not a database" in str(exc)
           else str(exc))
    return ConfigError(f"{what} {display(location)}: not a vidbridge {what} ({why}); {fix}")


def display(location: str | Path) -> str:
    """Where a database is, for messages: a URL without its password."""
    text = str(location)
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", text) if is_url(text) else text


_TYPES = [(re.compile(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", re.I), "BIGSERIAL PRIMARY KEY"),
          (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
          (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),  # PostgreSQL REAL is 4 bytes
          (re.compile(r"\bINTEGER\b", re.I), "BIGINT")]


# SQLite functions the queries use, spelt for PostgreSQL: a UTC day as 'YYYY-MM-DD' text from
# epoch seconds, and ROUND of a double (PostgreSQL rounds only NUMERIC to n places; cast back so
# both engines hand Python a float).
_FUNCTIONS = [
    (re.compile(r"\bdate\(\s*(\w+)\s*,\s*'unixepoch'\s*\)", re.I),
     r"to_char(to_timestamp(\1) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
    (re.compile(r"\bROUND\(((?:[^(),]|\([^()]*\))+),\s*(\d+)\s*\)", re.I),
     r"CAST(ROUND(CAST(\1 AS NUMERIC), \2) AS DOUBLE PRECISION)"),
]


def postgres_dialect(sql: str) -> str:
    """SQLite SQL as PostgreSQL runs it (``?`` outside string literals become ``%s``)."""
    for pattern, replacement in _TYPES + _FUNCTIONS:
        sql = pattern.sub(replacement, sql)
    parts = sql.split("'")
    for index in range(0, len(parts), 2):  # even parts are outside quotes
        parts[index] = parts[index].replace("%", "%%").replace("?", "%s")
    return "'".join(parts)


@contextlib.contextmanager
def exclusive(db: Connection, name: str) -> Iterator[None]:
    """One transaction that no other ``exclusive(db, name)`` overlaps, in any process: for a
    read followed by a write that depends on it (a budget check, then its reservation).

    SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock (other writers wait up to the
    connection's timeout). PostgreSQL: a transaction-scoped advisory lock on ``name``, so only
    holders of the same name wait, and the lock ends with the transaction, even if the
    process dies. The caller keeps other threads off ``db`` meanwhile (its own lock).
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        if isinstance(db, _Postgres):
            digest = hashlib.sha256(f"vidbridge:{name}".encode()).digest()
            db.execute("SELECT pg_advisory_xact_lock(?)",
                       (int.from_bytes(digest[:8], "big", signed=True),))
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class _Postgres:
    """A psycopg connection with sqlite3's ``execute``/``executescript`` shape."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise ConfigError("a postgresql:// database needs psycopg: pip install "
                              "'vidbridge[scale]'") from None
        self._psycopg = psycopg
        self._url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self._lock = threading.Lock()
        self._db = self._open()

    def _open(self) -> Any:
        try:
            return self._psycopg.connect(self._url, autocommit=True)
        except self._psycopg.OperationalError as exc:
            raise ConfigError(f"cannot connect to {display(self._url)}: "
                              f"{str(exc).strip().splitlines()[0]}") from None

    def execute(self, sql: str, args: Any = ()) -> Any:
        head = sql.lstrip().upper()
        if head.startswith("PRAGMA"):
            return _Empty()
        if head.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE: PostgreSQL locks per row
            sql = "BEGIN"
        with self._lock:
            try:
                return self._run(sql, args)
            except self._psycopg.errors.IntegrityError as exc:
                # Callers catch sqlite3's class (the schema's UNIQUE rules are the same).
                raise sqlite3.IntegrityError(str(exc).splitlines()[0]) from None

    def _run(self, sql: str, args: Any) -> Any:
        try:
            return self._db.execute(postgres_dialect(sql), tuple(args))
        except self._psycopg.OperationalError:
            if self._db.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
                raise  # inside a transaction: its statements cannot be replayed here
            # A dropped connection (server restart, failover): reconnect once.
            self._db = self._open()
            return self._db.execute(postgres_dialect(sql), tuple(args))

    def executescript(self, script: str) -> None:
        # Workers starting together would race on CREATE ... IF NOT EXISTS (PostgreSQL's
        # catalogue raises a unique violation): one at a time, under an advisory lock.
        self.execute("SELECT pg_advisory_lock(?)", (SCHEMA_LOCK,))
        try:
            for statement in _statements(script):
                self.execute(statement)
        finally:
            self.execute("SELECT pg_advisory_unlock(?)", (SCHEMA_LOCK,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Empty:
    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list[Any]:
        return []


def _statements(script: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
