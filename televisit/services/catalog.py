"""Locations, visit types, clinicians, weekly availability and time off."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from televisit.domain.errors import Conflict, DomainError, Invalid, NotFound, TimeOffConflicts
from televisit.domain.reminders import parse_policy, policy_json
from televisit.domain.timezones import day_bounds, get_zone, wall_to_instant
from televisit.models import Appointment, AvailabilityRule, Clinician, Location, TimeOff, User, VisitType
from televisit.services.booking import appointments as booking


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
    """Add a visit type (data already validated; an optional `reminder_policy` is checked here)."""
    if "reminder_policy" in data:
        data = {**data, "reminder_policy": checked_policy(data["reminder_policy"])}
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
    _link_user(session, c)
    return c


def _link_user(session: Session, c: Clinician) -> None:
    """A clinician user who signed up before this record (or its email) existed is linked now."""
    if c.email:
        session.execute(
            update(User)
            .where(User.email == c.email, User.role == "clinician", User.clinician_id.is_(None))
            .values(clinician_id=c.id)
        )
        session.commit()


def get_location(session: Session, location_id: int) -> Location:
    """The location or NotFound."""
    loc = session.get(Location, location_id)
    if loc is None:
        raise NotFound("No such location.")
    return loc


def update_location(session: Session, location_id: int, data: dict) -> Location:
    """Change a site (data validated like POST /locations)."""
    loc = get_location(session, location_id)
    for key, value in data.items():
        setattr(loc, key, value)
    _commit_unique(session, "name", "a location with this name exists")
    return loc


def get_visit_type(session: Session, visit_type_id: int) -> VisitType:
    """The visit type or NotFound."""
    vt = session.get(VisitType, visit_type_id)
    if vt is None:
        raise NotFound("No such visit type.")
    return vt


def checked_policy(raw: object) -> list | None:
    """A reminder policy in its stored form (None = the default), or Invalid naming `reminder_policy`."""
    if raw is None:
        return None
    try:
        return policy_json(parse_policy(raw))
    except ValueError as exc:
        raise Invalid({"reminder_policy": str(exc)}) from exc


def update_visit_type(session: Session, visit_type_id: int, data: dict) -> VisitType:
    """Change a visit type (data validated like POST /visit-types, plus an optional `reminder_policy`)."""
    vt = get_visit_type(session, visit_type_id)
    data = dict(data)
    if "reminder_policy" in data:
        data["reminder_policy"] = checked_policy(data["reminder_policy"])
    for key, value in data.items():
        setattr(vt, key, value)
    _commit_unique(session, "name", "a visit type with this name exists")
    return vt


def update_clinician(session: Session, clinician_id: int, data: dict) -> Clinician:
    """Change a clinician's details, licences and visit types (data validated like POST /clinicians)."""
    c = get_clinician(session, clinician_id)
    data = dict(data)
    if "visit_type_ids" in data:
        c.visit_types = _visit_types(session, data.pop("visit_type_ids"))
    for key, value in data.items():
        setattr(c, key, value)
    _commit_unique(session, "email", "a clinician with this email exists")
    _link_user(session, c)
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


KEEP, CANCEL = "keep", "cancel"
CHOICES = (KEEP, CANCEL)


@dataclass(frozen=True)
class OverVisits:
    """What becomes of active visits (booked, checked in, in the visit) inside new time off."""

    choice: str | None = None  # None: refuse (TimeOffConflicts lists them); KEEP them; CANCEL them, patients told
    seen: frozenset[int] | None = None  # the visits the person chose for: any other found refuses again
    now: datetime | None = None  # visits that ended by then do not count (None: all do)
    on_cancel: Callable[[Appointment], None] | None = None  # run for each visit cancelled, in its transaction


@dataclass(frozen=True)
class NewTimeOff:
    """The time off written, and the visits inside it (kept or cancelled as chosen)."""

    off: TimeOff
    affected: list[int]


def add_time_off(
    session: Session,
    clinician_id: int,
    start: datetime,
    end: datetime,
    *,
    location_id: int | None = None,
    reason: str | None = None,
    over: OverVisits = OverVisits(),
) -> NewTimeOff:
    """Record time off between two instants; visits inside it are kept or cancelled as `over` says, in the same
    transaction (all or nothing). TimeOffConflicts (nothing written) when there are some and no choice."""
    get_clinician(session, clinician_id)
    if not start < end:
        raise Invalid({"end": "must be after start"})
    if location_id is not None and session.get(Location, location_id) is None:
        raise Invalid({"location_id": "no such location"})
    try:
        affected = _settle_visits(session, clinician_id, start, end, over, reason)
    except DomainError:
        session.rollback()  # release the visits' locks; nothing was written
        raise
    off = TimeOff(clinician_id=clinician_id, start_at=start, end_at=end, location_id=location_id, reason=reason)
    session.add(off)
    session.commit()
    return NewTimeOff(off, affected)


def _settle_visits(
    session: Session, clinician_id: int, start: datetime, end: datetime, over: OverVisits, reason: str | None
) -> list[int]:
    """The active visits inside [start, end), cancelled when so chosen; TimeOffConflicts when not chosen for."""
    appts = booking.active_between(session, clinician_id, start, end, now=over.now, lock=True)
    ids = [a.id for a in appts]
    if ids and (over.choice is None or (over.seen is not None and not set(ids) <= over.seen)):
        raise TimeOffConflicts(ids)
    if over.choice == CANCEL and appts:
        if over.now is None:
            raise ValueError("cancelling visits needs the time now")
        why = f"Clinician time off: {reason}" if reason else "Clinician time off"
        booking.cancel_within(session, appts, now=over.now, reason=why, each=over.on_cancel)
    return ids


def add_day_off(
    session: Session, clinician_id: int, location_id: int, day: date, reason=None, *, over: OverVisits = OverVisits()
) -> NewTimeOff:
    """Time off for the whole local `day` at a site (23, 24 or 25 real hours)."""
    start, end = day_bounds(day, get_zone(_site(session, location_id).timezone))
    return add_time_off(session, clinician_id, start, end, location_id=location_id, reason=reason, over=over)


def add_local_time_off(
    session: Session,
    clinician_id: int,
    location_id: int,
    start: tuple[date, int],
    end: tuple[date, int],
    reason=None,
    *,
    over: OverVisits = OverVisits(),
) -> NewTimeOff:
    """Time off between two wall times (local date, minute of the day) at a site."""
    zone = get_zone(_site(session, location_id).timezone)
    lo, hi = wall_to_instant(*start, zone), wall_to_instant(*end, zone, closing=True)
    return add_time_off(session, clinician_id, lo, hi, location_id=location_id, reason=reason, over=over)


def _site(session: Session, location_id: int) -> Location:
    loc = session.get(Location, location_id)
    if loc is None:
        raise Invalid({"location_id": "no such location"})
    return loc


def list_time_off(session: Session, clinician_id: int, *, since: datetime) -> list[TimeOff]:
    """The clinician's time off that ends after `since`, soonest first."""
    stmt = select(TimeOff).where(TimeOff.clinician_id == clinician_id, TimeOff.end_at > since)
    return list(session.scalars(stmt.order_by(TimeOff.start_at, TimeOff.id)))


def delete_time_off(session: Session, clinician_id: int, time_off_id: int) -> None:
    """Remove one span of time off (NotFound when it is not this clinician's)."""
    off = session.get(TimeOff, time_off_id)
    if off is None or off.clinician_id != clinician_id:
        raise NotFound("No such time off.")
    session.delete(off)
    session.commit()


def _commit_unique(session: Session, field: str, message: str) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(message, fields={field: message}) from exc
