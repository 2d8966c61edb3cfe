"""The per-patient cap on self-service bookings (API.md: `TELEVISIT_PATIENT_MAX_UPCOMING`).

A patient booking for themself may hold at most `most` upcoming visits that they booked themself; visits
staff booked for them do not count, and staff are never capped. The count runs inside the booking's
transaction after the patient's row is locked (`rows.patient_for(..., lock=True)`: `FOR UPDATE` on
PostgreSQL; SQLite serialises every write transaction), so two self-bookings at once cannot both pass it.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.errors import BookingLimit
from televisit.domain.roles import PATIENT
from televisit.models import Appointment, User

DEFAULT_MOST = 6
# A visit still to come or under way: one that is over, cancelled or missed no longer counts.
UPCOMING = (st.BOOKED, st.CHECKED_IN, st.IN_VISIT)


def check(session: Session, patient_id: int, *, now: datetime, most: int, adding: int = 1) -> None:
    """BookingLimit (409) when `adding` more visits (a clinic day adds one per step) would take the patient past
    `most` upcoming self-booked visits."""
    held = session.connection().execute(_held_stmt(), {"pid": patient_id, "now": now}).scalar_one()
    if held + adding > most:
        raise BookingLimit(
            f"You already have {held} upcoming visits that you booked yourself, the most you can book online. "
            "To book another, cancel one you no longer need, or ask the clinic's scheduling team to book it.",
        )


@lru_cache(maxsize=1)
def _held_stmt():
    """Upcoming visits of the patient booked by one of the patient's own (patient-role) sign-ins."""
    a, u = Appointment.__table__.c, User.__table__.c
    own_users = select(u.id).where(u.patient_id == bindparam("pid"), u.role == PATIENT)
    return select(func.count()).where(
        a.patient_id == bindparam("pid"),
        a.created_by_user_id.in_(own_users.scalar_subquery()),
        a.status.in_(UPCOMING),
        a.end_at > bindparam("now"),
    )
