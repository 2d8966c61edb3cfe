"""This web process's heartbeat while it holds waiting-room sockets (services/waiting_room/processes.py); each beat
also refreshes the process's gauge of patients waiting (televisit/metrics.py)."""

from __future__ import annotations

import logging
import os
import threading

from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from televisit import clock, metrics
from televisit.extensions import db, socketio
from televisit.services.waiting_room import processes

log = logging.getLogger(__name__)


class Heartbeat:
    """This process's heartbeat (services/waiting_room/processes.py), kept from its first socket on: beaten once
    in that connection's transaction, so no socket is ever recorded for a process nobody has seen, then
    every WAITING_HEARTBEAT_SECONDS by a background task."""

    def __init__(self):
        self.pid: int | None = None
        self.lock = threading.Lock()

    def start(self, session) -> None:
        """Beat now and start beating, once per process (a forked worker starts its own). No lock is held
        while the database is used: on SQLite that could wait on a writer that waits on the lock."""
        pid = os.getpid()
        if self.pid == pid:
            return
        processes.beat(session, processes.process_name(), wall_now=clock.wall_now())
        session.commit()
        with self.lock:
            if self.pid == pid:
                return
            self.pid = pid
        socketio.start_background_task(self._run, current_app._get_current_object())

    @staticmethod
    def _run(app) -> None:
        with app.app_context():
            sessions = own_sessions()
        while True:
            socketio.sleep(app.config.get("WAITING_HEARTBEAT_SECONDS", 15))
            with app.app_context():
                beat_once(sessions)


def own_sessions() -> sessionmaker | None:
    """Sessions on the heartbeat's own database connection (a server database), or None (SQLite: the app's own).

    A socket process under a reconnection storm can have every pooled connection taken and a queue waiting for
    them; a heartbeat waiting in that queue would miss its beats, and after four the jobs clear the sockets of a
    process that is alive. So the heartbeat keeps one connection of its own, outside the app's pool."""
    if db.engine.dialect.name == "sqlite":
        return None  # one file or one in-memory database: a second engine would not be the same one
    engine = create_engine(db.engine.url, pool_size=1, max_overflow=0, pool_pre_ping=True, pool_timeout=5)
    return sessionmaker(bind=engine)


def beat_once(sessions: sessionmaker | None) -> None:
    """One beat of this process, and its gauge of patients waiting; a failure is logged (the next beat tries)."""
    session = sessions() if sessions is not None else db.session
    try:
        name = processes.process_name()
        waiting = processes.waiting_here(session, name)
        processes.beat(session, name, wall_now=clock.wall_now())
        session.commit()
        metrics.patients_waiting(waiting)
    except Exception:  # noqa: BLE001 - the next beat tries again; four may be missed
        log.warning("waiting-room heartbeat failed", exc_info=True)
        session.rollback()
    finally:
        if sessions is not None:
            session.close()
        else:
            db.session.remove()
