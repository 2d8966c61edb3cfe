"""A clinician's clinic for one local day, per site in that site's time: every visit they attend (a joint
visit too, with the other clinicians in the room) and, for a patient on a clinic day, the rest of that
patient's day (the other steps: when, what, with whom)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.formatting import format_time, format_when
from televisit.domain.roles import Actor
from televisit.domain.timezones import UTC, date_range_bounds, format_hhmm, get_zone, local_date
from televisit.models import Appointment, Clinician, Location
from televisit.services.booking import appointments as booking
from televisit.services.desk.calendar import MARGIN, MODE_TEXT, Entry, entry, names


@dataclass(frozen=True)
class OtherStep:
    """Another step of the patient's clinic day, in the site's time."""

    time: str
    what: str
    with_whom: str


@dataclass(frozen=True)
class ClinicEntry(Entry):
    """A visit on the clinician's list: who else attends (a joint visit) and the rest of the patient's day."""

    also: list[str] = field(default_factory=list)
    rest: list[OtherStep] = field(default_factory=list)


@dataclass(frozen=True)
class SiteDay:
    """A clinician's day at one site, in the site's local time."""

    location: Location
    label: str
    hours: list[str]
    entries: list[ClinicEntry]


def _hours(c: Clinician, loc: Location, day: date) -> list[str]:
    rules = [r for r in c.rules if r.location_id == loc.id and r.weekday == day.weekday()]
    return [
        f"{format_hhmm(r.start_minute)}–{format_hhmm(r.end_minute)} ({', '.join(MODE_TEXT[m] for m in r.modes)})"
        for r in rules
    ]


def _attended(session: Session, clinician: Clinician, lo: datetime, hi: datetime, actor: Actor) -> list[Appointment]:
    """The clinician's visits (led or attended) starting in [lo, hi), cancelled ones left out."""
    flt = booking.AppointmentFilter(lo, hi)
    found = booking.list_visible(session, flt, actor=actor)
    return [a for a in found if a.status != st.CANCELLED and clinician.id in a.attending_ids]


def _rest_of_days(session: Session, appts: list[Appointment], known: dict, locale: str) -> dict[int, list[OtherStep]]:
    """For each appointment that is a step of a clinic day: the day's other steps (one query for all)."""
    days = {a.itinerary_id for a in appts if a.itinerary_id}
    if not days:
        return {}
    stmt = select(Appointment).where(Appointment.itinerary_id.in_(days), Appointment.status != st.CANCELLED)
    steps = list(session.scalars(stmt.order_by(Appointment.start_at)))
    out = {}
    for a in appts:
        if a.itinerary_id:
            out[a.id] = [_other(s, known, locale) for s in steps if s.itinerary_id == a.itinerary_id and s.id != a.id]
    return out


def _other(s: Appointment, known: dict, locale: str) -> OtherStep:
    who = [known["clinicians"].get(c, "?") for c in s.attending_ids]
    time = format_time(s.start_at, get_zone(s.location.timezone), locale)
    return OtherStep(time, known["visit_types"].get(s.visit_type_id, "Visit"), " and ".join(who))


def clinic_day(
    session: Session, clinician: Clinician, *, now: datetime, locale: str, actor: Actor, day: date | None = None
) -> list[SiteDay]:
    """The clinician's visits per site on local `day` (None: each site's own today), with each site's hours."""
    first = day or local_date(now, UTC)
    lo, hi = date_range_bounds(first - timedelta(days=1), first + timedelta(days=1), UTC)
    appts = _attended(session, clinician, lo - MARGIN, hi + MARGIN, actor)
    sites = {r.location_id for r in clinician.rules} | {a.location_id for a in appts}
    known = names(session)
    rest = _rest_of_days(session, appts, known, locale)
    out = []
    for loc in session.scalars(select(Location).where(Location.id.in_(sites)).order_by(Location.id)):
        zone = get_zone(loc.timezone)
        shown = day or local_date(now, zone)
        mine = [_entry(a, locale, known, clinician, rest) for a in appts if a.location_id == loc.id]
        mine = [e for e in mine if e.day == shown]
        hours = _hours(clinician, loc, shown)
        if mine or hours:
            out.append(SiteDay(loc, format_when(now, zone, locale), hours, mine))
    return out


def _entry(a: Appointment, locale: str, known: dict, clinician: Clinician, rest: dict) -> ClinicEntry:
    also = [known["clinicians"].get(c, "?") for c in a.attending_ids if c != clinician.id]
    return ClinicEntry(**asdict(entry(a, None, locale, known)), also=also, rest=rest.get(a.id, []))
