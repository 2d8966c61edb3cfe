"""The desk's calendars: appointments across clinicians and sites by local day, and a clinician's day.

Each appointment is shown in the view's zone (a site's, or the viewer's own), or in its own site's zone
when the view names none; the site's clock is added when the view's clock reads differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.calendar import day_label
from televisit.domain.formatting import format_time, format_when
from televisit.domain.identity import PatientTag, tag_of
from televisit.domain.roles import Actor
from televisit.domain.timezones import UTC, date_range_bounds, get_zone, local_date, render
from televisit.models import Appointment, Clinician, Resource, VisitType
from televisit.services.booking import appointments as booking

MARGIN = timedelta(hours=15)  # every zone's local day lies within its UTC day +- 15 hours
MODE_TEXT = {"virtual": "Video", "in_person": "In person"}


@dataclass(frozen=True)
class Entry:
    """One appointment as a row or card reads."""

    id: int
    day: date
    start: str
    end: str
    iso: str
    site_time: str | None  # the site's clock, when the view shows another
    patient: str
    patient_id: int
    clinician: str
    location: str
    visit_type: str
    mode: str
    status: str
    patient_clock: str | None  # the patient's own clock, when it reads differently from the shown one
    who: PatientTag | None = None  # name, date of birth and MRN: how staff tell this patient apart
    held_until: str | None = None  # a hold (status pending): when it lapses, on the shown clock

    @property
    def mode_text(self) -> str:
        return MODE_TEXT.get(self.mode, self.mode)

    @property
    def status_text(self) -> str:
        return st.status_words(self.status, self.held_until)


@dataclass(frozen=True)
class Day:
    """A local day of a view and its appointments in start order."""

    day: date
    label: str
    entries: list[Entry]


@dataclass(frozen=True)
class CalendarQuery:
    """What to show: local `days`, in `zone` (None: each site's own), filtered."""

    days: tuple[date, ...]
    zone: str | None
    locale: str
    location_id: int | None = None
    clinician_id: int | None = None
    show_cancelled: bool = False
    specialty: str | None = None  # only visits led by a clinician of this specialty


def names(session: Session) -> dict[str, dict[int, str]]:
    """Clinician, visit type and resource names by id (small tables, read once per page)."""
    return {
        "clinicians": dict(session.execute(select(Clinician.id, Clinician.name)).all()),
        "visit_types": dict(session.execute(select(VisitType.id, VisitType.name)).all()),
        "resources": dict(session.execute(select(Resource.id, Resource.name)).all()),
    }


def entry(a: Appointment, zone_name: str | None, locale: str, known: dict) -> Entry:
    """Present `a` in `zone_name` (None: its site's zone)."""
    site_zone = get_zone(a.location.timezone)
    zone = get_zone(zone_name) if zone_name else site_zone
    shown, at_site = a.start_at.astimezone(zone), a.start_at.astimezone(site_zone)
    same = shown.utcoffset() == at_site.utcoffset() and shown.tzname() == at_site.tzname()
    own_zone = get_zone(a.patient.timezone)
    own = a.start_at.astimezone(own_zone)
    own_same = shown.utcoffset() == own.utcoffset() and shown.tzname() == own.tzname()
    return Entry(
        id=a.id,
        day=local_date(a.start_at, zone),
        start=format_time(a.start_at, zone, locale),
        end=format_time(a.end_at, zone, locale),
        iso=render(a.start_at, zone),
        site_time=None if same else format_time(a.start_at, site_zone, locale),
        patient=a.patient.name,
        patient_id=a.patient_id,
        clinician=known["clinicians"].get(a.clinician_id, "?"),
        location=a.location.name,
        visit_type=known["visit_types"].get(a.visit_type_id, "Visit"),
        mode=a.mode,
        status=a.status,
        patient_clock=None if own_same else format_time(a.start_at, own_zone, locale),
        who=tag_of(a.patient),
        held_until=format_time(a.hold_expires_at, zone, locale) if a.status == st.PENDING else None,
    )


def calendar(session: Session, q: CalendarQuery, *, actor: Actor) -> list[Day]:
    """The view's days, each with the appointments whose start falls on it in the shown zone."""
    lo, hi = date_range_bounds(q.days[0], q.days[-1], UTC)
    flt = booking.AppointmentFilter(lo - MARGIN, hi + MARGIN, q.clinician_id, q.location_id)
    known = names(session)
    of_specialty = _of_specialty(session, q.specialty)
    by_day: dict[date, list[Entry]] = {d: [] for d in q.days}
    for a in booking.list_visible(session, flt, actor=actor):
        if a.status == st.CANCELLED and not q.show_cancelled or not of_specialty(a.clinician_id):
            continue
        e = entry(a, q.zone, q.locale, known)
        if e.day in by_day:
            by_day[e.day].append(e)
    return [Day(d, day_label(d, q.locale), by_day[d]) for d in q.days]


def _of_specialty(session: Session, specialty: str | None):
    """A test: is a clinician of `specialty` (every clinician when it is None)?"""
    if specialty is None:
        return lambda _clinician_id: True
    ids = set(session.scalars(select(Clinician.id).where(Clinician.specialty == specialty)))
    return ids.__contains__


@dataclass(frozen=True)
class Visit:
    """An appointment listed by itself: its date and time at its site, and what it is."""

    entry: Entry
    when: str  # date and time on the site's clock


def visits(session: Session, ids: list[int], *, locale: str, actor: Actor) -> list[Visit]:
    """The appointments `ids` that `actor` may see, by start, each on its site's clock."""
    stmt = select(Appointment).where(Appointment.id.in_(ids)).order_by(Appointment.start_at, Appointment.id)
    known = names(session)
    return [
        Visit(entry(a, None, locale, known), format_when(a.start_at, get_zone(a.location.timezone), locale))
        for a in session.scalars(stmt)
        if actor.may_see(a.patient_id, a.clinician_id)
    ]


def patient_clock(a: Appointment, locale: str) -> str | None:
    """The visit's date and time on the patient's own clock, when it reads differently from the site's."""
    site, own = get_zone(a.location.timezone), get_zone(a.patient.timezone)
    here, there = a.start_at.astimezone(site), a.start_at.astimezone(own)
    if here.utcoffset() == there.utcoffset() and here.tzname() == there.tzname():
        return None
    return format_when(a.start_at, own, locale)
