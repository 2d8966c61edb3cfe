"""A clinician's clinic for one local day, per site in that site's time: every visit they attend (a joint
visit too, with the other clinicians in the room) and, for a patient on a clinic day, the rest of that
patient's day (the other steps: when, what, with whom)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.availability import Rule
from televisit.domain.clinic_day import ClinicDay
from televisit.domain.clinic_day import clinic_day as plan_day
from televisit.domain.formatting import format_time, format_when
from televisit.domain.roles import Actor
from televisit.domain.timezones import UTC, date_range_bounds, get_zone, local_date
from televisit.models import Appointment, Clinician, Location, TimeOff
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
    """A clinician's day at one site, in the site's local time: hours left after time off, and the time off."""

    location: Location
    label: str
    hours: list[str]
    entries: list[ClinicEntry]
    away: list[str] = field(default_factory=list)  # "Day off", "Away 13:00–17:00" (empty: no time off that day)


def _plan(c: Clinician, loc: Location, day: date, offs: list[tuple[datetime, datetime]]) -> ClinicDay:
    """The clinician's hours at `loc` on local `day` less their time off, and how the time off reads."""
    rules = [
        Rule(r.location_id, r.weekday, r.start_minute, r.end_minute, frozenset(r.modes))
        for r in c.rules
        if r.location_id == loc.id
    ]
    return plan_day(rules, offs, day, get_zone(loc.timezone))


def _works(c: Clinician, loc: Location, day: date) -> bool:
    """True when the clinician's weekly hours include `day` at `loc` (time off aside)."""
    return any(r.location_id == loc.id and r.weekday == day.weekday() for r in c.rules)


def _hours_text(plan: ClinicDay) -> list[str]:
    return [f"{w.start}–{w.end} ({', '.join(MODE_TEXT[m] for m in w.modes)})" for w in plan.hours]


def _time_off_around(
    session: Session, clinician_id: int, lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """The clinician's time off touching [lo, hi) (every site's shown day lies inside)."""
    stmt = select(TimeOff.start_at, TimeOff.end_at).where(
        TimeOff.clinician_id == clinician_id, TimeOff.end_at > lo, TimeOff.start_at < hi
    )
    return [(start, end) for start, end in session.execute(stmt)]


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
    offs = _time_off_around(session, clinician.id, lo - MARGIN, hi + MARGIN)
    out = []
    for loc in session.scalars(select(Location).where(Location.id.in_(sites)).order_by(Location.id)):
        zone = get_zone(loc.timezone)
        shown = day or local_date(now, zone)
        mine = [_entry(a, locale, known, clinician, rest) for a in appts if a.location_id == loc.id]
        mine = [e for e in mine if e.day == shown]
        plan = _plan(clinician, loc, shown, offs)
        hours = _hours_text(plan)
        if mine or hours or (plan.away and _works(clinician, loc, shown)):
            out.append(SiteDay(loc, format_when(now, zone, locale), hours, mine, plan.away))
    return out


def _entry(a: Appointment, locale: str, known: dict, clinician: Clinician, rest: dict) -> ClinicEntry:
    also = [known["clinicians"].get(c, "?") for c in a.attending_ids if c != clinician.id]
    return ClinicEntry(**asdict(entry(a, None, locale, known)), also=also, rest=rest.get(a.id, []))
