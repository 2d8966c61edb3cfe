"""The waiting-room heartbeat beats even when every pooled connection of its process is taken (a reconnection storm
after another socket process died): on a server database it has a connection of its own (televisit/web/heartbeat.py).
Four missed beats would make the jobs clear the sockets of a process that is alive."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

import config
from televisit import create_app
from televisit.extensions import db
from televisit.models import WebProcess
from televisit.services.waiting_room import processes
from televisit.web import heartbeat


@pytest.fixture
def starved_app(pg_url):
    """An app on PostgreSQL whose pool is one connection that gives up after 0.5 s, with that connection taken."""
    cfg = config.TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = pg_url
    cfg.SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.5}
    app = create_app(cfg)
    with app.app_context():
        db.session.execute(db.delete(WebProcess))
        db.session.commit()
        db.session.remove()
        held = db.engine.connect()  # the whole pool, as a storm of socket events would hold it
        yield app
        held.close()
        db.session.remove()
        db.engine.dispose()


def _seen(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(WebProcess.name)))
    finally:
        engine.dispose()


def test_the_heartbeat_beats_on_its_own_connection_when_the_pool_is_taken(starved_app, pg_url):
    sessions = heartbeat.own_sessions()
    assert sessions is not None
    heartbeat.beat_once(sessions)
    assert _seen(pg_url) == [processes.process_name()]
    sessions.kw["bind"].dispose()


def test_on_the_apps_pool_it_would_have_missed_the_beat(starved_app, pg_url, caplog):
    """The same beat through the app's own session waits for the taken pool, gives up, and says so."""
    heartbeat.beat_once(None)
    assert _seen(pg_url) == []
    assert "waiting-room heartbeat failed" in caplog.text


def test_sqlite_has_no_second_connection(sqlite_url):
    """One file: a second engine is not needed (and an in-memory database would be another database)."""
    cfg = config.TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = sqlite_url
    with create_app(cfg).app_context():
        db.session.execute(db.delete(WebProcess))
        db.session.commit()
        assert heartbeat.own_sessions() is None
        heartbeat.beat_once(None)
        assert db.session.scalars(select(WebProcess.name)).all() == [processes.process_name()]
        db.session.execute(db.delete(WebProcess))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
