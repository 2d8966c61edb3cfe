"""First-visit intakes, the gate before routine booking, and the schedulers' urgent queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from televisit.domain.care import NEEDS_INTAKE_UNTIL, IntakeRequired, Need, UrgentOpen
from televisit.domain.errors import Conflict, Forbidden, Invalid, NotFound
from televisit.domain.roles import Actor
from televisit.domain.triage import IntakeAnswers, red_flags
from televisit.models import Appointment, Intake, UrgentCase
from televisit.services.messaging import urgent_alert

OPEN, RESOLVED = "open", "resolved"
FROM_INTAKE, AT_CHECK_IN = "intake", "check_in"
MAX_NOTE = 1000
NOTE_NEEDED = (
    "Please write what was done before resolving the case, for example “Called; attending the emergency "
    "department” or “Booked an urgent consultation”."
)


def submit(
    session: Session,
    patient_id: int,
    answers: IntakeAnswers,
    *,
    need: str | None,
    now: datetime,
    alert_to: str | None = None,
) -> Intake:
    """Store the answers; red flags also open an urgent case for the schedulers and plan the desk's alert
    email to `alert_to` (same transaction)."""
    flags = list(red_flags(answers))
    intake = Intake(patient_id=patient_id, need=need, answers=answers.as_dict(), red_flags=flags, created_at=now)
    session.add(intake)
    if flags:
        session.flush()
        case = UrgentCase(
            patient_id=patient_id, intake_id=intake.id, flags=flags, status=OPEN, source=FROM_INTAKE, created_at=now
        )
        session.add(case)
        urgent_alert.plan(session, case, to=alert_to, now=now)
    session.commit()
    return intake


def open_case(session: Session, patient_id: int) -> UrgentCase | None:
    """The patient's oldest open urgent case, if any."""
    stmt = select(UrgentCase).where(UrgentCase.patient_id == patient_id, UrgentCase.status == OPEN)
    return session.scalars(stmt.order_by(UrgentCase.created_at, UrgentCase.id)).first()


def needs_intake(session: Session, patient_id: int, need: Need) -> bool:
    """True for a first consultation or second opinion when the patient has no visit and no intake yet."""
    if not need.intake:
        return False
    visited = exists().where(Appointment.patient_id == patient_id, Appointment.status.in_(NEEDS_INTAKE_UNTIL))
    answered = exists().where(Intake.patient_id == patient_id)
    return not session.scalar(select(visited | answered))


def check_gate(session: Session, patient_id: int, need: Need) -> None:
    """Refuse routine booking while an urgent case is open (UrgentOpen) or before a needed intake."""
    if open_case(session, patient_id) is not None:
        raise UrgentOpen("Your answers need urgent attention; please call the clinic's urgent line.")
    if needs_intake(session, patient_id, need):
        raise IntakeRequired("Please answer a few questions about your symptoms first.")


def urgent_queue(session: Session) -> list[UrgentCase]:
    """Open urgent cases, oldest first (each with its patient and intake loaded)."""
    stmt = select(UrgentCase).where(UrgentCase.status == OPEN).order_by(UrgentCase.created_at, UrgentCase.id)
    return list(session.scalars(stmt))


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
