"""Locations, visit types, clinicians, weekly availability and time off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from televisit.domain.errors import Conflict, Invalid, NotFound
from televisit.domain.timezones import day_bounds, get_zone
from televisit.models import AvailabilityRule, Clinician, Location, TimeOff, User, VisitType


def list_locations(session: Session) -> list[Location]:
    """All sites, by name."""
    return list(session.scalars(select(Location).order_by(Location.id)))


def create_location(session: Session, data: dict) -> Location:
    """Add a site (data already validated)."""
    loc = Location(**data)
    session.add(loc)
    _commit_unique(session, "name", "a location with this name exists")
    return loc


def list_visit_types(session: Session) -> list[VisitType]:
    """All visit types."""
    return list(session.scalars(select(VisitType).order_by(VisitType.id)))


def create_visit_type(session: Session, data: dict) -> VisitType:
    """Add a visit type (data already validated)."""
    vt = VisitType(**data)
    session.add(vt)
    _commit_unique(session, "name", "a visit type with this name exists")
    return vt


def list_clinicians(
    session: Session, *, specialty: str | None = None, location_id: int | None = None
) -> list[Clinician]:
    """Clinicians, optionally of one specialty or working at one site."""
    stmt = select(Clinician).order_by(Clinician.id)
    if specialty:
        stmt = stmt.where(Clinician.specialty == specialty)
    if location_id is not None:
        stmt = stmt.where(Clinician.rules.any(AvailabilityRule.location_id == location_id))
    return list(session.scalars(stmt))


def get_clinician(session: Session, clinician_id: int) -> Clinician:
    """The clinician or NotFound."""
    c = session.get(Clinician, clinician_id)
    if c is None:
        raise NotFound("No such clinician.")
    return c


def _visit_types(session: Session, ids: list[int]) -> list[VisitType]:
    found = list(session.scalars(select(VisitType).where(VisitType.id.in_(ids)))) if ids else []
    missing = sorted(set(ids) - {vt.id for vt in found})
    if missing:
        raise Invalid({"visit_type_ids": f"no such visit type: {missing}"})
    return found


def create_clinician(session: Session, data: dict) -> Clinician:
    """Add a clinician with licences and the visit types they offer."""
    ids = data.pop("visit_type_ids", [])
    c = Clinician(**data)
    c.visit_types = _visit_types(session, ids)
    session.add(c)
    _commit_unique(session, "email", "a clinician with this email exists")
    if c.email:  # a clinician user who signed up before this record existed is linked now
        session.execute(
            update(User)
            .where(User.email == c.email, User.role == "clinician", User.clinician_id.is_(None))
            .values(clinician_id=c.id)
        )
        session.commit()
    return c


@dataclass(frozen=True)
class RuleInput:
    """A validated weekly rule."""

    location_id: int
    weekday: int
    start_minute: int
    end_minute: int
    modes: tuple[str, ...]


def set_availability(session: Session, clinician_id: int, rules: list[RuleInput]) -> Clinician:
    """Replace the clinician's weekly rules with `rules` (one transaction)."""
    c = get_clinician(session, clinician_id)
    known = {loc.id for loc in list_locations(session)}
    bad = {f"rules[{i}].location_id": "no such location" for i, r in enumerate(rules) if r.location_id not in known}
    if bad:
        raise Invalid(bad)
    c.rules = [
        AvailabilityRule(
            location_id=r.location_id,
            weekday=r.weekday,
            start_minute=r.start_minute,
            end_minute=r.end_minute,
            modes=list(r.modes),
        )
        for r in rules
    ]
    session.commit()
    return c


def add_time_off(
    session: Session,
    clinician_id: int,
    start: datetime,
    end: datetime,
    *,
    location_id: int | None = None,
    reason: str | None = None,
) -> TimeOff:
    """Record time off between two instants."""
    get_clinician(session, clinician_id)
    if not start < end:
        raise Invalid({"end": "must be after start"})
    if location_id is not None and session.get(Location, location_id) is None:
        raise Invalid({"location_id": "no such location"})
    off = TimeOff(clinician_id=clinician_id, start_at=start, end_at=end, location_id=location_id, reason=reason)
    session.add(off)
    session.commit()
    return off


def add_day_off(session: Session, clinician_id: int, location_id: int, day: date, reason: str | None = None) -> TimeOff:
    """Time off for the whole local `day` at a site (23, 24 or 25 real hours)."""
    loc = session.get(Location, location_id)
    if loc is None:
        raise Invalid({"location_id": "no such location"})
    start, end = day_bounds(day, get_zone(loc.timezone))
    return add_time_off(session, clinician_id, start, end, location_id=location_id, reason=reason)


def _commit_unique(session: Session, field: str, message: str) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(message, fields={field: message}) from exc
