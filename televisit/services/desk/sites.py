"""Rooms, machines and site closures as the admin pages read them: a resource's time out of service, the
booked visits a change would touch (patient, local time, visit type), and each site's closures to come
with the visits already booked that day, for the desk to move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.calendar import range_label
from televisit.domain.formatting import format_when
from televisit.domain.timezones import get_zone, local_date, wall_to_instant
from televisit.models import Appointment, Location, ResourceTimeOff, SiteClosure
from televisit.services import catalog
from televisit.services.desk.calendar import Entry, entry, names
from televisit.services.pathways import resources


def site_of(session: Session, resource_id: int) -> Location:
    """The resource's site."""
    return catalog.get_location(session, resources.get_resource(session, resource_id).location_id)


def time_off_ahead(session: Session, resource_id: int, *, now: datetime, locale: str) -> list[tuple[object, str]]:
    """The resource's time out of service that ends after `now`, soonest first, each with its local text."""
    zone = get_zone(site_of(session, resource_id).timezone)
    stmt = select(ResourceTimeOff).where(ResourceTimeOff.resource_id == resource_id, ResourceTimeOff.end_at > now)
    offs = session.scalars(stmt.order_by(ResourceTimeOff.start_at, ResourceTimeOff.id))
    return [(o, f"{format_when(o.start_at, zone, locale)} to {format_when(o.end_at, zone, locale)}") for o in offs]


def local_span(
    session: Session, resource_id: int, start: tuple[date, int], end: tuple[date, int]
) -> tuple[datetime, datetime]:
    """The instants of two wall times (local date, minute of the day) at the resource's site."""
    zone = get_zone(site_of(session, resource_id).timezone)
    return wall_to_instant(*start, zone), wall_to_instant(*end, zone, closing=True)


def entries(session: Session, ids: list[int], locale: str) -> list[Entry]:
    """The named appointments as desk rows (each in its site's zone), soonest first."""
    if not ids:
        return []
    known = names(session)
    appts = session.scalars(select(Appointment).where(Appointment.id.in_(ids)).order_by(Appointment.start_at))
    return [entry(a, None, locale, known) for a in appts]


@dataclass(frozen=True)
class ClosureView:
    """A site's closed day, and the visits still booked there that day."""

    closure: SiteClosure
    location: Location
    label: str
    booked: list[Entry]


def closures_ahead(session: Session, *, now: datetime, locale: str) -> list[ClosureView]:
    """Every site's closures from its own today, soonest first, with the visits booked on each."""
    known, out = names(session), []
    for loc in catalog.list_locations(session):
        today = local_date(now, get_zone(loc.timezone))
        for closure in resources.list_closures(session, loc.id, since=today):
            booked = [entry(a, None, locale, known) for a in resources.booked_on(session, loc.id, closure.day)]
            out.append(ClosureView(closure, loc, range_label([closure.day], locale), booked))
    return sorted(out, key=lambda c: (c.closure.day, c.location.name))
