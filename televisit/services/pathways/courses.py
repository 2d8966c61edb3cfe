"""Treatment courses (radiosurgery fractions): `count` visits at the same local wall time on the pattern's
days, with the same clinician at one site, booked, moved and cancelled whole.

Options come from the slot search itself (one search over the whole reach of the courses asked for), so
every fraction offered can be booked: a first start is offered when the same wall time is free on every
later day of its course. Booking checks each fraction with the booking check and writes none when any
fails, naming the dates that failed. The patient gets one confirmation (it lists every date) and the
reminders of each fraction: a course is days apart, so each visit is worth its own reminder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit import metrics
from televisit.domain import appointments as st
from televisit.domain.availability import Slot
from televisit.domain.errors import Conflict, Invalid, NotFound, SlotUnavailable
from televisit.domain.pathways import course_days, is_course_start
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone, local_date, wall_minute, wall_time_exists, wall_to_instant
from televisit.models import Appointment, Course
from televisit.services import outbox
from televisit.services.booking import appointments as booking
from televisit.services.booking import freed, rows
from televisit.services.booking import snapshot as catalog_snapshot
from televisit.services.booking.check import SlotRequest, checked_slot, unavailable
from televisit.services.booking.search import SlotQuery, search
from televisit.services.pathways import whole

BOOKED, CANCELLED = "booked", "cancelled"


@dataclass(frozen=True)
class CourseSpec:
    """What is given as a course: visit type, clinician, site, how many fractions, on which days."""

    visit_type_id: int
    clinician_id: int
    location_id: int
    count: int
    pattern: str


@dataclass(frozen=True)
class Where:
    """The site's zone, its closed days and the mode a course is given in."""

    zone: ZoneInfo
    closed: frozenset[date]
    mode: str


def _where(snap, spec: CourseSpec) -> Where:
    visit, zone = snap.visits.get(spec.visit_type_id), snap.zones.get(spec.location_id)
    fields = {}
    if visit is None:
        fields["visit_type_id"] = "no such visit type"
    if zone is None:
        fields["location_id"] = "no such location"
    if spec.clinician_id not in snap.clinicians:
        fields["clinician_id"] = "no such clinician"
    if fields:
        raise Invalid(fields)
    closed = frozenset(d for loc, d in snap.closures if loc == spec.location_id)
    mode = "in_person" if "in_person" in visit.modes else sorted(visit.modes)[0]
    return Where(get_zone(zone), closed, mode)


def options(
    session: Session, spec: CourseSpec, first: date, last: date, zone: ZoneInfo, *, now: datetime, limit: int | None
) -> list[list[Slot]]:
    """Courses whose first fraction starts on local dates `first`..`last` in `zone`, earliest first."""
    snap = catalog_snapshot.current(session)
    where = _where(snap, spec)
    reach = course_days(last + timedelta(days=1), spec.count, spec.pattern, where.closed)[-1]
    query = SlotQuery(
        spec.visit_type_id,
        first - timedelta(days=1),
        reach,
        where.zone,
        spec.location_id,
        spec.clinician_id,
        where.mode,
    )
    free = search(session, query, now=now)
    by_wall = {(local_date(s.start, where.zone), wall_minute(s.start, where.zone)): s for s in free}
    found = []
    for slot in free:
        if limit is not None and len(found) >= limit:
            break
        if first <= local_date(slot.start, zone) <= last:
            course = _course_from(slot, spec, where, by_wall)
            if course:
                found.append(course)
    return found


def _course_from(slot: Slot, spec: CourseSpec, where: Where, by_wall: dict) -> list[Slot] | None:
    """The course starting with `slot` when every later fraction's same wall time is free, else None."""
    day, minute = local_date(slot.start, where.zone), wall_minute(slot.start, where.zone)
    if not is_course_start(day, where.closed):
        return None
    fractions = [by_wall.get((d, minute)) for d in course_days(day, spec.count, spec.pattern, where.closed)]
    return None if any(f is None for f in fractions) else fractions


@dataclass(frozen=True)
class CourseRequest:
    """A course to book: its spec, for whom, the first fraction's start, and resources asked for."""

    spec: CourseSpec
    patient_id: int
    first_start: datetime
    resource_ids: tuple[int, ...] | None = None


def _fraction_requests(where: Where, req: CourseRequest, region: str | None) -> list[tuple[date, SlotRequest | None]]:
    """Each fraction's day and slot at the first one's wall time (None: that wall time does not exist that day)."""
    day, minute = local_date(req.first_start, where.zone), wall_minute(req.first_start, where.zone)
    spec = req.spec
    if not is_course_start(day, where.closed):
        msg = "A course starts on an open weekday at the site."
        raise SlotUnavailable(msg, reason="closed", extra={"dates": [day.isoformat()]})
    out = []
    for d in course_days(day, spec.count, spec.pattern, where.closed):
        start = wall_to_instant(d, minute, where.zone) if wall_time_exists(d, minute, where.zone) else None
        r = SlotRequest(spec.visit_type_id, spec.clinician_id, spec.location_id, where.mode, start, region)
        out.append((d, None if start is None else replace(r, resource_ids=req.resource_ids)))
    return out


def _checked(session: Session, reqs: list, where: Where, now: datetime, snap, exclude=None):
    """Each fraction checked; SlotUnavailable naming every date that failed (nothing is written)."""
    checked, failed, reasons = [], [], []
    for i, (day, r) in enumerate(reqs):
        try:
            if r is None:
                raise unavailable("outside_hours")  # that wall time does not exist that day (a DST gap)
            checked.append(checked_slot(session, r, now=now, snap=snap, exclude_appointment_id=(exclude or {}).get(i)))
        except SlotUnavailable as exc:
            failed.append(day.isoformat())
            reasons.append(exc.reason)
    if failed:
        message = f"These dates cannot be booked at that time: {', '.join(failed)}."
        raise SlotUnavailable(message, reason=reasons[0], extra={"dates": failed})
    return checked


@metrics.counts_bookings("course")
def book(session: Session, req: CourseRequest, *, actor: Actor, now: datetime, before_commit=None) -> Course:
    """Book every fraction of a course, or none (409 with the `dates` that failed)."""
    who = rows.patient_for(session, booking.patient_id_for(actor, req.patient_id))
    snap = catalog_snapshot.current(session, who.stamp)
    where = _where(snap, req.spec)
    checked = _checked(session, _fraction_requests(where, req, who.patient.region), where, now, snap)
    spec = req.spec
    course = Course(
        patient_id=who.patient.id,
        visit_type_id=spec.visit_type_id,
        clinician_id=spec.clinician_id,
        location_id=spec.location_id,
        count=spec.count,
        pattern=spec.pattern,
        status=BOOKED,
        created_by_user_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    with booking.overlap_refused(session):
        session.add(course)
        session.flush()
        zone = snap.zones[spec.location_id]
        appts = [
            booking.insert_booked(
                session, slot, visit, who, who.patient.region, None, actor, now, zone, course_id=course.id
            )
            for slot, visit in checked
        ]
        _plan_booked(
            session, appts, who, outbox.Site(zone, snap.policies[spec.visit_type_id], who.patient.timezone), now
        )
        if before_commit:
            before_commit(course)
        session.commit()
    return course


def _plan_booked(session: Session, appts: list[Appointment], who, site: outbox.Site, now: datetime) -> None:
    channels = outbox.reachable(who.patient, who.phone)
    outbox.on_booked(session, appts[0], now=now, channels=channels, site=site)
    for appt in appts[1:]:
        outbox.reminders_only(session, appt, now=now, channels=channels, site=site)


def get_visible(session: Session, course_id: int, actor: Actor, *, lock: bool = False) -> Course:
    """The course if `actor` may see it (its patient, the desk, its clinician); else NotFound."""
    stmt = select(Course).where(Course.id == course_id)
    if lock:
        stmt = stmt.with_for_update()
    course = session.scalars(stmt).first()
    if course is None or not actor.may_see(course.patient_id, course.clinician_id):
        raise NotFound("No such course.")
    return course


def fractions_of(session: Session, course_id: int, *, lock: bool = False) -> list[Appointment]:
    """The course's appointments in date order."""
    stmt = select(Appointment).where(Appointment.course_id == course_id).order_by(Appointment.start_at)
    if lock:
        stmt = stmt.with_for_update(of=Appointment)
    return list(session.scalars(stmt))


def _still_to_come(session: Session, course: Course) -> list[Appointment]:
    if course.status != BOOKED:
        raise Conflict("This course has been cancelled.")
    return [a for a in fractions_of(session, course.id, lock=True) if st.can_change(a.status)]


def reschedule(session: Session, course_id: int, first_start: datetime, *, actor: Actor, now: datetime) -> Course:
    """Move every fraction still to come to the new first start's wall time (same ids), all or nothing."""
    course = get_visible(session, course_id, actor, lock=True)
    appts = _still_to_come(session, course)
    if not appts:
        raise Conflict("Every fraction of this course has been given; there is nothing left to move.")
    snap = catalog_snapshot.current(session)
    spec = CourseSpec(course.visit_type_id, course.clinician_id, course.location_id, len(appts), course.pattern)
    where = _where(snap, spec)
    req = CourseRequest(spec, course.patient_id, first_start, tuple(appts[0].held_resource_ids) or None)
    reqs = _fraction_requests(where, req, appts[0].patient_region or appts[0].patient.region)
    with booking.overlap_refused(session):
        ids = [a.id for a in appts]
        whole.release(session, appts)
        checked = _checked(session, reqs, where, now, snap, exclude=dict(enumerate(ids)))
        region = reqs[0][1].patient_region if reqs[0][1] else None
        for appt, (slot, visit) in zip(appts, checked, strict=True):
            freed.note_freed(session, appt, now=now)
            booking.place_moved(session, appt, slot, visit, region=region, now=now)
        session.flush()
        for appt, (slot, visit) in zip(appts, checked, strict=True):
            rows.reserve_extras(session, appt.id, slot, visit)
        whole.hold_again(session, appts)
        outbox.on_moved(session, appts[0], now=now)
        for appt in appts[1:]:
            outbox.on_moved_quietly(session, appt, now=now)
        course.updated_at = now
        session.commit()
    return course


def cancel(session: Session, course_id: int, *, actor: Actor, now: datetime, reason: str | None = None) -> Course:
    """Cancel every fraction still to come; the patient is told once."""
    course = get_visible(session, course_id, actor, lock=True)
    appts = _still_to_come(session, course)
    whole.cancel_all(session, appts, now=now, reason=reason)
    course.status, course.updated_at = CANCELLED, now
    session.commit()
    return course
