"""Job definitions as data: (name, seconds between runs, callable taking the app). Each is a thin call."""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.orm import Session

from televisit import clock
from televisit.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobDef:
    """One periodic job; `every_from` names a config setting that overrides `every_seconds`."""

    name: str
    every_seconds: int
    run: Callable[[Flask], object]
    every_from: str | None = None

    def interval(self, config) -> int:
        """Seconds between runs under `config`."""
        return int(config.get(self.every_from) or self.every_seconds) if self.every_from else self.every_seconds


def worker_name() -> str:
    """Who claimed a row (host:pid), for the outbox record."""
    return f"{socket.gethostname()}:{os.getpid()}"


def stop_event(app: Flask) -> threading.Event:
    """Set when the jobs process is told to stop (SIGTERM): dispatch ends after the message in hand."""
    return app.extensions.setdefault("televisit.jobs_stop", threading.Event())


def senders_for(app: Flask):
    """The configured adapters, built once per app."""
    from televisit.services.messaging.dispatch import senders_from

    if "televisit.senders" not in app.extensions:
        app.extensions["televisit.senders"] = senders_from(app.config)
    return app.extensions["televisit.senders"]


def dispatch_outbox(app: Flask) -> dict:
    """Send every due message (in batches) and report counts.

    On PostgreSQL several threads share the work (OUTBOX_THREADS, default 8): each claims its own
    batches (SKIP LOCKED), so waiting on the provider and the database overlaps. SQLite: one thread.
    """
    default = 8 if db.engine.dialect.name == "postgresql" else 1
    threads = max(1, int(app.config.get("OUTBOX_THREADS") or default))
    senders_for(app)  # built once, before the threads share it (one SMS pace for all of them)
    if threads == 1:
        return _dispatch_until_done(app, worker_name())
    results: list[dict] = [{} for _ in range(threads)]

    def run(i: int) -> None:
        with app.app_context():
            try:
                results[i] = _dispatch_until_done(app, f"{worker_name()}:{i}")
            except Exception:  # noqa: BLE001 - reported; the rows it held are reconciled after the lease
                log.exception("dispatch thread %s failed", i)
            finally:
                db.session.remove()

    # Each thread runs in a copy of this run's context, so its log lines carry the run's id.
    pool = [
        threading.Thread(target=contextvars.copy_context().run, args=(run, i), name=f"dispatch-{i}")
        for i in range(threads)
    ]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    totals: dict[str, int] = {}
    for counts in results:
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
    return totals


def _dispatch_until_done(app: Flask, worker: str) -> dict:
    # One connection held for the whole run: a session that returned it to the pool after every commit
    # would check it out (and pre-ping it) again twice per message.
    with db.engine.connect() as conn, Session(bind=conn) as session:
        return _dispatch_loop(app, session, worker)


def _dispatch_loop(app: Flask, session: Session, worker: str) -> dict:
    from televisit.services.messaging.dispatch import dispatch_batch
    from televisit.services.messaging.messages import settings_from

    totals: dict[str, int] = {}
    stop = stop_event(app)
    while not stop.is_set():
        counts = dispatch_batch(
            session,
            senders_for(app),
            settings_from(app.config),
            now=clock.now(),
            worker=worker,
            limit=int(app.config.get("OUTBOX_BATCH", 50)),
            clock=clock.now,
            stop=stop.is_set,
        )
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        if not counts:
            break
    return totals


def reconcile_outbox(app: Flask) -> dict:
    """Settle sends whose outcome is unknown (timeouts, crashes)."""
    from televisit.services.messaging.reconcile import reconcile

    return reconcile(db.session, senders_for(app), now=clock.now())


def purge_retention(app: Flask) -> dict:
    """Blank old message bodies and delete expired short-lived rows (docs/data-retention.md), in batches."""
    from televisit.services.retention import Periods, purge

    periods, batch = Periods.from_config(app.config), int(app.config.get("RETENTION_BATCH") or 1000)
    return purge(db.session, periods, now=clock.now(), batch=batch, stop=stop_event(app).is_set)


def offer_freed_slots(app: Flask) -> dict:
    """Offer time freed by cancels and moves to patients waiting for an earlier slot."""
    from televisit.services.messaging.waitlist import process_freed_slots

    return process_freed_slots(db.session, now=clock.now(), secret=app.config["SECRET_KEY"])


def waiting_room_sweep(app: Flask) -> dict:
    """Mark missed virtual visits as no-shows, tell checked-in patients their visit starts soon, and clear
    the sockets of web processes that died (no heartbeat).

    Committed first, then emitted: through Redis (write-only) when REDIS_URL is set, else through the
    app's own Socket.IO server (jobs running inside `flask serve --with-jobs`).
    """
    from televisit.services.waiting_room.processes import clear_dead, stale_after
    from televisit.services.waiting_room.sweeps import jobs_emitter, starts_soon, sweep_no_shows

    now = clock.now()
    missed = sweep_no_shows(db.session, now)
    soon = starts_soon(db.session, now)
    stale = stale_after(app.config.get("WAITING_HEARTBEAT_SECONDS", 15))
    cleared, gone = clear_dead(db.session, now=now, wall_now=clock.wall_now(), stale=stale)
    db.session.commit()
    jobs_emitter(app).emit_all(missed + soon + gone)
    counts = {"no_show": len(missed), "starts_soon": len(soon)} if missed or soon else {}
    return counts | ({"dead_sockets": cleared} if cleared else {})


def expire_holds(app: Flask) -> dict:
    """Release FHIR holds whose time is up (status cancelled, "hold expired"): their time is free again."""
    from televisit.services.booking.holds import expire

    released = expire(db.session, now=clock.now())
    return {"expired": released} if released else {}


def heartbeat(app: Flask) -> dict:
    """Say that this jobs process is alive, as often as web processes do (GET /readyz reports its silence)."""
    from televisit.services.waiting_room.processes import beat, jobs_process_name

    beat(db.session, jobs_process_name(), wall_now=clock.wall_now())
    db.session.commit()
    return {}


JOBS: tuple[JobDef, ...] = (
    JobDef("heartbeat", 15, heartbeat, every_from="WAITING_HEARTBEAT_SECONDS"),
    JobDef("reconcile_outbox", 60, reconcile_outbox),
    JobDef("purge_retention", 24 * 3600, purge_retention),  # daily, and once at each start
    JobDef("offer_freed_slots", 30, offer_freed_slots),
    JobDef("dispatch_outbox", 10, dispatch_outbox),
    JobDef("waiting_room_sweep", 30, waiting_room_sweep),
    JobDef("expire_holds", 60, expire_holds),
)
