"""A web process that dies (kill -9) leaves no ghosts: it stops beating, the jobs clear its sockets, and
patients connected to another process hear that their clinician went offline.

Two live server processes share PostgreSQL and Redis; each beats every second here (the default is 15 s).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from televisit import clock
from televisit.extensions import db
from televisit.models import SocketPresence, WebProcess
from tests.conftest import REDIS_URL, service_missing
from tests.integration.test_waiting_room_redis import _redis_problem
from tests.support.waiting_world import live_server, world

BEAT = 1  # seconds, for these servers


@pytest.fixture(scope="module")
def pair():
    problem = _redis_problem()
    if problem:
        service_missing(problem)
    env = {"TELEVISIT_WAITING_HEARTBEAT_SECONDS": str(BEAT)}
    with live_server("postgresql", redis_url=REDIS_URL, servers=2, extra_env=env) as servers:
        yield servers


@pytest.fixture
def w(pair):
    yield from world(pair[0])


def _presence(app) -> dict[str, str]:
    """kind -> the process holding that socket."""
    with app.app_context():
        rows = db.session.execute(select(SocketPresence.kind, SocketPresence.process)).all()
        db.session.remove()
    return dict(rows)


def _beats(app) -> dict:
    with app.app_context():
        rows = dict(db.session.execute(select(WebProcess.name, WebProcess.seen_at)).all())
        db.session.remove()
    return rows


def _sweep(app) -> dict:
    """The jobs' waiting-room sweep, emitting through Redis as the jobs process does."""
    from jobs.definitions import waiting_room_sweep

    app.config.update(REDIS_URL=REDIS_URL, WAITING_HEARTBEAT_SECONDS=BEAT)
    try:
        with app.app_context():
            result = waiting_room_sweep(app)
            db.session.remove()
    finally:
        app.config["REDIS_URL"] = None
    return result


def _wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_each_process_beats_and_names_its_sockets(w, pair):
    a = w.book("ada", "09:10")
    ada = w.peer("ada", server=pair[0].server)
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    w.peer("doc", server=pair[1].server).call("join_clinic", {})
    held = _presence(pair[0].app)
    assert held["patient"] != held["clinic"]  # two processes, each named on its own sockets
    _wait_for(lambda: set(held.values()) <= set(_beats(pair[0].app)))
    first = _beats(pair[0].app)
    assert set(held.values()) <= set(first)
    time.sleep(BEAT * 2.5)
    later = _beats(pair[0].app)
    assert all(later[name] > first[name] for name in held.values())  # still beating
    assert _sweep(pair[0].app) == {}  # the living are left alone


def test_a_killed_process_is_cleared_and_its_clinician_goes_offline_for_the_line(w, pair):
    one, two = pair[0], pair[1]
    a = w.book("ada", "09:20")
    ada = w.peer("ada", server=one.server)
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    clinic = w.peer("doc", server=two.server)
    assert clinic.call("join_clinic", {})["ok"] is True
    ada.wait("clinician_status", lambda d: d["status"] == "available")
    dead = _presence(one.app)["clinic"]
    _wait_for(lambda: dead in _beats(one.app))  # beating (the world's wipe cleared the earlier beats)

    two.server.proc.kill()  # no disconnect handlers run: its rows stay behind
    two.server.proc.wait(10)
    assert _presence(one.app)["clinic"] == dead
    with one.app.app_context():  # as if four beats had passed (rather than wait for them)
        db.session.execute(
            update(WebProcess).where(WebProcess.name == dead).values(seen_at=clock.wall_now() - timedelta(minutes=5))
        )
        db.session.commit()
        db.session.remove()

    mark = ada.mark()
    assert _sweep(one.app) == {"dead_sockets": 1}
    assert ada.wait("clinician_status", lambda d: d["status"] == "offline", since=mark) == {"status": "offline"}
    assert "clinic" not in _presence(one.app) and "patient" in _presence(one.app)  # ada's own socket lives on
    assert dead not in _beats(one.app)
    assert _sweep(one.app) == {}  # once
