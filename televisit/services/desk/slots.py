"""Free slots as the desk shows them: for booking and moving (site clock and the patient's), and the
effect of a clinician's availability on their coming week. Everything comes from `availability.search`,
the same code path the booking check uses, so every slot shown can be booked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.calendar import day_label
from televisit.domain.formatting import format_time, format_when
from televisit.domain.timezones import date_range_bounds, get_zone, local_date, parse_instant, render, to_local
from televisit.models import Appointment, Clinician, Location, Patient
from televisit.services import catalog
from televisit.services.booking import appointments as booking
from televisit.services.booking import search as availability
from televisit.services.desk.calendar import MODE_TEXT, Entry, entry, names


@dataclass(frozen=True)
class SlotChoice:
    """A bookable slot with what the form needs to book it and what a person needs to choose it."""

    clinician_id: int
    clinician: str
    location_id: int
    location: str
    mode: str
    start: str  # ISO instant with the site's offset: the form value
    site_time: str
    patient_time: str | None  # the patient's own clock when it reads differently
    clinician_ids: tuple[int, ...] = ()  # a joint visit's attending clinicians, in order (the first leads)
    clinicians: tuple[str, ...] = ()  # their names
    resource_ids: tuple[int, ...] = ()  # the rooms or machines the visit holds
    resources: tuple[str, ...] = ()  # their names

    @property
    def mode_text(self) -> str:
        return MODE_TEXT.get(self.mode, self.mode)

    @property
    def with_text(self) -> str:
        """Who attends: 'Dr. A', or 'Dr. A + Dr. B' for a joint visit."""
        return " + ".join(self.clinicians) if self.clinicians else self.clinician


def _choice(slot, locs: dict[int, Location], known: dict, patient_zone: str, locale: str) -> SlotChoice:
    loc = locs[slot.location_id]
    site_zone, own = get_zone(loc.timezone), get_zone(patient_zone)
    here, there = to_local(slot.start, site_zone), to_local(slot.start, own)
    differs = here.utcoffset() != there.utcoffset() or here.tzname() != there.tzname()
    return SlotChoice(
        slot.clinician_id,
        known["clinicians"].get(slot.clinician_id, "?"),
        loc.id,
        loc.name,
        slot.mode,
        render(slot.start, site_zone),
        format_time(slot.start, site_zone, locale),
        format_time(slot.start, own, locale) if differs else None,
        tuple(slot.clinician_ids),
        tuple(known["clinicians"].get(c, "?") for c in slot.clinician_ids),
        tuple(slot.resource_ids),
        tuple(known["resources"].get(r, "?") for r in slot.resource_ids),
    )


def slot_days(
    session: Session,
    q: availability.SlotQuery,
    *,
    patient: Patient,
    now: datetime,
    locale: str,
    exclude: Appointment | None = None,
) -> list[tuple[str, list[SlotChoice]]]:
    """Free slots for `patient` grouped by local day in `q.zone`, as (day label, choices).

    `exclude`: the appointment being moved (its own time counts as free, but is not offered as a move).
    """
    found = availability.search(session, q, now=now, exclude_appointment_id=exclude.id if exclude else None)
    if exclude is not None:
        same = (exclude.clinician_id, exclude.location_id, exclude.mode, exclude.start_at)
        found = [s for s in found if (s.clinician_id, s.location_id, s.mode, s.start) != same]
    locs = {loc.id: loc for loc in catalog.list_locations(session)}
    known = names(session)
    grouped: dict[date, list[SlotChoice]] = defaultdict(list)
    for slot in found:
        grouped[local_date(slot.start, q.zone)].append(_choice(slot, locs, known, patient.timezone, locale))
    return [(day_label(d, locale), grouped[d]) for d in sorted(grouped)]


@dataclass(frozen=True)
class EffectDay:
    """One local day of a clinician's coming week at one site."""

    label: str
    off: bool
    booked: list[Entry]
    free: list[str]


def _free_by_day(session, c: Clinician, loc: Location, visit_type_id: int, first: date, now: datetime, locale: str):
    zone = get_zone(loc.timezone)
    q = availability.SlotQuery(visit_type_id, first, first + timedelta(days=6), zone, loc.id, c.id)
    free: dict[date, dict[str, set]] = defaultdict(dict)
    for slot in availability.search(session, q, now=now):
        text = format_time(slot.start, zone, locale)
        free[local_date(slot.start, zone)].setdefault(text, set()).add(MODE_TEXT[slot.mode])
    return {d: [f"{t} ({' / '.join(sorted(m))})" for t, m in times.items()] for d, times in free.items()}


def week_effect(
    session: Session, c: Clinician, visit_type_id: int | None, *, now: datetime, locale: str, actor
) -> list[tuple[Location, list[EffectDay]]]:
    """For each site in the clinician's rules: the next 7 local days with booked visits, time off and free slots."""
    sites = sorted({r.location_id for r in c.rules})
    known, out = names(session), []
    offs = catalog.list_time_off(session, c.id, since=now)
    for loc in (catalog.get_location(session, i) for i in sites):
        zone = get_zone(loc.timezone)
        first = local_date(now, zone)
        lo, hi = date_range_bounds(first, first + timedelta(days=6), zone)
        flt = booking.AppointmentFilter(lo, hi, clinician_id=c.id, location_id=loc.id)
        appts = [entry(a, None, locale, known) for a in booking.list_visible(session, flt, actor=actor)]
        appts = [e for e in appts if e.status != st.CANCELLED]
        free = _free_by_day(session, c, loc, visit_type_id, first, now, locale) if visit_type_id else {}
        days = []
        for d in (first + timedelta(days=i) for i in range(7)):
            d_lo, d_hi = date_range_bounds(d, d, zone)
            off = any(o.start_at < d_hi and o.end_at > d_lo and o.location_id in (None, loc.id) for o in offs)
            days.append(EffectDay(day_label(d, locale), off, [e for e in appts if e.day == d], free.get(d, [])))
        out.append((loc, days))
    return out


def picked_text(session: Session, picked: dict, *, locale: str) -> str:
    """The free time picked on the calendar, in words: 'Consult with Dr. A at Cleveland, Mon, Mar 8, 2027, 8:00 AM
    EST' (the site's clock; what is not known is left out)."""
    known = names(session)
    what = known["visit_types"].get(picked.get("visit_type_id"), "A visit")
    who = known["clinicians"].get(picked.get("clinician_id"))
    site = next((loc for loc in catalog.list_locations(session) if loc.id == picked.get("location_id")), None)
    zone = get_zone(site.timezone if site else "UTC")
    where = f" at {site.name}" if site else ""
    return f"{what}{f' with {who}' if who else ''}{where}, {format_when(picked['at'], zone, locale)}"


def at_time(days: list[tuple[str, list[SlotChoice]]], at: datetime) -> list[tuple[str, list[SlotChoice]]]:
    """The choices among `days` that start at the instant `at` (the time picked on the calendar), as `days` are."""
    found = [(label, [c for c in choices if parse_instant(c.start) == at]) for label, choices in days]
    return [(label, choices) for label, choices in found if choices]
