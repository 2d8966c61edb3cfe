"""Gauges read from the database when /metrics is scraped: the outbox's backlog, standby jobs processes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from televisit import metrics
from televisit.services.messaging.backlog import due_backlog
from televisit.services.operations.probe import reading
from televisit.services.waiting_room.processes import JOBS_STANDBY, live_names

log = logging.getLogger(__name__)


def gauges(engine: Engine, *, timeout: float, now: datetime, wall_now: datetime, stale: timedelta) -> list:
    """The outbox gauges and the standby jobs processes (those that beat within `stale`); none when the database
    does not answer in time (the scrape still succeeds)."""
    try:
        with reading(engine, timeout) as conn:
            backlog = due_backlog(conn, now=now)
            standbys = live_names(conn, JOBS_STANDBY, since=wall_now - stale)
    except SQLAlchemyError as exc:
        log.warning("metrics: outbox backlog not read (%s)", type(getattr(exc, "orig", None) or exc).__name__)
        return []
    return [
        metrics.gauge_family(metrics.OUTBOX_DUE, "channel", backlog.due),
        metrics.gauge_family(metrics.OUTBOX_AGE, "channel", backlog.oldest_wait),
        metrics.single_gauge(metrics.JOBS_STANDBY, len(standbys)),
    ]
