"""High availability: a jobs process waits as a standby until it holds the jobs lock, then checks that it keeps it.

The lock itself is televisit/services/operations/jobs_lock.py; docs/operations.md, "A standby jobs process".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from televisit import clock
from televisit.extensions import db
from televisit.services.operations.jobs_lock import JobsLock, lock_for
from televisit.services.waiting_room.processes import JOBS_STANDBY, beat, forget, jobs_process_name

log = logging.getLogger(__name__)
LOST = 3  # exit status of an active process that lost the lock: systemd (Restart=always) starts it again, as a standby


def jobs_lock(app: Flask) -> JobsLock:
    """The jobs lock of this app's database, named after this process."""
    with app.app_context():
        return lock_for(db.engine, jobs_process_name())


def poll_seconds(app: Flask) -> float:
    """How often a standby tries the lock and the active process checks it."""
    return float(app.config.get("JOBS_LOCK_POLL_SECONDS") or 5)


def try_lock(lock: JobsLock) -> bool | None:
    """Take the lock if free: True, False (held by another process), None (the database does not answer)."""
    try:
        return lock.try_acquire()
    except SQLAlchemyError:
        return None


def wait_for_lock(app: Flask, lock: JobsLock, stop: threading.Event) -> bool:
    """Wait as a standby until this process holds the lock (True) or `stop` is set (False)."""
    poll, me, said = poll_seconds(app), jobs_process_name(JOBS_STANDBY), None
    beats = _Beats(app, me)
    try:
        while not stop.is_set():
            got = try_lock(lock)
            if got:
                log.info("jobs lock taken: %s is the active jobs process", jobs_process_name())
                return True
            news = f"held by {lock.holder() or 'another process'}" if got is False else "unknown: no database answer"
            if news != said:  # said once, and again when it changes
                level = logging.INFO if got is False else logging.WARNING
                log.log(level, "standby: the jobs lock is %s; trying again every %g s", news, poll)
                said = news
            if got is False:
                beats.maybe()
            stop.wait(poll)
        return False
    finally:
        beats.forget()


def acquire_within(app: Flask, lock: JobsLock, seconds: float, say: Callable[[str], None]) -> bool:
    """Take the lock, waiting up to `seconds` for it (`jobs run-once`); False if it stayed taken."""
    deadline = time.monotonic() + seconds
    told = False
    while not (got := try_lock(lock)):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if not told:
            holder = (lock.holder() or "another process") if got is False else "nobody known: no database answer"
            say(f"waiting up to {seconds:g} s for the jobs lock, held by {holder}")
            told = True
        time.sleep(min(left, poll_seconds(app), 1.0))
    return True


def watch(app: Flask, lock: JobsLock, stop: threading.Event, on_lost: Callable[[], None]) -> threading.Thread:
    """Check the lock every poll interval until `stop`; call `on_lost` once if it is no longer held."""
    poll = poll_seconds(app)

    def run() -> None:
        while not stop.wait(poll):
            if not lock.still_held():
                log.error("jobs lock lost (session ended or lock file removed): stopping so that one process runs jobs")
                on_lost()
                return

    thread = threading.Thread(target=run, name="jobs-lock-watch", daemon=True)
    thread.start()
    return thread


class _Beats:
    """A standby's heartbeat row (`jobs-standby@host:pid`), written at most once per heartbeat interval."""

    def __init__(self, app: Flask, name: str):
        self.app, self.name, self.last = app, name, None
        self.every = float(app.config.get("WAITING_HEARTBEAT_SECONDS") or 15)

    def maybe(self) -> None:
        """Beat if a heartbeat interval has passed (a database error is logged, not raised)."""
        if self.last is not None and time.monotonic() - self.last < self.every:
            return
        self.last = time.monotonic()
        self._write(lambda s: beat(s, self.name, wall_now=clock.wall_now()))

    def forget(self) -> None:
        """Remove the row (taking over or stopping)."""
        if self.last is not None:
            self._write(lambda s: forget(s, self.name))

    def _write(self, change: Callable) -> None:
        with self.app.app_context():
            try:
                change(db.session)
                db.session.commit()
            except SQLAlchemyError as exc:
                db.session.rollback()
                log.warning("standby heartbeat not written (%s)", type(getattr(exc, "orig", None) or exc).__name__)
            finally:
                db.session.remove()
