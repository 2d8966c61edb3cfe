"""Connection events. SQLite: WAL, foreign keys, a busy timeout, and every transaction BEGIN IMMEDIATE (but a
read-only probe's, televisit/services/operations/probe.py);
server databases: a ping only for connections that sat idle (`ping_when_idle`).

BEGIN IMMEDIATE takes the write lock at the start of the transaction, so the booking
check and its insert run serialized on SQLite (the embedded default); PostgreSQL relies on
its exclusion constraint instead.
"""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


READ_ONLY = "televisit_read_only"  # execution option: this connection only reads (a probe), so no write lock


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection with a round trip only when it has sat unused for `idle_seconds`.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: one extra round trip per request, a tenth of a
    booking's cost. A connection in steady use was just seen working; one that idled may have been cut
    (a database restart, a firewall). A connection that dies between two busy requests fails that
    request (503, Retry-After) and SQLAlchemy then invalidates the whole pool, so the next requests
    reconnect.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["televisit.idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("televisit.idle_since")
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure means this connection is gone
            raise DisconnectionError("the pooled connection failed its ping") from exc
        if not alive:
            raise DisconnectionError("the pooled connection failed its ping")
