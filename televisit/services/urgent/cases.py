"""Urgent cases: opened by an intake's red flags or by a video visit's check-in ("new red-flag symptoms since
booking: yes"), each with the desk's alert email planned in the same transaction; the open ones (the patient's
gate, the desk's queue and its count), resolving with a required note, the resolved ones, a patient's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from televisit.domain.errors import Conflict, Forbidden, Invalid, NotFound
from televisit.domain.roles import Actor
from televisit.domain.triage import NEW_SINCE_BOOKING
from televisit.models import Appointment, Intake, UrgentCase, User
from televisit.services.messaging import urgent_alert

OPEN, RESOLVED = "open", "resolved"
FROM_INTAKE, AT_CHECK_IN = "intake", "check_in"
MAX_NOTE = 1000
NOTE_NEEDED = (
    "Please write what was done before resolving the case, for example “Called; attending the emergency "
    "department” or “Booked an urgent consultation”."
)

RESOLVED_SHOWN = 50


def open_from_intake(session: Session, intake: Intake, *, now: datetime, alert_to: str | None) -> UrgentCase:
    """Open the urgent case of an intake that raised red flags, and plan the desk's alert; not committed."""
    session.flush()  # the intake needs its id
    case = UrgentCase(
        patient_id=intake.patient_id,
        intake_id=intake.id,
        flags=list(intake.red_flags),
        status=OPEN,
        source=FROM_INTAKE,
        created_at=now,
    )
    session.add(case)
    urgent_alert.plan(session, case, to=alert_to, now=now)
    return case


def open_at_check_in(session: Session, appt: Appointment, *, now: datetime, alert_to: str | None) -> UrgentCase:
    """Open (once per visit: again only after the last one was resolved) the urgent case of a patient who said
    at check-in that they have new red-flag symptoms, and plan the desk's alert; not committed."""
    found = open_for_visit(session, appt.id)
    if found is not None:
        return found
    case = UrgentCase(
        patient_id=appt.patient_id,
        appointment_id=appt.id,
        flags=[NEW_SINCE_BOOKING],
        status=OPEN,
        source=AT_CHECK_IN,
        created_at=now,
    )
    session.add(case)
    urgent_alert.plan(session, case, to=alert_to, now=now)
    return case


def open_for_visit(session: Session, appointment_id: int) -> UrgentCase | None:
    """The open urgent case raised at this visit's check-in, if any (check-in waits until it is resolved)."""
    stmt = select(UrgentCase).where(UrgentCase.appointment_id == appointment_id, UrgentCase.status == OPEN)
    return session.scalars(stmt.order_by(UrgentCase.id)).first()


def open_case(session: Session, patient_id: int) -> UrgentCase | None:
    """The patient's oldest open urgent case, if any."""
    stmt = select(UrgentCase).where(UrgentCase.patient_id == patient_id, UrgentCase.status == OPEN)
    return session.scalars(stmt.order_by(UrgentCase.created_at, UrgentCase.id)).first()


def urgent_queue(session: Session) -> list[UrgentCase]:
    """Open urgent cases, oldest first (each with its patient and intake loaded)."""
    stmt = select(UrgentCase).where(UrgentCase.status == OPEN).order_by(UrgentCase.created_at, UrgentCase.id)
    return list(session.scalars(stmt))


def open_count(session: Session) -> int:
    """How many urgent cases are open (the desk's navigation shows it)."""
    return session.scalar(select(func.count()).select_from(UrgentCase).where(UrgentCase.status == OPEN)) or 0


def resolved(session: Session, *, limit: int = RESOLVED_SHOWN) -> list[tuple[UrgentCase, str | None]]:
    """The latest resolved cases, newest first, each with the name of whoever resolved it."""
    stmt = (
        select(UrgentCase, User.name)
        .outerjoin(User, User.id == UrgentCase.resolved_by_user_id)
        .where(UrgentCase.status == RESOLVED)
        .order_by(UrgentCase.resolved_at.desc(), UrgentCase.id.desc())
        .limit(limit)
    )
    return [(case, name) for case, name in session.execute(stmt)]


@dataclass(frozen=True)
class History:
    """What came before a case for its patient: their earlier intakes and urgent cases (oldest first), and the
    names of those who resolved the cases."""

    intakes: list[Intake]
    cases: list[UrgentCase]
    resolvers: dict[int, str]


def histories(session: Session, patient_ids: set[int]) -> dict[int, History]:
    """Every listed patient's intakes and urgent cases, in three queries for the whole page."""
    if not patient_ids:
        return {}
    intakes = session.scalars(
        select(Intake).where(Intake.patient_id.in_(patient_ids)).order_by(Intake.created_at, Intake.id)
    )
    cases = list(
        session.scalars(
            select(UrgentCase)
            .where(UrgentCase.patient_id.in_(patient_ids))
            .order_by(UrgentCase.created_at, UrgentCase.id)
        )
    )
    resolver_ids = {c.resolved_by_user_id for c in cases if c.resolved_by_user_id}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(resolver_ids))).all()) if resolver_ids else {}
    )
    out = {pid: History([], [], names) for pid in patient_ids}
    for intake in intakes:
        out[intake.patient_id].intakes.append(intake)
    for case in cases:
        out[case.patient_id].cases.append(case)
    return out


def _note(note: str | None) -> str:
    """The resolution note, required (Invalid in words when empty or too long)."""
    note = (note or "").strip()
    if not note:
        raise Invalid({"note": NOTE_NEEDED}, NOTE_NEEDED)
    if len(note) > MAX_NOTE:
        too_long = f"Please keep the note under {MAX_NOTE} characters."
        raise Invalid({"note": too_long}, too_long)
    return note


def resolve_urgent(session: Session, case_id: int, actor: Actor, now: datetime, note: str | None) -> UrgentCase:
    """Close an urgent case with a note of what was done (schedulers and admins; Invalid without a note);
    Conflict when it is already resolved."""
    if not actor.is_booker:
        raise Forbidden("Only schedulers and admins can resolve urgent cases.")
    stmt = select(UrgentCase).where(UrgentCase.id == case_id).with_for_update(of=UrgentCase)
    case = session.scalars(stmt.execution_options(populate_existing=True)).first()
    if case is None:
        raise NotFound("No such urgent case.")
    if case.status != OPEN:
        raise Conflict("This urgent case has already been resolved.")
    note = _note(note)
    case.status, case.resolved_at, case.resolved_by_user_id = RESOLVED, now, actor.user_id
    case.note = note
    session.commit()
    return case
