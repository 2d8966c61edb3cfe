"""My appointments as cards: a clinic day is ONE card listing its steps, a treatment course ONE card listing
its dates; any other visit is a card of its own (my_visits.Visit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.care import day_heading
from televisit.domain.errors import NotFound
from televisit.domain.roles import PATIENT, Actor
from televisit.domain.timezones import get_zone, local_date
from televisit.models import Appointment, Course, Itinerary, Pathway, Patient
from televisit.services.pathways import itineraries
from televisit.services.patients.clinic_days import Names, Step, join_names, names, place, step
from televisit.services.patients.find_care import locale_of

ACTIVE = (st.BOOKED, st.CHECKED_IN, st.IN_VISIT)


def _status(status: str, appts: list[Appointment]) -> str:
    if status == "cancelled":
        return "Cancelled"
    if all(a.status == st.COMPLETED for a in appts):
        return "Completed"
    return "Booked"


def upcoming(appts: list[Appointment], now: datetime) -> bool:
    """True while any of the visits is still ahead (or under way)."""
    return any(a.status in ACTIVE and a.end_at > now for a in appts)


@dataclass(frozen=True)
class DayCard:
    """A clinic day: its pathway's name, the patient's date, each step, whether it can still be cancelled."""

    itinerary: Itinerary
    title: str
    heading: str
    site: str
    steps: list[Step]
    status: str
    changeable: bool
    start: datetime
    ahead: bool  # still to come (or under way)

    kind = "day"


def day_card(session: Session, it: Itinerary, appts: list[Appointment], *, now: datetime, known: Names) -> DayCard:
    """The card of a clinic day whose appointments (in step order) are `appts`."""
    patient = appts[0].patient
    own = local_date(appts[0].start_at, get_zone(patient.timezone))
    changeable = it.status == "booked" and all(st.can_change(a.status) for a in appts) and appts[0].start_at > now
    return DayCard(
        it,
        session.get(Pathway, it.pathway_id).name,
        day_heading(own, locale_of(patient)),
        place(known.sites[appts[0].location_id], appts[0].mode),
        [step(known, patient, a) for a in appts],
        _status(it.status, appts),
        changeable,
        appts[0].start_at,
        it.status == "booked" and upcoming(appts, now),
    )


@dataclass(frozen=True)
class Fraction:
    """One visit of a course: its date and time on the patient's clock (and the site's), its status."""

    appointment_id: int
    when: str
    status: str


@dataclass(frozen=True)
class CourseCard:
    """A treatment course: what, with whom, where, and every visit's date."""

    course: Course
    title: str
    with_whom: str
    site: str
    fractions: list[Fraction]
    status: str
    start: datetime
    ahead: bool

    kind = "course"


def course_card(course: Course, appts: list[Appointment], *, now: datetime, known: Names) -> CourseCard:
    """The card of a course whose appointments (in date order) are `appts`."""
    patient: Patient = appts[0].patient
    locale, zone = locale_of(patient), get_zone(patient.timezone)
    fractions = []
    for a in appts:
        s = step(known, patient, a)
        fractions.append(Fraction(a.id, f"{day_heading(local_date(a.start_at, zone), locale)}, {s.time}", a.status))
    vt = known.visit_types[course.visit_type_id]
    count = f"{course.count} visit{'s' if course.count != 1 else ''}"
    who = join_names([known.clinicians.get(course.clinician_id, "A clinician")])
    site = place(known.sites[course.location_id], appts[0].mode)
    status = _status(course.status, appts)
    return CourseCard(
        course, f"{vt.name}: {count}", who, site, fractions, status, appts[0].start_at, upcoming(appts, now)
    )


def cards(session: Session, appts: list[Appointment], *, now: datetime) -> dict[str, list]:
    """The clinic days and courses among `appts` as cards ({"days": [...], "courses": [...]})."""
    known = names(session)
    by_day: dict[int, list[Appointment]] = {}
    by_course: dict[int, list[Appointment]] = {}
    for a in appts:
        if a.itinerary_id:
            by_day.setdefault(a.itinerary_id, []).append(a)
        elif a.course_id:
            by_course.setdefault(a.course_id, []).append(a)
    days = [day_card(session, session.get(Itinerary, i), group, now=now, known=known) for i, group in by_day.items()]
    courses = [course_card(session.get(Course, c), group, now=now, known=known) for c, group in by_course.items()]
    return {"days": days, "courses": courses}


def my_day(session: Session, itinerary_id: int, actor: Actor, *, now: datetime) -> DayCard:
    """A clinic day of the acting patient (NotFound for anyone else's, and for staff: they use their pages)."""
    it = itineraries.get_visible(session, itinerary_id, actor)
    if actor.role != PATIENT:
        raise NotFound("No such clinic day.")
    appts = itineraries.steps_of(session, it.id)
    if not appts:
        raise NotFound("No such clinic day.")
    return day_card(session, it, appts, now=now, known=names(session))


def day_steps(session: Session, itinerary_id: int, actor: Actor) -> list[Appointment]:
    """The appointments of the acting patient's clinic day (for its calendar file)."""
    it = itineraries.get_visible(session, itinerary_id, actor)
    if actor.role != PATIENT:
        raise NotFound("No such clinic day.")
    return itineraries.steps_of(session, it.id)


def patient_appointments(session: Session, patient_id: int) -> list[Appointment]:
    """Every appointment of the patient, by start; a hold never booked (pending, or released) is no visit."""
    stmt = select(Appointment).where(Appointment.patient_id == patient_id, Appointment.hold_expires_at.is_(None))
    return list(session.scalars(stmt.order_by(Appointment.start_at, Appointment.id)))
