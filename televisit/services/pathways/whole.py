"""What clinic days and courses share: several appointments changed as one, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.models import Appointment, Reservation
from televisit.services import outbox
from televisit.services.booking import freed


def release(session: Session, appts: list[Appointment]) -> None:
    """The appointments' reservations stop holding anything (their new times are checked without them)."""
    ids = [a.id for a in appts]
    session.execute(update(Reservation).where(Reservation.appointment_id.in_(ids)).values(holding=False))


def hold_again(session: Session, appts: list[Appointment]) -> None:
    """Every lead holds its (new) time again; the database refuses it if anything overlaps."""
    session.flush()
    ids = [a.id for a in appts]
    stmt = update(Reservation).where(Reservation.appointment_id.in_(ids), Reservation.is_primary).values(holding=True)
    session.execute(stmt)


def cancel_all(session: Session, appts: list[Appointment], *, now: datetime, reason: str | None) -> None:
    """Cancel every one of `appts` (their times freed at once); the patient is told once, on the first."""
    for appt in appts:
        freed.note_freed(session, appt, now=now)
        appt.status, appt.cancel_reason, appt.updated_at = st.CANCELLED, reason, now
    session.flush()
    for appt in appts:
        outbox.withdraw_pending(session, appt.id)
        freed.forget(session, appt)
    if appts:
        outbox.on_cancelled(session, appts[0], now=now)
