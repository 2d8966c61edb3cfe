"""Radiosurgery courses as the desk reads them: the earliest courses ("Thu, Mar 11 – Wed, Mar 17, 8:00 AM in
Cleveland, 5 fractions") with every date, and a booked course's fractions. A course keeps the site's wall
time, so its summary names the time without a zone abbreviation (EST and EDT can both occur in one course);
each fraction shows its own, and the patient's clock where it reads differently. The courses themselves come
from `pathways.courses.options`, the same code path the booking check uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from televisit.domain.availability import Slot
from televisit.domain.calendar import day_label
from televisit.domain.formatting import format_time
from televisit.domain.timezones import get_zone, local_date, parse_date, render, wall_to_instant
from televisit.models import Appointment, Location, VisitType
from televisit.services import catalog
from televisit.services.desk.calendar import names
from televisit.services.desk.days import other_clock
from televisit.services.pathways import resources

COURSE_KIND = "linac"  # the machine a radiosurgery course is given on


@dataclass(frozen=True)
class FractionView:
    """One fraction: its date and time at the site, the patient's clock where it differs."""

    number: int
    day: str
    time: str
    patient_time: str | None
    start: str  # ISO instant with the site's offset
    appointment_id: int | None = None
    status: str | None = None


@dataclass(frozen=True)
class CourseView:
    """A course: one line that says it all, the first start (the form value) and each fraction."""

    summary: str
    first_start: str
    fractions: list[FractionView]
    resources: tuple[str, ...] = ()


def _wall_clock(instant: datetime, zone, locale: str) -> str:
    """'8:00 AM' or '08:00': the site's wall time without its abbreviation."""
    return format_time(instant, zone, locale).rsplit(" ", 1)[0]


def summary(starts: list[datetime], site: Location, locale: str) -> str:
    """'Thu, Mar 11 – Wed, Mar 17, 8:00 AM in Cleveland, 5 fractions' (one date when there is one fraction)."""
    zone = get_zone(site.timezone)
    first, last = local_date(starts[0], zone), local_date(starts[-1], zone)
    days = day_label(first, locale) if first == last else f"{day_label(first, locale)} – {day_label(last, locale)}"
    count = len(starts)
    return f"{days}, {_wall_clock(starts[0], zone, locale)} in {site.name}, {count} fraction{'s' if count != 1 else ''}"


def _fraction(i: int, start: datetime, site: Location, patient_zone, locale: str, appt=None) -> FractionView:
    zone = get_zone(site.timezone)
    return FractionView(
        i + 1,
        day_label(local_date(start, zone), locale),
        format_time(start, zone, locale),
        other_clock(start, zone, patient_zone, locale),
        render(start, zone),
        appt.id if appt else None,
        appt.status if appt else None,
    )


def course_views(
    session: Session, options: list[list[Slot]], location_id: int, patient_zone: str, locale: str
) -> list[CourseView]:
    """The courses offered, as the desk reads them."""
    site, own = catalog.get_location(session, location_id), get_zone(patient_zone)
    known = names(session)["resources"]
    out = []
    for course in options:
        starts = [s.start for s in course]
        fractions = [_fraction(i, s, site, own, locale) for i, s in enumerate(starts)]
        held = tuple(known.get(r, "?") for r in course[0].resource_ids)
        out.append(CourseView(summary(starts, site, locale), fractions[0].start, fractions, held))
    return out


def booked_course(session: Session, location_id: int, appts: list[Appointment], locale: str) -> CourseView | None:
    """A booked course's fractions (None when it has none)."""
    if not appts:
        return None
    site, own = catalog.get_location(session, location_id), get_zone(appts[0].patient.timezone)
    known = names(session)["resources"]
    fractions = [_fraction(i, a.start_at, site, own, locale, a) for i, a in enumerate(appts)]
    held = tuple(known.get(r, "?") for r in appts[0].held_resource_ids)
    return CourseView(summary([a.start_at for a in appts], site, locale), fractions[0].start, fractions, held)


def failed_dates(dates: list[str], locale: str) -> str:
    """The dates a booking could not have, as a person reads them ('Mon, Mar 15 and Tue, Mar 16')."""
    labels = [day_label(parse_date(d), locale) for d in dates]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def course_visit_types(session: Session) -> list[VisitType]:
    """Visit types given on a linac (those a radiosurgery course is made of)."""
    return [vt for vt in catalog.list_visit_types(session) if COURSE_KIND in (vt.resource_kinds or [])]


def course_sites(session: Session) -> list[Location]:
    """Sites with a linac."""
    have = {r.location_id for r in resources.list_resources(session, kind=COURSE_KIND)}
    return [loc for loc in catalog.list_locations(session) if loc.id in have]


def site_instant(session: Session, location_id: int, day: date, minute: int) -> datetime:
    """The instant of a wall time at a site (a new first start typed at the desk)."""
    return wall_to_instant(day, minute, get_zone(catalog.get_location(session, location_id).timezone))
