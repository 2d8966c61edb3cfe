"""The jobs lock: one active jobs process per database, the others wait (docs/operations.md, "A standby jobs process").

PostgreSQL: a session-level advisory lock on a connection of its own, held for the process's life. When the
process dies (kill -9 included), or its host or network does, PostgreSQL ends the session and frees the lock.
SQLite (one machine): an exclusive `flock` on a file beside the database file, which the kernel frees when the
process dies. An in-memory SQLite database is seen by one process only, so it needs no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

KEY = 0x74656C656A6F6273  # "telejobs": the advisory lock's bigint key, the same in every Televisit release
_HI, _LO = KEY >> 32, KEY & 0xFFFFFFFF  # how pg_locks shows a bigint key (classid, objid; objsubid 1)
# The active process notices a dead link (client side) before the server frees its lock (server side): a check
# unanswered for 10 s fails it, while the server gives up on a silent client only after 10 + 3 x 5 s.
_PG_CLIENT = {
    "connect_timeout": 10,
    "tcp_user_timeout": 10000,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
_PG_SERVER = "-c statement_timeout=10000 -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5"
_PG_SERVER += " -c tcp_keepalives_count=3 -c tcp_user_timeout=10000"
_HOLDER = text(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.classid::bigint = :hi AND l.objid::bigint = :lo"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
_MINE = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
    " AND classid::bigint = :hi AND objid::bigint = :lo AND pid = pg_backend_pid()"
)


class JobsLock(Protocol):
    """What the jobs process needs of a lock."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free (False: another process holds it)."""

    def still_held(self) -> bool:
        """This process still holds the lock (False: it was lost and another process may take it)."""

    def holder(self) -> str | None:
        """The name of the process holding the lock (`jobs@host:pid`), when known."""

    def release(self) -> None:
        """Give the lock up (a no-op when not held)."""


def lock_for(engine: Engine, name: str) -> JobsLock:
    """The jobs lock of `engine`'s database, for the process called `name`."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(url, name)
    if url.database in (None, "", ":memory:"):
        return NoLock()
    return FileLock(lock_file(url.database), name)


def lock_file(database: str) -> Path:
    """The lock file of a SQLite database file: beside it, so every process using that database finds it."""
    return Path(os.path.abspath(database + ".jobs-lock"))


class NoLock:
    """An in-memory database: no other process can see it, so this one is always the active one."""

    def try_acquire(self) -> bool:
        """Always free."""
        return True

    def still_held(self) -> bool:
        """Always held."""
        return True

    def holder(self) -> str | None:
        """Nobody else."""
        return None

    def release(self) -> None:
        """Nothing to give up."""


class FileLock:
    """`flock(LOCK_EX)` on a file beside the SQLite database; the holder's name is written into the file."""

    def __init__(self, path: Path, name: str):
        self.path, self.name, self.fd = path, name, None

    def try_acquire(self) -> bool:
        """Lock the file without waiting; a file replaced meanwhile does not count."""
        if self.fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        if not _same_file(fd, self.path):  # removed after we opened it: another process may lock the new one
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, self.name.encode(), 0)
        self.fd = fd
        return True

    def still_held(self) -> bool:
        """Held while the locked file is still the one at the path (nobody deleted or replaced it)."""
        return self.fd is not None and _same_file(self.fd, self.path)

    def holder(self) -> str | None:
        """The name the holder wrote into the file."""
        with contextlib.suppress(OSError):
            return self.path.read_text().strip() or None
        return None

    def release(self) -> None:
        """Empty the file and unlock it (the file stays: removing it would race with the next process)."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
        os.close(self.fd)  # closing the only descriptor of the open file releases the flock
        self.fd = None


def _same_file(fd: int, path: Path) -> bool:
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (here.st_dev, here.st_ino)


class AdvisoryLock:
    """`pg_try_advisory_lock` on a connection of its own (no pool), named `name` in pg_stat_activity."""

    def __init__(self, url: URL, name: str):
        args = {**_PG_CLIENT, "application_name": name, "options": _PG_SERVER}
        self.engine = create_engine(url, poolclass=NullPool, connect_args=args, hide_parameters=True)
        self.conn: Connection | None = None
        self.held = False

    def _ask(self, statement, params: dict) -> object:
        """One statement on the lock's connection; a failure closes it (its session, and any lock, are gone)."""
        try:
            if self.conn is None:
                self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return self.conn.execute(statement, params).scalar()
        except SQLAlchemyError:
            self._close()
            raise

    def try_acquire(self) -> bool:
        """Take the lock if free; raises SQLAlchemyError when the database cannot be reached."""
        self.held = bool(self._ask(text("SELECT pg_try_advisory_lock(:key)"), {"key": KEY}))
        return self.held

    def still_held(self) -> bool:
        """The session is alive and holds the lock (False on any error: the lock may be someone else's now)."""
        try:
            return self.held and self._ask(_MINE, {"hi": _HI, "lo": _LO}) == 1
        except SQLAlchemyError:
            self.held = False
            return False

    def holder(self) -> str | None:
        """The application_name of the session holding the lock (None: unknown or free)."""
        with contextlib.suppress(SQLAlchemyError):
            return self._ask(_HOLDER, {"hi": _HI, "lo": _LO}) or None  # type: ignore[return-value]
        return None

    def release(self) -> None:
        """Unlock, then close the session. Closing alone frees the lock too, but only once the server's backend
        has exited, a moment later: a standby asking right after would still find it taken."""
        if self.held and self.conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._ask(text("SELECT pg_advisory_unlock(:key)"), {"key": KEY})
        self.held = False
        self._close()
        self.engine.dispose()

    def _close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self.conn.close()
            self.conn = None
