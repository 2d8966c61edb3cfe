"""First-visit intakes and the gate before routine booking (red flags open an urgent case: services/urgent/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from televisit.domain.care import NEEDS_INTAKE_UNTIL, IntakeRequired, Need, UrgentOpen
from televisit.domain.triage import IntakeAnswers, red_flags
from televisit.models import Appointment, Intake
from televisit.services.urgent import cases
from televisit.services.urgent.cases import open_case, resolve_urgent, urgent_queue

__all__ = ["check_gate", "needs_intake", "open_case", "resolve_urgent", "submit", "urgent_queue"]


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
        cases.open_from_intake(session, intake, now=now, alert_to=alert_to)
    session.commit()
    return intake


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
