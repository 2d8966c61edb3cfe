"""The desk's time grid (/schedule): a column per clinician or per room or machine, the visits in each, and each
column's free time, from the slot search the booking uses (`services/booking/search`), so every free box on the
grid can be booked.

Times are wall-clock readings in the view's zone, or in each visit's (each slot's) own site zone when the view
names none: the grid draws wall time as it reads, on every day, DST days included. A move made on the grid comes
back as a wall time in the same zone (`wall_instant`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.errors import Invalid
from televisit.domain.formatting import format_time, format_when
from televisit.domain.timezones import (
    UTC,
    date_range_bounds,
    get_zone,
    local_date,
    render,
    to_local,
    wall_time_exists,
    wall_to_instant,
)
from televisit.models import Appointment, Resource, VisitType
from televisit.services import catalog
from televisit.services.booking import appointments as booking
from televisit.services.booking import search as availability
from televisit.services.desk.calendar import MARGIN, MODE_TEXT, names
from televisit.services.pathways import resources as rooms

BY_CLINICIAN, BY_RESOURCE = "clinician", "resource"
BY = (BY_CLINICIAN, BY_RESOURCE)
MAX_DAYS = 14  # what one answer covers at most (a week view asks for 7)
PART_OF = {"itinerary": "a clinic day", "course": "a treatment course"}


@dataclass(frozen=True)
class GridQuery:
    """What the grid shows: local dates `first`..`last`, in `zone` (None: each site's own), columns `by`."""

    first: date
    last: date
    zone: str | None
    locale: str
    by: str = BY_CLINICIAN
    location_id: int | None = None
    specialty: str | None = None
    clinician_id: int | None = None
    visit_type_id: int | None = None  # free time for this visit type (None: the view's first that fits)
    show_cancelled: bool = False
    show_free: bool = True


@dataclass(frozen=True)
class Column:
    """One column of the grid: a clinician ("c3") or a room or machine ("r2")."""

    id: str
    title: str
    detail: str
    offers: frozenset[int] = frozenset()  # a clinician's visit types
    kind: str | None = None  # a room's or machine's kind


@dataclass(frozen=True)
class GridVisit:
    """A visit as the grid draws it, and the words its dialog shows."""

    id: int
    columns: tuple[str, ...]
    start: str  # wall clock, ISO without an offset
    end: str
    patient: str
    visit_type: str
    clinician: str
    location: str
    mode: str
    status: str
    status_text: str  # 'checked in'; a hold: 'held until 9:10 AM EST'
    time_text: str  # '9:00 AM EST' in the view's zone
    when_text: str  # the date too
    patient_time: str | None  # the patient's own date and time, when their clock reads differently
    patient_clock: str | None  # the same, the time alone ('2:00 PM GMT')
    movable: bool
    part_of: str | None  # "itinerary" or "course": it moves with its whole
    whole_id: int | None


@dataclass(frozen=True)
class FreeTime:
    """A free slot of the chosen visit type in one column: what a click on it books."""

    column: str
    start: str  # wall clock, ISO without an offset
    end: str
    at: str  # the instant, ISO with the site's offset (the booking form's value)
    clinician_id: int
    location_id: int
    visit_type_id: int
    modes: tuple[str, ...]
    time_text: str


def specialty_words(specialty: str) -> str:
    """'radiation_oncology' -> 'Radiation oncology'."""
    return specialty.replace("_", " ").capitalize()


def columns(session: Session, q: GridQuery) -> list[Column]:
    """The grid's columns: clinicians (of the specialty, working at the site) or the site's rooms and machines."""
    if q.by == BY_RESOURCE:
        sites = {loc.id: loc.name for loc in catalog.list_locations(session)}
        found = rooms.list_resources(session, location_id=q.location_id)
        return [Column(f"r{r.id}", r.name, sites.get(r.location_id, ""), kind=r.kind) for r in _by_name(found)]
    found = catalog.list_clinicians(session, specialty=q.specialty, location_id=q.location_id)
    return [
        Column(f"c{c.id}", c.name, specialty_words(c.specialty), frozenset(v.id for v in c.visit_types))
        for c in found
        if q.clinician_id in (None, c.id)
    ]


def free_time_type(session: Session, q: GridQuery, shown: list[Column]) -> VisitType | None:
    """The visit type whose free time the grid shows: the one asked for, else the first (by id) that the shown
    clinicians offer alone (no room, machine or team), or in the rooms-and-machines view the first that one of
    the shown rooms or machines serves. None when nothing fits."""
    if not q.show_free:
        return None
    types = catalog.list_visit_types(session)
    if q.visit_type_id is not None:
        return next((v for v in types if v.id == q.visit_type_id), None)
    if q.by == BY_RESOURCE:
        kinds = {c.kind for c in shown}
        return next((v for v in types if v.resource_kinds and set(v.resource_kinds) <= kinds), None)
    offered = set().union(*(c.offers for c in shown)) if shown else set()
    alone = (v for v in types if v.id in offered and not v.resource_kinds and len(v.team_specialties or ()) < 2)
    return next(alone, None)


def _by_name(found: list[Resource]) -> list[Resource]:
    return sorted(found, key=lambda r: (r.location_id, r.name))


def _zone_of(q: GridQuery, site_zone: str):
    return get_zone(q.zone or site_zone)


def _wall(instant: datetime, zone) -> str:
    return to_local(instant, zone).replace(tzinfo=None).isoformat(timespec="seconds")


def _in_view(q: GridQuery, instant: datetime, zone) -> bool:
    return q.first <= local_date(instant, zone) <= q.last


def _columns_of(a: Appointment, q: GridQuery, shown: set[str]) -> tuple[str, ...]:
    ids = [f"r{r}" for r in a.held_resource_ids] if q.by == BY_RESOURCE else [f"c{c}" for c in a.attending_ids]
    return tuple(i for i in ids if i in shown)


def visits(session: Session, q: GridQuery, shown: list[Column], *, actor, now: datetime) -> list[GridVisit]:
    """The visits in the view's days that sit in one of the `shown` columns (a joint visit in each of its own)."""
    lo, hi = date_range_bounds(q.first, q.last, UTC)
    flt = booking.AppointmentFilter(lo - MARGIN, hi + MARGIN, location_id=q.location_id)
    known, ids = names(session), {c.id for c in shown}
    out = []
    for a in booking.list_visible(session, flt, actor=actor):
        zone = _zone_of(q, a.location.timezone)
        cols = _columns_of(a, q, ids)
        if cols and _in_view(q, a.start_at, zone) and (q.show_cancelled or a.status != st.CANCELLED):
            out.append(_visit(a, cols, zone, q.locale, known, now))
    return out


def _visit(a: Appointment, cols: tuple[str, ...], zone, locale: str, known: dict, now: datetime) -> GridVisit:
    part_of = "itinerary" if a.itinerary_id else "course" if a.course_id else None
    own = patient_clock(a.start_at, zone, a.patient.timezone, locale)
    return GridVisit(
        id=a.id,
        columns=cols,
        start=_wall(a.start_at, zone),
        end=_wall(a.end_at, zone),
        patient=a.patient.name,
        visit_type=known["visit_types"].get(a.visit_type_id, "Visit"),
        clinician=" + ".join(known["clinicians"].get(c, "?") for c in a.attending_ids),
        location=a.location.name,
        mode=a.mode,
        status=a.status,
        status_text=st.status_words(a.status, a.hold_expires_at and format_time(a.hold_expires_at, zone, locale)),
        time_text=format_time(a.start_at, zone, locale),
        when_text=format_when(a.start_at, zone, locale),
        patient_time=own,
        patient_clock=format_time(a.start_at, get_zone(a.patient.timezone), locale) if own else None,
        movable=st.can_change(a.status) and part_of is None and a.start_at > now,
        part_of=part_of,
        whole_id=a.itinerary_id or a.course_id,
    )


def patient_clock(instant: datetime, shown_zone, patient_zone: str, locale: str) -> str | None:
    """The patient's own date and time when their clock reads differently from the one shown."""
    own = get_zone(patient_zone)
    here, there = to_local(instant, shown_zone), to_local(instant, own)
    if here.utcoffset() == there.utcoffset() and here.tzname() == there.tzname():
        return None
    return format_when(instant, own, locale)


def free_time(
    session: Session, q: GridQuery, shown: list[Column], visit_type_id: int | None, *, now: datetime
) -> list[FreeTime]:
    """Each column's free slots of `visit_type_id` on the view's days (nothing when it is None)."""
    if visit_type_id is None or not shown:
        return []
    search = availability.SlotQuery(
        visit_type_id,
        q.first - timedelta(days=1),  # every zone's local days lie within the UTC days around them
        q.last + timedelta(days=1),
        UTC,
        q.location_id,
        q.clinician_id,
    )
    zones = {loc.id: loc.timezone for loc in catalog.list_locations(session)}
    ids, merged = {c.id for c in shown}, {}
    for slot in availability.search(session, search, now=now):
        zone = _zone_of(q, zones[slot.location_id])
        if not _in_view(q, slot.start, zone):
            continue
        for col in _slot_columns(slot, q, ids):
            key = (col, slot.start, slot.clinician_id, slot.location_id)
            merged.setdefault(key, (slot, zone, set()))[2].add(slot.mode)
    return [_free(col, slot, zone, modes, zones, q.locale) for (col, *_), (slot, zone, modes) in merged.items()]


def _slot_columns(slot, q: GridQuery, ids: set[str]) -> list[str]:
    cols = [f"r{r}" for r in slot.resource_ids] if q.by == BY_RESOURCE else [f"c{slot.clinician_id}"]
    return [c for c in cols if c in ids]


def _free(col: str, slot, zone, modes: set[str], zones: dict, locale: str) -> FreeTime:
    return FreeTime(
        column=col,
        start=_wall(slot.start, zone),
        end=_wall(slot.end, zone),
        at=render(slot.start, get_zone(zones[slot.location_id])),
        clinician_id=slot.clinician_id,
        location_id=slot.location_id,
        visit_type_id=slot.visit_type_id,
        modes=tuple(m for m in MODE_TEXT if m in modes),
        time_text=format_time(slot.start, zone, locale),
    )


def wall_instant(wall: datetime, zone_name: str) -> datetime:
    """The instant a wall time read on the grid names in `zone_name` (Invalid inside a spring-forward gap)."""
    zone, minute = get_zone(zone_name), wall.hour * 60 + wall.minute
    if not wall_time_exists(wall.date(), minute, zone):
        raise Invalid({"start": "That time does not exist on that day: the clocks go forward then."})
    return wall_to_instant(wall.date(), minute, zone)
