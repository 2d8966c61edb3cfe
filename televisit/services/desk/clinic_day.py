"""A clinician's clinic for one local day or one Monday-to-Sunday week, each visit in its site's time: every
visit they attend (a joint visit too, with the other clinicians in the room), the patient's reason and their
own clock where it reads differently, and, for a patient on a clinic day, the rest of that patient's day (the
other steps: when, what, with whom)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from babel.dates import format_skeleton, format_time, get_timezone_location
from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.availability import Rule
from televisit.domain.calendar import day_label
from televisit.domain.clinic_day import ClinicDay
from televisit.domain.clinic_day import clinic_day as plan_day
from televisit.domain.formatting import format_time as site_clock
from televisit.domain.formatting import format_when
from televisit.domain.roles import Actor
from televisit.domain.timezones import UTC, date_range_bounds, get_zone, local_date, to_local
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
    """A visit on the clinician's list: who else attends (a joint visit), the rest of the patient's day, the
    patient's reason for the visit and the start on the patient's own clock (None: it reads as the site's)."""

    also: list[str] = field(default_factory=list)
    rest: list[OtherStep] = field(default_factory=list)
    reason: str | None = None
    patient_time: str | None = None


@dataclass(frozen=True)
class SiteDay:
    """A clinician's day at one site, in the site's local time: hours left after time off, and the time off."""

    location: Location
    label: str
    hours: list[str]
    entries: list[ClinicEntry]
    away: list[str] = field(default_factory=list)  # "Day off", "Away 13:00–17:00" (empty: no time off that day)


@dataclass(frozen=True)
class WeekDay:
    """One local day of a clinician's week: every site's visits by start, and each site's hours that day."""

    day: date
    label: str
    entries: list[ClinicEntry]
    sites: list[SiteDay]


@dataclass(frozen=True)
class _Span:
    """What a span of local days needs, read once: the visits, names, other steps and time off."""

    entries: list[tuple[int, ClinicEntry]]  # (site id, the visit) by start
    offs: list[tuple[datetime, datetime]]
    locations: list[Location]


def babel_locale(locale: str) -> str:
    """Babel's spelling of a page locale ('en-US' -> 'en_US')."""
    return locale.replace("-", "_")


def patient_time(a: Appointment, locale: str) -> str | None:
    """The start on the patient's own clock, named by their zone's city ('2:00 PM for the patient in London';
    the date too when it is another day there); None when their clock reads as the site's."""
    site, own = get_zone(a.location.timezone), get_zone(a.patient.timezone)
    here, there = to_local(a.start_at, site), to_local(a.start_at, own)
    if here.utcoffset() == there.utcoffset() and here.tzname() == there.tzname():
        return None
    loc = babel_locale(locale)
    clock = format_time(there, "short", locale=loc)
    if there.date() != here.date():
        clock += f" on {format_skeleton('MMMEd', there, locale=loc)}"
    return f"{clock} for the patient in {get_timezone_location(own, locale=loc, return_city=True)}"


def home_zone(session: Session, clinician: Clinician) -> str:
    """The zone of the clinician's first site (of their weekly hours); UTC for a clinician without hours."""
    if not clinician.rules:
        return "UTC"
    return session.get(Location, clinician.rules[0].location_id).timezone


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


def rest_of_days(session: Session, appts: list[Appointment], known: dict, locale: str) -> dict[int, list[OtherStep]]:
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
    time = site_clock(s.start_at, get_zone(s.location.timezone), locale)
    return OtherStep(time, known["visit_types"].get(s.visit_type_id, "Visit"), " and ".join(who))


def _span(session: Session, clinician: Clinician, first: date, last: date, actor: Actor, locale: str) -> _Span:
    """Read what local days `first`..`last` need at every site (each site's day lies within UTC's +- MARGIN)."""
    lo, hi = date_range_bounds(first, last, UTC)
    appts = _attended(session, clinician, lo - MARGIN, hi + MARGIN, actor)
    sites = {r.location_id for r in clinician.rules} | {a.location_id for a in appts}
    known = names(session)
    rest = rest_of_days(session, appts, known, locale)
    offs = _time_off_around(session, clinician.id, lo - MARGIN, hi + MARGIN)
    locations = list(session.scalars(select(Location).where(Location.id.in_(sites)).order_by(Location.id)))
    entries = [(a.location_id, clinic_entry(a, locale, known, clinician, rest)) for a in appts]
    return _Span(entries, offs, locations)


def clinic_entry(a: Appointment, locale: str, known: dict, clinician: Clinician, rest: dict) -> ClinicEntry:
    also = [known["clinicians"].get(c, "?") for c in a.attending_ids if c != clinician.id]
    return ClinicEntry(
        **asdict(entry(a, None, locale, known)),
        also=also,
        rest=rest.get(a.id, []),
        reason=a.reason,
        patient_time=patient_time(a, locale),
    )


def _site_day(span: _Span, clinician: Clinician, loc: Location, shown: date, label: str) -> SiteDay | None:
    """The clinician's day at `loc` (None when there is nothing to say: no hours, visits or time off)."""
    mine = [e for site_id, e in span.entries if site_id == loc.id and e.day == shown]
    plan = _plan(clinician, loc, shown, span.offs)
    hours = _hours_text(plan)
    if mine or hours or (plan.away and _works(clinician, loc, shown)):
        return SiteDay(loc, label, hours, mine, plan.away)
    return None


def clinic_day(
    session: Session, clinician: Clinician, *, now: datetime, locale: str, actor: Actor, day: date | None = None
) -> list[SiteDay]:
    """The clinician's visits per site on local `day` (None: each site's own today), with each site's hours."""
    first = day or local_date(now, UTC)
    span = _span(session, clinician, first - timedelta(days=1), first + timedelta(days=1), actor, locale)
    out = []
    for loc in span.locations:
        zone = get_zone(loc.timezone)
        shown = day or local_date(now, zone)
        found = _site_day(span, clinician, loc, shown, format_when(now, zone, locale))
        if found:
            out.append(found)
    return out


def clinic_week(
    session: Session, clinician: Clinician, *, days: list[date], locale: str, actor: Actor
) -> list[WeekDay]:
    """The clinician's local `days` (a Monday-to-Sunday week): each day's visits at every site by start, each
    in its site's time, with each site's hours and time off that day."""
    span = _span(session, clinician, days[0], days[-1], actor, locale)
    out = []
    for d in days:
        sites = [s for loc in span.locations if (s := _site_day(span, clinician, loc, d, loc.name))]
        shown = {e.id for s in sites for e in s.entries}
        entries = [e for _, e in span.entries if e.id in shown]  # every site's, by start
        out.append(WeekDay(d, day_label(d, locale), entries, sites))
    return out
