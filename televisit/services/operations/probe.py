"""Short, read-only database connections for GET /readyz and /metrics: they answer within seconds, not after the
pool's 30 s wait or a connect that hangs on a database that never answers.

Each probe opens its own connection (no pool: a dead database leaves nothing stale behind) with the connect,
statement and lock timeouts set to `timeout` seconds, and reads without taking SQLite's write lock.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from televisit.db_events import READ_ONLY

_ENGINES: dict[tuple[str, float], Engine] = {}


def _in_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:")


def _connect_args(url: str, timeout: float) -> dict:
    if url.startswith("postgresql"):
        # libpq counts the connect timeout in whole seconds, at least 2.
        return {"connect_timeout": max(2, math.ceil(timeout)), "options": f"-c statement_timeout={int(timeout * 1000)}"}
    if url.startswith("sqlite"):
        return {"timeout": timeout}
    return {}


def engine_for(url: str, timeout: float, *, shared: Engine) -> Engine:
    """The probe engine for `url` (one per process); an in-memory SQLite database exists only in `shared`."""
    if _in_memory(url):
        return shared
    key = (url, timeout)
    if key not in _ENGINES:
        _ENGINES[key] = create_engine(
            url, poolclass=NullPool, connect_args=_connect_args(url, timeout), hide_parameters=True
        )
    return _ENGINES[key]


@contextlib.contextmanager
def reading(engine: Engine, timeout: float) -> Iterator[Connection]:
    """A read-only connection whose waits end after `timeout` seconds; rolled back and closed afterwards."""
    with engine.connect() as conn:
        conn.execution_options(**{READ_ONLY: True})
        if conn.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):  # not a shared one
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        try:
            yield conn
        finally:
            conn.rollback()
