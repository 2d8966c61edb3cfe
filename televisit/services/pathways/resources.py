"""Rooms and machines (MRI scanners, linear accelerators, procedure rooms): their sites, weekly hours and
time out of service; and site closures (holidays), when nobody and nothing at a site is booked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.errors import Conflict, Invalid, NotFound, TimeOffConflicts
from televisit.domain.timezones import day_bounds, get_zone
from televisit.models import Appointment, Location, Reservation, Resource, ResourceRule, ResourceTimeOff, SiteClosure
from televisit.services.booking import appointments as booking


@dataclass(frozen=True)
class HoursInput:
    """One weekly window of a resource, in its site's wall time."""

    weekday: int
    start_minute: int
    end_minute: int


def _location(session: Session, location_id: int) -> Location:
    loc = session.get(Location, location_id)
    if loc is None:
        raise Invalid({"location_id": "no such location"})
    return loc


def create_resource(session: Session, *, name: str, kind: str, location_id: int) -> Resource:
    """Add a resource at a site (409 when the site has one of that name)."""
    _location(session, location_id)
    res = Resource(name=name, kind=kind, location_id=location_id)
    session.add(res)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("This site already has a resource with that name.", fields={"name": "taken"}) from exc
    return res


def list_resources(session: Session, *, location_id: int | None = None, kind: str | None = None) -> list[Resource]:
    """Resources, optionally at one site or of one kind."""
    stmt = select(Resource).order_by(Resource.location_id, Resource.kind, Resource.name)
    if location_id is not None:
        stmt = stmt.where(Resource.location_id == location_id)
    if kind:
        stmt = stmt.where(Resource.kind == kind)
    return list(session.scalars(stmt))


def get_resource(session: Session, resource_id: int) -> Resource:
    """The resource or NotFound."""
    res = session.get(Resource, resource_id)
    if res is None:
        raise NotFound("No such resource.")
    return res


def set_hours(session: Session, resource_id: int, hours: list[HoursInput]) -> Resource:
    """Replace the resource's weekly hours (one transaction)."""
    res = get_resource(session, resource_id)
    res.rules = [ResourceRule(weekday=h.weekday, start_minute=h.start_minute, end_minute=h.end_minute) for h in hours]
    session.commit()
    return res


def active_holding(session: Session, resource_id: int, start: datetime, end: datetime) -> list[Appointment]:
    """Active appointments that hold the resource during [start, end) (the visit itself, buffers aside)."""
    stmt = (
        select(Appointment)
        .join(Reservation, Reservation.appointment_id == Appointment.id)
        .where(
            Reservation.resource_id == resource_id,
            Reservation.holding,
            Appointment.status.in_(st.ACTIVE),
            Appointment.start_at < end,
            Appointment.end_at > start,
        )
        .order_by(Appointment.start_at)
    )
    return list(session.scalars(stmt))


def take_out_of_service(
    session: Session,
    resource_id: int,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    reason: str | None = None,
    affected: str | None = None,
) -> tuple[ResourceTimeOff, list[int]]:
    """Take the resource out of service between two instants. Over booked visits: 409 naming them and
    nothing written, unless `affected` is "keep" (they stay) or "cancel" (each is cancelled and its patient
    told, in the same transaction). Returns the time off and the ids of the visits affected."""
    get_resource(session, resource_id)
    if not start < end:
        raise Invalid({"end": "must be after start"})
    over = active_holding(session, resource_id, start, end)
    ids = [a.id for a in over]
    if over and affected is None:
        message = f"{len(over)} booked visit(s) use this resource then: keep them or cancel them."
        raise TimeOffConflicts(ids, message)
    off = ResourceTimeOff(resource_id=resource_id, start_at=start, end_at=end, reason=reason)
    session.add(off)
    if affected == "cancel":
        booking.cancel_within(session, over, now=now, reason=reason or "The equipment is out of service.")
    session.commit()
    return off, ids


def day_span(session: Session, resource_id: int, day: date) -> tuple[datetime, datetime]:
    """The instants bounding the local `day` at the resource's site (23, 24 or 25 hours)."""
    res = get_resource(session, resource_id)
    return day_bounds(day, get_zone(_location(session, res.location_id).timezone))


def add_closure(session: Session, location_id: int, day: date, reason: str | None = None) -> SiteClosure:
    """Close a site for a local day (409 when it is closed that day already)."""
    _location(session, location_id)
    closure = SiteClosure(location_id=location_id, day=day, reason=reason)
    session.add(closure)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("The site is already closed that day.", fields={"date": "already closed"}) from exc
    return closure


def booked_on(session: Session, location_id: int, day: date) -> list[Appointment]:
    """Active appointments at a site on its local `day` (for the desk to move after a closure)."""
    lo, hi = day_bounds(day, get_zone(_location(session, location_id).timezone))
    stmt = select(Appointment).where(
        Appointment.location_id == location_id,
        Appointment.status.in_(st.ACTIVE),
        Appointment.start_at >= lo,
        Appointment.start_at < hi,
    )
    return list(session.scalars(stmt.order_by(Appointment.start_at)))


def list_closures(session: Session, location_id: int, *, since: date) -> list[SiteClosure]:
    """A site's closures from `since`, soonest first."""
    stmt = select(SiteClosure).where(SiteClosure.location_id == location_id, SiteClosure.day >= since)
    return list(session.scalars(stmt.order_by(SiteClosure.day)))
