"""The outbox's backlog, for monitoring: how many messages are due and how long the oldest has waited.

One aggregate over the outbox's (status, next_attempt_at) index: cheap enough to run on every scrape.
A message is due once its next attempt time has come (a retry backing off is not due yet); its wait is
counted from then, so a healthy dispatcher keeps every wait under its interval and a stuck one shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select

from televisit.models import OutboxMessage
from televisit.services import outbox as ob

CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class Backlog:
    """Due messages and the oldest one's wait in seconds, by channel (every channel named, 0 when empty)."""

    due: dict[str, int]
    oldest_wait: dict[str, float]


def due_backlog(conn, *, now: datetime) -> Backlog:
    """The backlog at `now` (the app clock: due times are business time), read on `conn`."""
    stmt = (
        select(OutboxMessage.channel, func.count(), func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status == ob.PENDING, OutboxMessage.next_attempt_at <= now)
        .group_by(OutboxMessage.channel)
    )
    due = dict.fromkeys(CHANNELS, 0)
    oldest = dict.fromkeys(CHANNELS, 0.0)
    for channel, count, first in conn.execute(stmt):
        due[channel] = int(count)
        oldest[channel] = max((now - _aware(first)).total_seconds(), 0.0) if first is not None else 0.0
    return Backlog(due, oldest)


def _aware(value) -> datetime:
    """`min()` keeps the column's type (aware UTC); a naive value would be UTC too."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
