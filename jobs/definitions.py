"""Job definitions as data: (name, seconds between runs, callable taking the app). Each is a thin call."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from televisit import clock
from televisit.extensions import db


@dataclass(frozen=True)
class JobDef:
    """One periodic job."""

    name: str
    every_seconds: int
    run: Callable[[Flask], object]


def worker_name() -> str:
    """Who claimed a row (host:pid), for the outbox record."""
    return f"{socket.gethostname()}:{os.getpid()}"


def senders_for(app: Flask):
    """The configured adapters, built once per app."""
    from televisit.adapters.factory import email_sender, sms_sender
    from televisit.services.dispatch import Senders

    if "televisit.senders" not in app.extensions:
        app.extensions["televisit.senders"] = Senders(
            sms_sender(app.config), email_sender(app.config), app.config.get("TWILIO_RATE_PER_SECOND", 0)
        )
    return app.extensions["televisit.senders"]


def dispatch_outbox(app: Flask) -> dict:
    """Send every due message (in batches) and report counts."""
    from televisit.services.dispatch import dispatch_batch
    from televisit.services.messages import settings_from

    totals: dict[str, int] = {}
    while True:
        counts = dispatch_batch(
            db.session,
            senders_for(app),
            settings_from(app.config),
            now=clock.now(),
            worker=worker_name(),
            limit=int(app.config.get("OUTBOX_BATCH", 200)),
        )
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        if not counts:
            return totals


def reconcile_outbox(app: Flask) -> dict:
    """Settle sends whose outcome is unknown (timeouts, crashes)."""
    from televisit.services.dispatch import reconcile

    return reconcile(db.session, senders_for(app), now=clock.now())


def offer_freed_slots(app: Flask) -> dict:
    """Offer time freed by cancels and moves to patients waiting for an earlier slot."""
    from televisit.services.waitlist import process_freed_slots

    return process_freed_slots(db.session, now=clock.now(), secret=app.config["SECRET_KEY"])


JOBS: tuple[JobDef, ...] = (
    JobDef("reconcile_outbox", 60, reconcile_outbox),
    JobDef("offer_freed_slots", 30, offer_freed_slots),
    JobDef("dispatch_outbox", 10, dispatch_outbox),
)
