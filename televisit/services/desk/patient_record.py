"""A patient's record as staff see it (/schedule/patients/<id>): who they are, their visits past and upcoming,
clinic days and courses, intake answers, urgent cases, waitlist entries, the messages sent to them (what,
how, when, whether it went: never a body) and who opened their record (the audit trail).

Desk roles and admins see every patient; a clinician only the patients they treat (NotFound for the rest, as for
any object they may not see), and not the audit of who opened the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.errors import NotFound
from televisit.domain.formatting import format_when
from televisit.domain.roles import CLINICIAN, Actor
from televisit.domain.timezones import get_zone
from televisit.domain.triage import RED_FLAGS
from televisit.models import (
    Appointment,
    Course,
    Itinerary,
    Pathway,
    Patient,
    UrgentCase,
    User,
    WaitlistEntry,
)
from televisit.services.desk import record_history as history
from televisit.services.desk.calendar import MODE_TEXT, names
from televisit.services.patients import identity
from televisit.services.patients.records import get_patient

PAST_LIMIT = 100


@dataclass(frozen=True)
class VisitRow:
    """One visit on the site's clock."""

    id: int
    when: str
    what: str
    with_whom: str
    where: str
    mode_text: str
    status: str
    part_of: str | None  # "clinic day" / "course" when it is one step of either


@dataclass(frozen=True)
class PlanRow:
    """A clinic day or a treatment course: what, when it starts, its state."""

    id: int
    what: str
    first: str
    status: str


@dataclass(frozen=True)
class UrgentRow:
    """An urgent case its intake opened, and how it was resolved."""

    id: int
    raised: str
    flags: list[str]
    status: str
    resolved: str | None
    note: str | None


@dataclass(frozen=True)
class WaitRow:
    """A waitlist entry: the visit it wants moved earlier, since when, and its state."""

    appointment_id: int
    visit: str
    since: str
    status: str


@dataclass(frozen=True)
class PatientRecord:
    """Everything the staff page shows, each list newest or soonest first as it reads best."""

    patient: Patient
    upcoming: list[VisitRow]
    past: list[VisitRow]
    days: list[PlanRow]
    courses: list[PlanRow]
    intakes: list[history.IntakeRow]
    urgent: list[UrgentRow]
    waitlist: list[WaitRow]
    messages: list[history.MessageRow]
    opened: list[history.OpenedRow] | None  # None: not shown to this viewer
    zone: str  # the patient's own, in which the non-visit times read


def may_open(session: Session, patient_id: int, actor: Actor) -> bool:
    """Desk roles and admins: any record; a clinician: a patient they have a visit with."""
    if actor.is_booker:
        return True
    if actor.role != CLINICIAN or actor.clinician_id is None:
        return False
    stmt = select(Patient.id).where(Patient.id == patient_id, identity.treated_by(actor.clinician_id))
    return session.scalar(stmt) is not None


def record(session: Session, patient_id: int, *, actor: Actor, now: datetime, locale: str) -> PatientRecord:
    """The patient's record for `actor`, or NotFound when there is none they may open."""
    if not may_open(session, patient_id, actor):
        raise NotFound("No such patient.")
    p = get_patient(session, patient_id)
    zone = get_zone(p.timezone)
    upcoming, past = _visits(session, p.id, now, locale)
    return PatientRecord(
        patient=p,
        upcoming=upcoming,
        past=past,
        days=_days(session, p.id, locale),
        courses=_courses(session, p.id, locale),
        intakes=history.intakes(session, p.id, zone, locale),
        urgent=_urgent(session, p.id, zone, locale),
        waitlist=_waitlist(session, p.id, zone, locale),
        messages=history.messages(session, p.id, zone, locale),
        opened=history.opened(session, p.id, zone, locale) if actor.is_booker else None,
        zone=p.timezone,
    )


def _site_when(a: Appointment, locale: str) -> str:
    return format_when(a.start_at, get_zone(a.location.timezone), locale)


def _visits(session: Session, patient_id: int, now: datetime, locale: str) -> tuple[list[VisitRow], list[VisitRow]]:
    stmt = select(Appointment).where(Appointment.patient_id == patient_id).order_by(Appointment.start_at)
    known = names(session)
    upcoming, past = [], []
    for a in session.scalars(stmt):
        part_of = "clinic day" if a.itinerary_id else "course" if a.course_id else None
        row = VisitRow(
            a.id,
            _site_when(a, locale),
            known["visit_types"].get(a.visit_type_id, "Visit"),
            " and ".join(known["clinicians"].get(c, "?") for c in a.attending_ids),
            a.location.name,
            MODE_TEXT.get(a.mode, a.mode),
            a.status,
            part_of,
        )
        (upcoming if a.end_at > now else past).append(row)
    return upcoming, list(reversed(past))[:PAST_LIMIT]


def _first_starts(session: Session, column, ids: list[int]) -> dict[int, Appointment]:
    stmt = select(Appointment).where(column.in_(ids)).order_by(Appointment.start_at)
    first: dict[int, Appointment] = {}
    for a in session.scalars(stmt):
        first.setdefault(getattr(a, column.key), a)
    return first


def _days(session: Session, patient_id: int, locale: str) -> list[PlanRow]:
    rows = session.execute(
        select(Itinerary, Pathway.name)
        .join(Pathway, Pathway.id == Itinerary.pathway_id)
        .where(Itinerary.patient_id == patient_id)
        .order_by(Itinerary.created_at.desc(), Itinerary.id.desc())
    ).all()
    first = _first_starts(session, Appointment.itinerary_id, [it.id for it, _ in rows])
    return [
        PlanRow(it.id, name, _site_when(first[it.id], locale) if it.id in first else "no visits", it.status)
        for it, name in rows
    ]


def _courses(session: Session, patient_id: int, locale: str) -> list[PlanRow]:
    stmt = select(Course).where(Course.patient_id == patient_id).order_by(Course.created_at.desc(), Course.id.desc())
    found = list(session.scalars(stmt))
    first = _first_starts(session, Appointment.course_id, [c.id for c in found])
    known = names(session)["visit_types"]
    return [
        PlanRow(
            c.id,
            f"{known.get(c.visit_type_id, 'Course')}, {c.count} fraction{'s' if c.count != 1 else ''}",
            _site_when(first[c.id], locale) if c.id in first else "no visits",
            c.status,
        )
        for c in found
    ]


def _urgent(session: Session, patient_id: int, zone, locale: str) -> list[UrgentRow]:
    stmt = (
        select(UrgentCase, User.name)
        .outerjoin(User, User.id == UrgentCase.resolved_by_user_id)
        .where(UrgentCase.patient_id == patient_id)
        .order_by(UrgentCase.created_at.desc(), UrgentCase.id.desc())
    )
    out = []
    for case, resolver in session.execute(stmt).all():
        resolved = None
        if case.resolved_at:
            resolved = f"{format_when(case.resolved_at, zone, locale)} by {resolver or 'a former user'}"
        flags = [RED_FLAGS.get(f, f.replace("_", " ")) for f in case.flags or []]
        raised = format_when(case.created_at, zone, locale)
        out.append(UrgentRow(case.id, raised, flags, case.status, resolved, case.note))
    return out


def _waitlist(session: Session, patient_id: int, zone, locale: str) -> list[WaitRow]:
    stmt = (
        select(WaitlistEntry, Appointment)
        .join(Appointment, Appointment.id == WaitlistEntry.appointment_id)
        .where(WaitlistEntry.patient_id == patient_id)
        .order_by(WaitlistEntry.created_at.desc(), WaitlistEntry.id.desc())
    )
    return [
        WaitRow(a.id, _site_when(a, locale), format_when(e.created_at, zone, locale), e.status)
        for e, a in session.execute(stmt).all()
    ]
