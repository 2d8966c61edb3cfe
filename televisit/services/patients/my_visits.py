"""A patient's appointments as their pages show them: both clocks, what they can do next, other times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.errors import Conflict, NotFound
from televisit.domain.formatting import format_when, own_first
from televisit.domain.roles import PATIENT, Actor
from televisit.domain.timezones import get_zone, local_date
from televisit.models import Appointment, Clinician, VisitType, WaitlistEntry
from televisit.services.booking import appointments as booking
from televisit.services.booking.search import SlotQuery, search
from televisit.services.patients import cards
from televisit.services.patients.find_care import Day, locale_of, present
from televisit.services.waiting_room import access as waiting_access

ACTIVE = (st.BOOKED, st.CHECKED_IN, st.IN_VISIT)
STATUS_TEXT = {
    st.BOOKED: "Booked",
    st.CHECKED_IN: "Checked in",
    st.IN_VISIT: "In progress",
    st.COMPLETED: "Completed",
    st.CANCELLED: "Cancelled",
    st.NO_SHOW: "Missed",
    st.PENDING: "Held, not booked yet",
}
ALTERNATIVE_DAYS, ALTERNATIVES = 28, 40


@dataclass(frozen=True)
class Visit:
    """One appointment, worded for its reader."""

    appt: Appointment
    visit_type: str
    clinician: str
    where: str
    when: str
    status: str

    kind = "visit"


def _when(appt: Appointment, for_patient: bool) -> str:
    p, site = appt.patient, get_zone(appt.location.timezone)
    locale, own = locale_of(p), get_zone(p.timezone)
    if for_patient:
        return own_first(appt.start_at, own, site, appt.location.city, locale)
    text = format_when(appt.start_at, site, locale)  # staff: the patient's clock is theirs, not "your time"
    theirs = format_when(appt.start_at, own, locale)
    return text if theirs == text else f"{text} (patient's time: {theirs})"


def _visit(session: Session, appt: Appointment, *, for_patient: bool = True) -> Visit:
    vt = session.get(VisitType, appt.visit_type_id)
    clinician = session.get(Clinician, appt.clinician_id)
    site = appt.location
    where = f"Video visit ({site.city} team)" if appt.mode == "virtual" else f"{site.name}, {site.city}"
    return Visit(appt, vt.name, clinician.name, where, _when(appt, for_patient), STATUS_TEXT.get(appt.status, ""))


def my_visits(session: Session, actor: Actor, *, now: datetime) -> tuple[list, list]:
    """The patient's upcoming visits (soonest first) and past or cancelled ones (latest first); a clinic day
    or a treatment course is ONE card (cards.DayCard, cards.CourseCard), any other visit a Visit."""
    appts = cards.patient_appointments(session, actor.patient_id)
    grouped = cards.cards(session, appts, now=now)
    single = [a for a in appts if not (a.itinerary_id or a.course_id)]
    ahead = [(a.start_at, _visit(session, a)) for a in single if a.status in ACTIVE and a.end_at > now]
    behind = [(a.start_at, _visit(session, a)) for a in single if not (a.status in ACTIVE and a.end_at > now)]
    for card in grouped["days"] + grouped["courses"]:
        (ahead if card.ahead else behind).append((card.start, card))
    ahead.sort(key=lambda pair: pair[0])
    behind.sort(key=lambda pair: pair[0], reverse=True)
    return [c for _, c in ahead], [c for _, c in behind]


@dataclass(frozen=True)
class VisitPage:
    """The appointment page: the visit, and which actions its reader has now."""

    visit: Visit
    is_owner: bool
    changeable: bool
    room_open: bool
    room_opens: str | None
    waiting: bool
    day_id: int | None = None  # a step of this clinic day: it changes only with the whole day
    course_id: int | None = None  # a visit of this treatment course: the care team changes it
    earlier: bool = False  # "ask for an earlier time" is offered (never inside the visit type's notice)

    @property
    def part_of_whole(self) -> bool:
        return bool(self.day_id or self.course_id)


PART_OF_DAY = "This visit is part of your clinic day: the day is changed or cancelled as a whole."
PART_OF_COURSE = "This visit is part of your treatment course. Please call the clinic to change it."


def check_standalone(session: Session, appointment_id: int, actor: Actor) -> None:
    """Conflict (in plain words) when the visit is a step of a clinic day or a visit of a course: a patient
    changes neither one visit of a day nor one visit of a course on its own."""
    appt = booking.get_visible(session, appointment_id, actor)
    if appt.itinerary_id:
        raise Conflict(PART_OF_DAY)
    if appt.course_id:
        raise Conflict(PART_OF_COURSE)


def _waiting(session: Session, appointment_id: int) -> bool:
    stmt = select(WaitlistEntry.id).where(
        WaitlistEntry.appointment_id == appointment_id, WaitlistEntry.status == "waiting"
    )
    return session.scalars(stmt).first() is not None


def visit_page(session: Session, appointment_id: int, actor: Actor, *, now: datetime) -> VisitPage:
    """The page's content for the owner or staff; NotFound for anyone else."""
    appt = booking.get_visible(session, appointment_id, actor)
    is_owner = actor.role == PATIENT
    whole = bool(appt.itinerary_id or appt.course_id)
    changeable = is_owner and not whole and st.can_change(appt.status) and appt.start_at > now
    room_open = is_owner and waiting_access.is_open(appt, now)
    before_room = appt.mode == "virtual" and appt.status == st.BOOKED and now < waiting_access.opens_at(appt)
    opens = _when_at(appt, waiting_access.opens_at(appt)) if is_owner and before_room else None
    visit = _visit(session, appt, for_patient=is_owner)
    waiting = _waiting(session, appt.id)
    earlier = changeable and can_ask_earlier(session, appt, now)
    return VisitPage(visit, is_owner, changeable, room_open, opens, waiting, appt.itinerary_id, appt.course_id, earlier)


def can_ask_earlier(session: Session, appt: Appointment, now: datetime) -> bool:
    """Whether an earlier time could still be offered (the visit starts after its visit type's notice)."""
    notice = session.get(VisitType, appt.visit_type_id).min_notice_minutes
    return st.can_wait_for_earlier(appt.start_at, now, notice)


def _when_at(appt: Appointment, instant: datetime) -> str:
    p, site = appt.patient, appt.location
    return own_first(instant, get_zone(p.timezone), get_zone(site.timezone), site.city, locale_of(p))


def owned(session: Session, appointment_id: int, actor: Actor) -> Appointment:
    """The appointment when `actor` is its patient (NotFound otherwise: staff use their own pages)."""
    appt = booking.get_visible(session, appointment_id, actor)
    if actor.role != PATIENT:
        raise NotFound("No such appointment.")
    return appt


def alternatives(session: Session, appointment_id: int, actor: Actor, *, now: datetime) -> tuple[Visit, list[Day]]:
    """The visit and other free times with the same clinician, site and mode (four weeks), by the patient's day."""
    appt = owned(session, appointment_id, actor)
    if not st.can_change(appt.status) or appt.itinerary_id or appt.course_id:
        return _visit(session, appt), []
    zone = get_zone(appt.patient.timezone)
    today = local_date(now, zone)
    q = SlotQuery(
        appt.visit_type_id, today, today + timedelta(days=ALTERNATIVE_DAYS), zone, location_id=appt.location_id,
        clinician_id=appt.clinician_id, mode=appt.mode, limit=ALTERNATIVES,
    )  # fmt: skip
    # Its own time is not "another time"; excluding the visit still lets a neighbouring start overlap it.
    slots = [s for s in search(session, q, now=now, exclude_appointment_id=appt.id) if s.start != appt.start_at]
    return _visit(session, appt), present(session, appt.patient, slots)
