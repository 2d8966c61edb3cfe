"""Pooled PostgreSQL connections are pinged only after sitting idle (televisit/db_events.py: ping_when_idle),
and a connection that died while idle is replaced before anyone uses it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from televisit.db_events import ping_when_idle

IDLE = 0.3


@pytest.fixture
def engine(pg_url):
    eng = create_engine(pg_url, pool_size=1, max_overflow=0)
    ping_when_idle(eng, IDLE)
    pings = []
    real = eng.dialect.do_ping
    eng.dialect.do_ping = lambda dbapi_connection: pings.append(1) or real(dbapi_connection)
    eng.pings = pings
    yield eng
    eng.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_in_steady_use_is_not_pinged_an_idle_one_is(engine):
    _backend_pid(engine)  # a new connection: nothing known about it yet, so it is checked
    assert len(engine.pings) == 1
    for _ in range(5):
        _backend_pid(engine)
    assert len(engine.pings) == 1  # back-to-back use: no extra round trips
    time.sleep(IDLE + 0.1)
    _backend_pid(engine)
    assert len(engine.pings) == 2


def test_a_connection_that_died_while_idle_is_replaced_before_use(engine, pg_url):
    first = _backend_pid(engine)
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first}).scalar_one()
    admin.dispose()
    time.sleep(IDLE + 0.1)
    second = _backend_pid(engine)  # no error reaches the caller: the ping failed and the pool reconnected
    assert second != first
