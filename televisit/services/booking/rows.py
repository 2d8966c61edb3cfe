"""The rows a new booking reads and writes, read and written lean: it is the busiest write path.

One Core query for the patient, their number's opt-out state and the catalog's stamp; the appointment
inserted with Core and then attached to the session as a loaded row (no unit of work, no change events).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, manager_of_class

from televisit.domain import appointments as st
from televisit.domain.availability import Slot, VisitSpec
from televisit.domain.errors import Invalid
from televisit.models import Appointment, Patient, PhoneState, Reservation
from televisit.services.booking import snapshot as catalog_snapshot


@dataclass(frozen=True)
class Booked:
    """What the booking needs of its patient, their number's state, and the catalog's stamp (one query)."""

    patient: Row
    phone: PhoneFlags | None
    stamp: str | None


@dataclass(frozen=True)
class PhoneFlags:
    """Our record of the patient's number (as `outbox.reachable` reads it)."""

    opted_out: bool
    invalid: bool


def patient_for(session: Session, patient_id: int, *, lock: bool = False) -> Booked:
    """The patient booked for with their number's state and the catalog stamp, or Invalid.

    `lock`: hold the patient's row until the booking commits (PostgreSQL `FOR UPDATE`; SQLite serialises
    writes already), so that a count of their bookings stays true until this one is written."""
    row = session.connection().execute(_patient_stmt(lock), {"pid": patient_id}).first()
    if row is None:
        raise Invalid({"patient_id": "no such patient"})
    phone = None if row.opted_out is None else PhoneFlags(bool(row.opted_out), bool(row.invalid))
    return Booked(row, phone, row.stamp)


@lru_cache(maxsize=2)
def _patient_stmt(lock: bool):
    p, ps = Patient.__table__.c, PhoneState.__table__.c
    cols = (p.id, p.region, p.timezone, p.email, p.email_opt_in, p.phone, p.sms_opt_in, ps.opted_out, ps.invalid)
    stmt = (
        select(*cols, catalog_snapshot.stamp_query().label("stamp"))
        .select_from(Patient.__table__.outerjoin(PhoneState.__table__, ps.phone == p.phone))
        .where(p.id == bindparam("pid"))
    )
    return stmt.with_for_update(of=Patient.__table__) if lock else stmt


def new_values(slot: Slot, visit: VisitSpec, patient_id: int, region, reason, user_id, now: datetime) -> dict:
    """Every column of a new appointment (the row is inserted with Core, then attached as loaded)."""
    block_start, block_end = visit.blocked(slot.start)
    return dict(
        uid=f"{uuid.uuid4()}@televisit",
        patient_id=patient_id,
        clinician_id=slot.clinician_id,
        location_id=slot.location_id,
        visit_type_id=slot.visit_type_id,
        mode=slot.mode,
        status=st.BOOKED,
        start_at=slot.start,
        end_at=slot.end,
        block_start=block_start,
        block_end=block_end,
        patient_region=region,
        reason=reason,
        cancel_reason=None,
        check_in_region=None,
        sequence=0,
        created_by_user_id=user_id,
        clinician_ids=list(slot.clinician_ids) or None,
        resource_ids=list(slot.resource_ids) or None,
        itinerary_id=None,
        course_id=None,
        hold_expires_at=None,
        created_at=now,
        updated_at=now,
        **dict.fromkeys(_UNSET_INSTANTS),
    )


# the waiting room's and messaging's instants: all empty on a new appointment
_UNSET_INSTANTS = (
    "confirmed_at",
    "checked_in_at",
    "video_consent_at",
    "admitted_at",
    "ended_at",
    "starts_soon_sent_at",
    "licensure_alert_at",
)
_APPT_INSERT = insert(Appointment.__table__)


def insert_loaded(session: Session, values: dict) -> Appointment:
    """INSERT the row (the database checks overlap here), then attach it to the session as loaded: the
    unit of work is not needed for a row whose every value we set."""
    new_id = session.connection().execute(_APPT_INSERT, values).inserted_primary_key[0]
    appt = _MANAGER.new_instance()  # as the ORM builds a loaded row: no change events, no history
    instance_dict(appt).update(values, id=new_id)
    make_transient_to_detached(appt)
    session.add(appt)
    return appt


_MANAGER = manager_of_class(Appointment)


_RESERVE = insert(Reservation.__table__)


def reserve_extras(session: Session, appointment_id: int, slot: Slot, visit: VisitSpec) -> None:
    """Reserve a joint visit's other clinicians and the visit's resources (the lead's row comes by trigger)."""
    block_start, block_end = visit.blocked(slot.start)
    common = {"appointment_id": appointment_id, "is_primary": False, "block_start": block_start, "block_end": block_end}
    rows = [{**common, "clinician_id": cid, "resource_id": None} for cid in slot.clinician_ids[1:]]
    rows += [{**common, "clinician_id": None, "resource_id": rid} for rid in slot.resource_ids]
    if rows:
        session.connection().execute(_RESERVE.values(holding=True), rows)


def release_extras(session: Session, appointment_id: int) -> None:
    """Drop what an appointment holds beyond its lead clinician (before it moves and picks again)."""
    table = Reservation.__table__
    stmt = table.delete().where(table.c.appointment_id == appointment_id, table.c.is_primary.is_(False))
    session.connection().execute(stmt)
