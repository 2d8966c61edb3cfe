"""Urgent cases beyond the intake: the one a video visit's check-in opens ("new red-flag symptoms since
booking: yes"), the open count the desk's navigation shows, the resolved ones, and a patient's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from televisit.domain.triage import NEW_SINCE_BOOKING
from televisit.models import Appointment, Intake, UrgentCase, User
from televisit.services.messaging import urgent_alert
from televisit.services.patients.intake import AT_CHECK_IN, OPEN, RESOLVED

RESOLVED_SHOWN = 50


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
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(resolver_ids)))) if resolver_ids else {}
    out = {pid: History([], [], names) for pid in patient_ids}
    for intake in intakes:
        out[intake.patient_id].intakes.append(intake)
    for case in cases:
        out[case.patient_id].cases.append(case)
    return out
