"""Twilio webhooks are acted on once: a replayed or re-delivered webhook (same MessageSid) does nothing.

Twilio's signature covers the URL and the form but carries no timestamp or nonce, so a captured, validly
signed request stays valid for ever. What makes its replay harmless is the record of every MessageSid (with
the delivery status, for status callbacks) already acted on, kept in `twilio_receipts`. The record is
committed before acting: a concurrent second delivery waits on the first one's insert and then finds it
(PostgreSQL), or is serialized behind it (SQLite), so two deliveries can never both act.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from televisit.models import TwilioReceipt

INBOUND = "inbound"
T = TypeVar("T")


def _record(session: Session, sid: str, event: str, now: datetime) -> bool:
    """Insert the receipt and commit; False when it exists already."""
    session.commit()  # nothing else of this request may ride on the receipt's transaction
    try:
        session.execute(insert(TwilioReceipt).values(message_sid=sid, event=event, received_at=now))
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def _forget(session: Session, sid: str, event: str) -> None:
    session.execute(delete(TwilioReceipt).where(TwilioReceipt.message_sid == sid, TwilioReceipt.event == event))
    session.commit()


def once(session: Session, sid: str, event: str, *, now: datetime, act: Callable[[], T]) -> T | None:
    """`act()` unless Twilio's message `sid` was already acted on for `event`; None for a replay (or no sid).

    When `act` fails, the receipt is dropped again, so Twilio's own retry of the webhook is acted on.
    """
    if not sid or not _record(session, sid, event, now):
        return None
    try:
        return act()
    except Exception:
        session.rollback()
        _forget(session, sid, event)
        raise
