"""The audit trail: record who read or changed which patient data, and search it (admins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from televisit.models import Appointment, AuditEvent, BoardCase, Course, Intake, Itinerary, Patient, UrgentCase, User

MAX_PER_PAGE = 200
# Object types whose row names the patient, so every event can be filtered by patient.
_PATIENT_COLUMN = {
    "appointment": (Appointment, Appointment.patient_id),
    "intake": (Intake, Intake.patient_id),
    "urgent_case": (UrgentCase, UrgentCase.patient_id),
    "user": (User, User.patient_id),
    "itinerary": (Itinerary, Itinerary.patient_id),
    "course": (Course, Course.patient_id),
    "board_case": (BoardCase, BoardCase.patient_id),
}


@dataclass(frozen=True)
class Context:
    """Who is acting and from where (built by the web layer from the request or socket)."""

    user_id: int | None
    role: str
    channel: str
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Access:
    """What was done: `action` on `object_type` `object_id`, with the response status as outcome."""

    action: str
    object_type: str
    object_id: int | None = None
    outcome: int = 200
    patient_id: int | None = None


def record(session: Session, ctx: Context, access: Access, *, now: datetime) -> None:
    """Append one event and commit it (its own transaction: the access it describes has already finished)."""
    stage(session, ctx, access, now=now)
    session.commit()


def stage(session: Session, ctx: Context, access: Access, *, now: datetime) -> None:
    """Append one event to the open transaction: it commits, or rolls back, with the change it describes."""
    values = dict(
        at=now,
        user_id=ctx.user_id,
        role=ctx.role,
        action=access.action,
        object_type=access.object_type,
        object_id=access.object_id,
        patient_id=access.patient_id or patient_of(session, access.object_type, access.object_id),
        outcome=access.outcome,
        ip=(ctx.ip or None) and ctx.ip[:64],
        user_agent=(ctx.user_agent or None) and ctx.user_agent[:255],
        request_id=ctx.request_id,
        channel=ctx.channel,
    )
    session.connection().execute(_INSERT, values)  # Core, prebuilt: every audited request pays for this write


_INSERT = insert(AuditEvent.__table__)


def patient_of(session: Session, object_type: str, object_id: int | None) -> int | None:
    """The patient an object belongs to (None when unknown or not patient-specific)."""
    if object_id is None:
        return None
    if object_type == "patient":
        return object_id
    if object_type not in _PATIENT_COLUMN:
        return None
    model, column = _PATIENT_COLUMN[object_type]
    return session.scalar(select(column).where(model.id == object_id))


@dataclass(frozen=True)
class AuditQuery:
    """Filters for the admin's view; every field optional. `start`/`end` bound `at` (end exclusive)."""

    user_id: int | None = None
    patient_id: int | None = None
    appointment_id: int | None = None
    action: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def _where(q: AuditQuery) -> list:
    conds = []
    if q.user_id is not None:
        conds.append(AuditEvent.user_id == q.user_id)
    if q.patient_id is not None:
        conds.append(AuditEvent.patient_id == q.patient_id)
    if q.appointment_id is not None:
        conds += [AuditEvent.object_type == "appointment", AuditEvent.object_id == q.appointment_id]
    if q.action:
        conds.append(AuditEvent.action == q.action)
    if q.start is not None:
        conds.append(AuditEvent.at >= q.start)
    if q.end is not None:
        conds.append(AuditEvent.at < q.end)
    return conds


def search(session: Session, q: AuditQuery, *, page: int = 1, per_page: int = 50) -> tuple[list[AuditEvent], int]:
    """One page of matching events, newest first, and the total count."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    conds = _where(q)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conds)) or 0
    stmt = select(AuditEvent).where(*conds).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    rows = list(session.scalars(stmt.offset((max(1, page) - 1) * per_page).limit(per_page)))
    return rows, total


def actions(session: Session) -> list[str]:
    """The actions recorded so far (for the filter's choices)."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


@dataclass(frozen=True)
class Names:
    """The names of the users and patients a page of events names, by id (one gone is absent: its id stays)."""

    users: dict[int, str]
    patients: dict[int, str]


def names_for(session: Session, events: list[AuditEvent], *also_users: int | None, also_patients=()) -> Names:
    """Names for `events` (and the ids a filter names), in two queries."""
    user_ids = {e.user_id for e in events if e.user_id} | {u for u in also_users if u}
    patient_ids = {e.patient_id for e in events if e.patient_id} | {p for p in also_patients if p}
    users = dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    patients = (
        dict(session.execute(select(Patient.id, Patient.name).where(Patient.id.in_(patient_ids))).all())
        if patient_ids
        else {}
    )
    return Names(users, patients)
