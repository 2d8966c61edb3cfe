"""This web process's heartbeat while it holds waiting-room sockets (services/waiting_room/processes.py); each beat
also refreshes the process's gauge of patients waiting (televisit/metrics.py)."""

from __future__ import annotations

import logging
import os
import threading

from flask import current_app

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
        while True:
            socketio.sleep(app.config.get("WAITING_HEARTBEAT_SECONDS", 15))
            with app.app_context():
                try:
                    name = processes.process_name()
                    waiting = processes.waiting_here(db.session, name)
                    processes.beat(db.session, name, wall_now=clock.wall_now())
                    db.session.commit()
                    metrics.patients_waiting(waiting)
                except Exception:  # noqa: BLE001 - the next beat tries again; four may be missed
                    log.warning("waiting-room heartbeat failed", exc_info=True)
                finally:
                    db.session.remove()
