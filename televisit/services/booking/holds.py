"""Holds: a time kept for one patient for a few minutes while a client finishes booking (IHE ITI Scheduling's
`$hold`, then `$book`), enforced by the database like a booking.

Policy (docs/fhir-holds.md):
- A hold is an appointment with status `pending` and `hold_expires_at` (now + `TELEVISIT_HOLD_MINUTES`,
  default 10), made by the booking path itself (`appointments.book(..., hold_until=...)`: the same check, the
  same patient cap, the same INSERT) but planning no message. Its reservations hold time (migration 0013), so
  the database refuses any overlapping booking or hold (409) and the slot search no longer offers that time.
- A hold is no visit: it is never reminded, never checked in, and not counted among the patient's upcoming
  visits (its booking is); staff see it as "held until <time>" wherever busy time is shown. A patient holds
  at most MAX_OWN_HOLDS times at once (else anyone could keep a clinic's day from everyone, ten minutes at a
  time).
- Booking a hold (`confirm`) turns the same row `booked` (its reservations stay; `hold_expires_at` is cleared)
  and plans its messages exactly as a booking does.
- Expired holds are released by the jobs' sweep every minute (`expire`: status `cancelled`, reason "hold
  expired", an audit event each); `$hold` and `$book` run the same sweep first, in its own transaction.
- Booking a hold runs the booking check again on the same row (time off or a closure since refuses it); one
  that expired is booked only if its time is still free, otherwise 409 saying the hold expired and the time
  was taken.
- A hold cancelled through `$book` is released quietly (the patient was never told of it).
A hold never booked keeps `hold_expires_at`: that is how the patient's own pages leave such rows out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.errors import BookingLimit, Conflict, SlotUnavailable
from televisit.domain.roles import PATIENT, Actor
from televisit.models import Appointment
from televisit.services import audit, outbox
from televisit.services.booking import appointments as booking
from televisit.services.booking import cap, rows
from televisit.services.booking.check import SlotRequest, checked_slot

DEFAULT_MINUTES = 10
MAX_OWN_HOLDS = 3
HOLD_EXPIRED, HOLD_RELEASED = "hold expired", "hold released"
EXPIRED_TAKEN = "Your hold on this time expired and the time has since been taken. Please choose another time."
SWEEP = audit.Context(user_id=None, role="system", channel="job")  # the expiry is the system's doing
_TABLE = Appointment.__table__


def expire(session: Session, *, now: datetime) -> int:
    """Release every hold whose time is up, with an audit event each, and commit; returns how many.

    Rows another transaction holds (a sweep running at the same time, a hold being booked) are skipped, not
    waited for (PostgreSQL's SKIP LOCKED; SQLite runs one writer at a time): no two sweeps deadlock."""
    a = _TABLE.c
    due = select(a.id).where(a.status == st.PENDING, a.hold_expires_at <= now).with_for_update(skip_locked=True)
    stmt = (
        update(_TABLE)
        .where(a.id.in_(due.scalar_subquery()), a.status == st.PENDING)
        .values(status=st.CANCELLED, cancel_reason=HOLD_EXPIRED, updated_at=now)
        .returning(a.id, a.patient_id)
    )
    released = session.connection().execute(stmt).all()
    for appointment_id, patient_id in released:
        access = audit.Access("appointment.hold_expired", "appointment", appointment_id, 200, patient_id=patient_id)
        audit.stage(session, SWEEP, access, now=now)
    session.commit()
    return len(released)


def hold(
    session: Session,
    req: booking.BookingRequest,
    *,
    actor: Actor,
    now: datetime,
    minutes: int = DEFAULT_MINUTES,
    before_commit: Callable[[Appointment], None] | None = None,
    max_upcoming: int = cap.DEFAULT_MOST,
) -> Appointment:
    """Hold `req`'s slot for `minutes` (a pending appointment): the booking's own check and refusals."""
    expire(session, now=now)
    if actor.role == PATIENT:
        _limit_own_holds(session, actor.patient_id)
    until = now + timedelta(minutes=minutes)
    return booking.book(
        session, req, actor=actor, now=now, before_commit=before_commit, max_upcoming=max_upcoming, hold_until=until
    )


def _limit_own_holds(session: Session, patient_id: int) -> None:
    """BookingLimit when the patient holds MAX_OWN_HOLDS times already (after the sweep: all of them live)."""
    a = _TABLE.c
    live = session.scalar(select(func.count()).where(a.patient_id == patient_id, a.status == st.PENDING))
    if live >= MAX_OWN_HOLDS:
        raise BookingLimit(
            f"You are holding {live} times already, the most at once. Book one of them, or let one go, first."
        )


def book(
    session: Session,
    req: booking.BookingRequest,
    *,
    actor: Actor,
    now: datetime,
    before_commit: Callable[[Appointment], None] | None = None,
    max_upcoming: int = cap.DEFAULT_MOST,
) -> Appointment:
    """Book `req`'s slot straight away (no hold first), once expired holds have let go of their time."""
    expire(session, now=now)
    return booking.book(session, req, actor=actor, now=now, before_commit=before_commit, max_upcoming=max_upcoming)


def _require_hold(appt: Appointment) -> None:
    """Conflict unless `appt` is a hold still to book: pending, or released by the sweep when it expired."""
    if appt.status == st.PENDING or (appt.status == st.CANCELLED and appt.cancel_reason == HOLD_EXPIRED):
        return
    if appt.status == st.BOOKED:
        raise Conflict("This appointment is booked already.")
    raise Conflict(f"This appointment is {st.status_words(appt.status)}: it is not a hold that can be booked.")


def _slot_of(appt: Appointment) -> SlotRequest:
    """The hold's own slot, parties as held, for the booking check."""
    return SlotRequest(
        visit_type_id=appt.visit_type_id,
        clinician_id=appt.clinician_id,
        location_id=appt.location_id,
        mode=appt.mode,
        start=appt.start_at,
        patient_region=appt.patient_region or appt.patient.region,
        clinician_ids=tuple(appt.clinician_ids) if appt.clinician_ids else None,
        resource_ids=tuple(appt.resource_ids) if appt.resource_ids else None,
    )


def confirm(
    session: Session,
    appointment_id: int,
    *,
    actor: Actor,
    now: datetime,
    before_commit: Callable[[Appointment], None] | None = None,
    max_upcoming: int = cap.DEFAULT_MOST,
) -> Appointment:
    """Book a hold (the same row, now `booked`, its messages planned), after the booking check again (its own
    reservations aside): time off or a closure since then refuses it. While the hold lasts, the check reads
    the clock as when it was made (a hold taken just inside the notice stays bookable); a hold that expired
    is booked only if the check and the database find its time free now (409 EXPIRED_TAKEN otherwise)."""
    expire(session, now=now)
    appt = booking.get_visible(session, appointment_id, actor, lock=True)
    _require_hold(appt)
    booking.patient_id_for(actor, appt.patient_id)  # a patient books only their own; clinicians never
    if actor.role == PATIENT:
        rows.patient_for(session, appt.patient_id, lock=True)
        cap.check(session, appt.patient_id, now=now, most=max_upcoming)
    lapsed = appt.status == st.CANCELLED or appt.hold_expires_at <= now
    try:
        with booking.overlap_refused(session):
            as_of = now if lapsed else appt.created_at
            checked_slot(session, _slot_of(appt), now=as_of, exclude_appointment_id=appt.id)
            appt.status, appt.hold_expires_at, appt.cancel_reason, appt.updated_at = st.BOOKED, None, None, now
            session.flush()  # the trigger makes its reservations hold again: the database refuses an overlap here
            outbox.on_booked(session, appt, now=now)
            if before_commit:
                before_commit(appt)
            session.commit()
    except SlotUnavailable as exc:
        if lapsed:
            raise SlotUnavailable(EXPIRED_TAKEN, reason=exc.reason or "taken") from exc
        raise
    return appt


def cancel(
    session: Session,
    appointment_id: int,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    before_commit: Callable[[Appointment], None] | None = None,
) -> Appointment:
    """Cancel as IHE's `$book` with status `cancelled` does: a hold is released quietly (no message: the
    patient was never told of it); any other appointment is cancelled as `/api/v1` cancels it."""
    appt = booking.get_visible(session, appointment_id, actor, lock=True)
    if appt.status != st.PENDING:
        return booking.cancel(session, appointment_id, actor=actor, now=now, reason=reason, before_commit=before_commit)
    appt.status, appt.cancel_reason, appt.updated_at = st.CANCELLED, reason or HOLD_RELEASED, now
    with booking.overlap_refused(session):
        session.flush()
        if before_commit:
            before_commit(appt)
        session.commit()
    return appt
