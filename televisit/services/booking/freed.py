"""What a booking change leaves for the earlier-slot offers: the time it freed, and a wait that ends with it.

Written in the booking's own transaction; services/messaging/waitlist.py offers the freed time later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.models import Appointment, FreedSlot, WaitlistEntry


def forget(session: Session, appt: Appointment) -> None:
    """A cancelled appointment waits for nothing."""
    entry = session.scalars(select(WaitlistEntry).where(WaitlistEntry.appointment_id == appt.id)).first()
    if entry is not None and entry.status == "waiting":
        entry.status = "withdrawn"


def note_freed(session: Session, appt: Appointment, *, now: datetime) -> None:
    """Record the time `appt` held (call before it moves or is cancelled; same transaction)."""
    if appt.start_at > now:
        session.add(
            FreedSlot(
                clinician_id=appt.clinician_id,
                location_id=appt.location_id,
                visit_type_id=appt.visit_type_id,
                mode=appt.mode,
                start_at=appt.start_at,
                created_at=now,
            )
        )
