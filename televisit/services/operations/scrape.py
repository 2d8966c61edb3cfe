"""Gauges read from the database when /metrics is scraped: the outbox's backlog (televisit/metrics.py)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from televisit import metrics
from televisit.services.messaging.backlog import due_backlog
from televisit.services.operations.probe import reading

log = logging.getLogger(__name__)


def gauges(engine: Engine, *, timeout: float, now: datetime) -> list:
    """The outbox gauges; none when the database does not answer in time (the scrape still succeeds)."""
    try:
        with reading(engine, timeout) as conn:
            backlog = due_backlog(conn, now=now)
    except SQLAlchemyError as exc:
        log.warning("metrics: outbox backlog not read (%s)", type(getattr(exc, "orig", None) or exc).__name__)
        return []
    return [
        metrics.gauge_family(metrics.OUTBOX_DUE, "channel", backlog.due),
        metrics.gauge_family(metrics.OUTBOX_AGE, "channel", backlog.oldest_wait),
    ]
