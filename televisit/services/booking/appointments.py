"""Book, reschedule, cancel and read appointments. The database is the last guard against overlap."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from televisit import metrics
from televisit.domain import appointments as st
from televisit.domain.availability import VisitSpec
from televisit.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    PartOfWhole,
    SlotUnavailable,
)
from televisit.domain.roles import PATIENT, Actor
from televisit.models import Appointment, Reservation
from televisit.services import outbox
from televisit.services.booking import cap, freed, rows
from televisit.services.booking import snapshot as catalog_snapshot
from televisit.services.booking.check import SlotRequest, checked_slot

OVERLAP_MARKERS = ("reservations_no_overlap", "slot_unavailable", "23P01")


@dataclass(frozen=True)
class BookingRequest:
    """A request to book `slot` for `patient_id` (None: the acting patient)."""

    slot: SlotRequest
    patient_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class MoveRequest:
    """A reschedule: the new start, optionally another clinician, site or mode."""

    start: datetime
    clinician_id: int | None = None
    location_id: int | None = None
    mode: str | None = None
    patient_region: str | None = None


def patient_id_for(actor: Actor, patient_id: int | None) -> int:
    """Whom the actor may book for: a patient only themself; staff anyone they name."""
    if actor.role == "patient":
        if patient_id not in (None, actor.patient_id):
            raise Forbidden("A patient can book only for themself.")
        patient_id = actor.patient_id
    elif not actor.is_booker:
        raise Forbidden("Only patients, schedulers and admins can book.")
    if patient_id is None:
        raise Invalid({"patient_id": "required when booking for a patient"})
    return patient_id


def is_overlap(exc: IntegrityError) -> bool:
    """True when the database refused a write because it would overlap another appointment."""
    text = f"{exc.orig!r} {getattr(exc.orig, 'sqlstate', '')}"
    return any(marker in text for marker in OVERLAP_MARKERS)


@contextmanager
def overlap_refused(session: Session) -> Iterator[None]:
    """Roll back on a database error; an overlap the database refused becomes SlotUnavailable ("taken").
    A refusal raised inside (a step of a clinic day that cannot be had) rolls back too: nothing half-written
    is left in the session for a later commit to keep."""
    try:
        yield
    except DomainError:
        session.rollback()
        raise
    except IntegrityError as exc:
        session.rollback()
        if is_overlap(exc):
            raise SlotUnavailable("That time has just been taken.", reason="taken") from exc
        raise
    except DBAPIError as exc:
        # Two conflicting inserts at the same instant can deadlock on the exclusion index: PostgreSQL
        # aborts one of them, whose time the other has just taken.
        session.rollback()
        if getattr(exc.orig, "sqlstate", None) == "40P01":
            raise SlotUnavailable("That time has just been taken.", reason="taken") from exc
        raise


def _commit(session: Session, *hooks) -> None:
    """Flush (the database checks overlap here), run `hooks` in the same transaction, commit."""
    with overlap_refused(session):
        session.flush()
        for hook in hooks:
            hook()
        session.commit()


def _commit_keeping(session: Session) -> None:
    """Commit without expiring: every attribute of the new row was written by us, so nothing is read back."""
    inner = session() if callable(session) else session  # a scoped session or a plain one
    before, inner.expire_on_commit = inner.expire_on_commit, False
    try:
        inner.commit()
    finally:
        inner.expire_on_commit = before


def _place(appt: Appointment, visit: VisitSpec, start: datetime) -> None:
    appt.start_at, appt.end_at = start, start + visit.duration
    appt.block_start, appt.block_end = visit.blocked(start)


@metrics.counts_bookings("appointment")
def book(
    session: Session,
    req: BookingRequest,
    *,
    actor: Actor,
    now: datetime,
    before_commit: Callable[[Appointment], None] | None = None,
    max_upcoming: int = cap.DEFAULT_MOST,
    hold_until: datetime | None = None,
) -> Appointment:
    """Book a slot; SlotUnavailable (409), BookingLimit (409) or Invalid (422) say why not; nothing is
    written then. A patient booking for themself holds at most `max_upcoming` upcoming self-booked visits.
    `hold_until`: a hold instead (services/booking/holds.py): status `pending` until then, no message planned.

    `before_commit(appt)` runs in the booking's transaction, after its messages are planned. This is the
    busiest write path, so it is lean: a query for the patient (with the catalog's stamp), one for the
    clinician's busy time, an INSERT each for the appointment, its messages and the audit event, a commit
    (and, for a patient's own booking, the count of their upcoming ones)."""
    self_service = actor.role == PATIENT
    who = rows.patient_for(session, patient_id_for(actor, req.patient_id), lock=self_service)
    if self_service:
        cap.check(session, who.patient.id, now=now, most=max_upcoming)
    snap = catalog_snapshot.current(session, who.stamp)
    slot_req = replace(req.slot, patient_region=req.slot.patient_region or who.patient.region)
    slot, visit = checked_slot(session, slot_req, now=now, snap=snap)
    site = outbox.Site(snap.zones[slot.location_id], snap.policies[slot.visit_type_id], who.patient.timezone)
    held = {} if hold_until is None else {"status": st.PENDING, "hold_expires_at": hold_until}
    with overlap_refused(session):
        region = slot_req.patient_region
        appt = insert_booked(session, slot, visit, who, region, req.reason, actor, now, site.zone, **held)
        if hold_until is None:
            outbox.on_booked(session, appt, now=now, channels=outbox.reachable(who.patient, who.phone), site=site)
        if before_commit:
            before_commit(appt)
        _commit_keeping(session)
    return appt


def insert_booked(session: Session, slot, visit: VisitSpec, who, region, reason, actor: Actor, now, zone, **part):
    """INSERT one booked appointment and what it holds (inside the caller's `overlap_refused`); `part`:
    `itinerary_id` or `course_id` when it is a step of a clinic day or a fraction of a course (or a hold's
    `status` and `hold_expires_at`)."""
    values = rows.new_values(slot, visit, who.patient.id, region, reason, actor.user_id, now) | part
    appt = rows.insert_loaded(session, values)
    rows.reserve_extras(session, appt.id, slot, visit)
    appt.site_timezone = zone
    return appt


def _hooks(plan: Callable[[], None], appt: Appointment, before_commit) -> list[Callable[[], None]]:
    """The messages, then the caller's own step, both inside the change's transaction."""
    return [plan] + ([lambda: before_commit(appt)] if before_commit else [])


def get_visible(session: Session, appointment_id: int, actor: Actor, *, lock: bool = False) -> Appointment:
    """The appointment if `actor` may see it; NotFound otherwise (no existence leak to patients)."""
    stmt = select(Appointment).where(Appointment.id == appointment_id)
    if lock:
        stmt = stmt.with_for_update(of=Appointment).execution_options(populate_existing=True)
    appt = session.scalars(stmt).first()
    if appt is None or not actor.may_see(appt.patient_id, appt.clinician_id, appt.attending_ids):
        raise NotFound("No such appointment.")
    return appt


def _require_changeable(appt: Appointment) -> None:
    if not st.can_change(appt.status):
        raise Conflict(f"This appointment is {appt.status.replace('_', ' ')} and can no longer be changed.")


def require_alone(appt: Appointment) -> None:
    """PartOfWhole when `appt` is a step of a clinic day or a visit of a course: those change as a whole
    (services/pathways), never one visit at a time through the single-visit paths."""
    if appt.itinerary_id or appt.course_id:
        raise PartOfWhole(itinerary_id=appt.itinerary_id, course_id=appt.course_id)


def reschedule(
    session: Session,
    appointment_id: int,
    move: MoveRequest,
    *,
    actor: Actor,
    now: datetime,
    before_commit: Callable[[Appointment], None] | None = None,
) -> Appointment:
    """Move an appointment (same id, sequence + 1); the new time is taken before the old is released."""
    appt = get_visible(session, appointment_id, actor, lock=True)
    slot_req = _move_slot(appt, move)
    slot, visit = checked_slot(session, slot_req, now=now, exclude_appointment_id=appt.id)
    freed.note_freed(session, appt, now=now)  # the old time, before it changes
    place_moved(session, appt, slot, visit, region=slot_req.patient_region, now=now)
    # one transaction: the move, what it holds, its messages and the freed time, or nothing
    hold = lambda: rows.reserve_extras(session, appt.id, slot, visit)  # after the flush that moves the lead's row
    _commit(session, hold, *_hooks(lambda: outbox.on_moved(session, appt, now=now), appt, before_commit))
    return appt


def _move_slot(appt: Appointment, move: MoveRequest) -> SlotRequest:
    """The slot `move` asks for (what it leaves out stays as it is); Conflict or PartOfWhole when `appt` cannot
    move on its own."""
    _require_changeable(appt)
    require_alone(appt)
    return SlotRequest(
        visit_type_id=appt.visit_type_id,
        clinician_id=move.clinician_id or appt.clinician_id,
        location_id=move.location_id or appt.location_id,
        mode=move.mode or appt.mode,
        start=move.start,
        patient_region=move.patient_region or appt.patient_region or appt.patient.region,
    )


def check_move(session: Session, appointment_id: int, move: MoveRequest, *, actor: Actor, now: datetime):
    """What `reschedule` would do, written nowhere: the appointment and the slot it would move to, or the same
    refusal `reschedule` would give (the one check both use)."""
    appt = get_visible(session, appointment_id, actor)
    slot, _ = checked_slot(session, _move_slot(appt, move), now=now, exclude_appointment_id=appt.id)
    return appt, slot


def place_moved(session: Session, appt: Appointment, slot, visit: VisitSpec, *, region, now: datetime) -> None:
    """Put `appt` at `slot` (sequence + 1), written at the next flush; what it held beyond its lead
    clinician is released now (the caller reserves it again after the flush: `rows.reserve_extras`)."""
    rows.release_extras(session, appt.id)
    appt.clinician_id, appt.location_id, appt.mode = slot.clinician_id, slot.location_id, slot.mode
    appt.clinician_ids, appt.resource_ids = list(slot.clinician_ids) or None, list(slot.resource_ids) or None
    appt.patient_region = region
    _place(appt, visit, slot.start)
    appt.sequence += 1
    appt.updated_at = now


def _mark_cancelled(session: Session, appt: Appointment, now: datetime, reason: str | None) -> list[Callable[[], None]]:
    """Cancel `appt` (locked); returns the steps to run in the same transaction after the flush."""
    _require_changeable(appt)
    freed.note_freed(session, appt, now=now)
    appt.status, appt.cancel_reason, appt.updated_at = st.CANCELLED, reason, now
    return [lambda: outbox.on_cancelled(session, appt, now=now), lambda: freed.forget(session, appt)]


def cancel(
    session: Session,
    appointment_id: int,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    before_commit: Callable[[Appointment], None] | None = None,
) -> Appointment:
    """Cancel a booked appointment; its time becomes free at once."""
    appt = get_visible(session, appointment_id, actor, lock=True)
    require_alone(appt)
    also = [lambda: before_commit(appt)] if before_commit else []
    _commit(session, *_mark_cancelled(session, appt, now, reason), *also)
    return appt


def active_between(
    session: Session, clinician_id: int, start: datetime, end: datetime, *, now: datetime | None, lock: bool = False
) -> list[Appointment]:
    """The clinician's active visits (booked, checked in, in the visit) meeting [start, end) that have not ended
    by `now` (None: whenever they are), by start; `lock` holds them until the transaction ends."""
    stmt = select(Appointment).where(
        Appointment.clinician_id == clinician_id,
        Appointment.status.in_(st.ACTIVE),
        Appointment.start_at < end,
        Appointment.end_at > start,
    )
    if now is not None:
        stmt = stmt.where(Appointment.end_at > now)
    if lock:
        stmt = stmt.with_for_update(of=Appointment).execution_options(populate_existing=True)
    return list(session.scalars(stmt.order_by(Appointment.start_at, Appointment.id)))


def cancel_within(
    session: Session,
    appts: list[Appointment],
    *,
    now: datetime,
    reason: str | None,
    each: Callable[[Appointment], None] | None = None,
) -> None:
    """Cancel each of `appts` (locked) as `cancel` does, patients told, inside the caller's transaction: the
    caller commits, or rolls back and nothing happened. Conflict when one is already under way. `each(appt)`
    runs after each cancellation, in the same transaction."""
    for appt in appts:
        if appt.status != st.BOOKED:
            raise Conflict(
                f"The visit with {appt.patient.name} is already under way ({appt.status.replace('_', ' ')}) "
                "and cannot be cancelled. Keep the visits, or change the time off. Nothing was saved.",
                fields={"affected": "a visit under way cannot be cancelled"},
            )
        hooks = _mark_cancelled(session, appt, now, reason)
        session.flush()
        for hook in hooks:
            hook()
        if each:
            each(appt)


@dataclass(frozen=True)
class AppointmentFilter:
    """Filters for listing; `lo`/`hi` are instants bounding the start."""

    lo: datetime | None = None
    hi: datetime | None = None
    clinician_id: int | None = None
    location_id: int | None = None
    patient_id: int | None = None
    status: str | None = None
    statuses: tuple[str, ...] | None = None  # any of these (None: any status)


def list_visible(session: Session, f: AppointmentFilter, *, actor: Actor) -> list[Appointment]:
    """Appointments `actor` may see, filtered, by start."""
    return list(session.scalars(visible(f, actor=actor)))


def visible(f: AppointmentFilter, *, actor: Actor):
    """The statement of `list_visible` (a caller may page or count it)."""
    stmt = select(Appointment).order_by(Appointment.start_at, Appointment.id)
    if actor.role == "patient":
        stmt = stmt.where(Appointment.patient_id == actor.patient_id)
    elif actor.role == "clinician":  # the visits they attend, joint visits included
        attends = select(Reservation.appointment_id).where(Reservation.clinician_id == actor.clinician_id)
        stmt = stmt.where(Appointment.id.in_(attends))
    conditions = [
        (f.lo, lambda v: Appointment.start_at >= v),
        (f.hi, lambda v: Appointment.start_at < v),
        (f.clinician_id, lambda v: Appointment.clinician_id == v),
        (f.location_id, lambda v: Appointment.location_id == v),
        (f.patient_id, lambda v: Appointment.patient_id == v),
        (f.status, lambda v: Appointment.status == v),
        (f.statuses, lambda v: Appointment.status.in_(v)),
    ]
    for value, cond in conditions:
        if value is not None:
            stmt = stmt.where(cond(value))
    return stmt
