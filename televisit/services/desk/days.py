"""Clinic days and joint visits as the desk reads them: each step's time in the desk's zone, with the
site's clock and the patient's own beside it where they read differently, and everyone and everything
the step holds (the attending clinicians, the room or machine). The options themselves come from
`pathways.options.day_options`, the same code path the booking check uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from televisit.domain.availability import Slot
from televisit.domain.calendar import day_label
from televisit.domain.formatting import format_time
from televisit.domain.timezones import get_zone, local_date, render, to_local
from televisit.models import Appointment, Location, Pathway
from televisit.services import catalog
from televisit.services.desk.calendar import MODE_TEXT, names
from televisit.services.pathways.itineraries import StepRequest
from televisit.services.pathways.options import DayOption


@dataclass(frozen=True)
class Clocks:
    """How the desk reads times: the zone it shows, the patient's own zone, 12- or 24-hour."""

    view: ZoneInfo
    patient: ZoneInfo
    locale: str


@dataclass(frozen=True)
class StepView:
    """One step of a clinic day (offered or booked), with what the form needs to book it."""

    visit_type: str
    start: str  # ISO instant with the site's offset: the form value
    time: str  # start in the desk's zone
    end: str  # end in the desk's zone
    site_time: str | None  # the site's clock, when the desk's zone reads differently
    patient_time: str | None  # the patient's clock, when it reads differently
    clinicians: tuple[str, ...]
    resources: tuple[str, ...]
    location: str
    mode: str
    clinician_id: int
    clinician_ids: tuple[int, ...]
    location_id: int
    resource_ids: tuple[int, ...]
    appointment_id: int | None = None
    status: str | None = None

    @property
    def mode_text(self) -> str:
        return MODE_TEXT.get(self.mode, self.mode)

    @property
    def with_text(self) -> str:
        return " + ".join(self.clinicians)


@dataclass(frozen=True)
class DayView:
    """A clinic day: its local date at the site, the site, its steps, and how long the patient is there."""

    date: date
    label: str
    location: str
    location_id: int
    steps: list[StepView]

    @property
    def span(self) -> str:
        return f"{self.steps[0].time} – {self.steps[-1].end}" if self.steps else ""


def other_clock(instant: datetime, shown: ZoneInfo, other: ZoneInfo, locale: str) -> str | None:
    """`instant` on `other`'s clock (with its date when that differs), or None when it reads like `shown`'s."""
    here, there = to_local(instant, shown), to_local(instant, other)
    if here.utcoffset() == there.utcoffset() and here.tzname() == there.tzname():
        return None
    text = format_time(instant, other, locale)
    return text if here.date() == there.date() else f"{day_label(there.date(), locale)}, {text}"


class Known:
    """Names of everything a page shows (read once per page)."""

    def __init__(self, session: Session):
        self.names = names(session)
        self.sites: dict[int, Location] = {loc.id: loc for loc in catalog.list_locations(session)}

    def clinicians(self, ids) -> tuple[str, ...]:
        return tuple(self.names["clinicians"].get(i, "?") for i in ids)

    def resources(self, ids) -> tuple[str, ...]:
        return tuple(self.names["resources"].get(i, "?") for i in ids)

    def visit_type(self, visit_type_id: int) -> str:
        return self.names["visit_types"].get(visit_type_id, "Visit")


def _step(slot: Slot, known: Known, clocks: Clocks, appt: Appointment | None = None) -> StepView:
    site = known.sites[slot.location_id]
    site_zone = get_zone(site.timezone)
    return StepView(
        visit_type=known.visit_type(slot.visit_type_id),
        start=render(slot.start, site_zone),
        time=format_time(slot.start, clocks.view, clocks.locale),
        end=format_time(slot.end, clocks.view, clocks.locale),
        site_time=other_clock(slot.start, clocks.view, site_zone, clocks.locale),
        patient_time=other_clock(slot.start, clocks.view, clocks.patient, clocks.locale),
        clinicians=known.clinicians(slot.attending),
        resources=known.resources(slot.resource_ids),
        location=site.name,
        mode=slot.mode,
        clinician_id=slot.clinician_id,
        clinician_ids=tuple(slot.attending),
        location_id=slot.location_id,
        resource_ids=tuple(slot.resource_ids),
        appointment_id=appt.id if appt else None,
        status=appt.status if appt else None,
    )


def _day(day: date, location_id: int, steps: list[StepView], known: Known, locale: str) -> DayView:
    return DayView(day, day_label(day, locale), known.sites[location_id].name, location_id, steps)


def day_views(session: Session, options: list[DayOption], clocks: Clocks) -> list[DayView]:
    """The options as the desk reads them."""
    known = Known(session)
    return [
        _day(o.date, o.location_id, [_step(s, known, clocks) for s in o.steps], known, clocks.locale) for o in options
    ]


def requested_day(session: Session, pathway: Pathway, steps: list[StepRequest], clocks: Clocks) -> DayView | None:
    """The day a scheduler picked (read back from the form, to confirm); None when it does not name the
    pathway's steps at existing sites (the booking itself then says exactly what is wrong)."""
    known = Known(session)
    if len(steps) != len(pathway.steps) or any(s.location_id not in known.sites for s in steps):
        return None
    durations = {vt.id: vt.duration_minutes for vt in catalog.list_visit_types(session)}
    slots = []
    for spec, s in zip(pathway.steps, steps, strict=True):
        minutes = durations.get(spec["visit_type_id"])
        if minutes is None:
            return None
        end = s.start + timedelta(minutes=minutes)
        ids = (tuple(s.clinician_ids or ()), tuple(s.resource_ids or ()))
        slots.append(Slot(s.clinician_id, s.location_id, spec["visit_type_id"], s.mode, s.start, end, *ids))
    first = slots[0]
    day = local_date(first.start, get_zone(known.sites[first.location_id].timezone))
    return _day(day, first.location_id, [_step(s, known, clocks) for s in slots], known, clocks.locale)


def _slot_of(appt: Appointment) -> Slot:
    return Slot(
        appt.clinician_id,
        appt.location_id,
        appt.visit_type_id,
        appt.mode,
        appt.start_at,
        appt.end_at,
        tuple(appt.attending_ids),
        tuple(appt.held_resource_ids),
    )


def booked_day(session: Session, appts: list[Appointment], clocks: Clocks) -> DayView | None:
    """A booked clinic day (its appointments in order) as the desk reads it; None when it has none."""
    if not appts:
        return None
    known = Known(session)
    steps = [_step(_slot_of(a), known, clocks, a) for a in appts]
    first = appts[0]
    day = local_date(first.start_at, get_zone(known.sites[first.location_id].timezone))
    return _day(day, first.location_id, steps, known, clocks.locale)


def parties(session: Session, appt: Appointment) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of everyone attending `appt` (the lead first) and of the rooms or machines it holds."""
    known = Known(session)
    return known.clinicians(appt.attending_ids), known.resources(appt.held_resource_ids)
