"""Planning messages: rows in the outbox, written in the same transaction as the booking change.

Every row has a unique key per (appointment, rule, channel, appointment sequence), so planning twice,
two jobs processes or a restart can never create a second copy of the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from televisit.domain import lateness, reminders
from televisit.domain.timezones import get_zone
from televisit.models import Appointment, Location, OutboxMessage, Patient, PhoneState, VisitType

PENDING, SENDING, UNCONFIRMED, SENT = "pending", "sending", "unconfirmed", "sent"
FAILED, WITHDRAWN, SKIPPED = "failed", "withdrawn", "skipped"
BOOKING_NOTICES = ("confirmation", "moved", "cancelled")


def key_for(appointment_id: int, rule: str, channel: str, sequence: int) -> str:
    """The unique key of an appointment message."""
    return f"a{appointment_id}:{rule}:{channel}:s{sequence}"


def channels_for(session: Session, patient: Patient) -> frozenset[str]:
    """Channels the patient can be reached on now (opt-ins, an address, a number not opted out/invalid)."""
    texts = patient.phone and patient.sms_opt_in
    return reachable(patient, session.get(PhoneState, patient.phone) if texts else None)


def reachable(patient: Patient, phone: PhoneState | None) -> frozenset[str]:
    """`channels_for`, given the patient's number's state (None: no row, so nothing known against it)."""
    out = set()
    if patient.email and patient.email_opt_in:
        out.add(reminders.EMAIL)
    if patient.phone and patient.sms_opt_in and (phone is None or not (phone.opted_out or phone.invalid)):
        out.add(reminders.SMS)
    return frozenset(out)


def enqueue(
    session: Session,
    *,
    key: str,
    rule: str,
    channel: str,
    due: datetime,
    now: datetime,
    appointment: Appointment | None = None,
    patient_id: int | None = None,
    payload: str | None = None,
    sequence: int = 0,
    fresh: bool = False,
) -> OutboxMessage | None:
    """Add one pending message unless its key exists already (then nothing happens).

    `fresh`: the caller knows the key cannot exist yet (a new appointment sequence), so the look-up is
    skipped; the unique index still refuses a duplicate.
    """
    if not fresh and session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None
    msg = OutboxMessage(
        key=key,
        rule=rule,
        channel=channel,
        due_at=due,
        next_attempt_at=due,
        status=PENDING,
        attempts=0,
        appointment_id=appointment.id if appointment else None,
        patient_id=appointment.patient_id if appointment else patient_id,
        sequence=appointment.sequence if appointment else sequence,
        payload=payload,
        created_at=now,
    )
    session.add(msg)
    return msg


def _row(appt: Appointment, rule: str, channel: str, due: datetime, now: datetime) -> dict:
    return {
        "key": key_for(appt.id, rule, channel, appt.sequence),
        "rule": rule,
        "channel": channel,
        "due_at": due,
        "next_attempt_at": due,
        "status": PENDING,
        "attempts": 0,
        "appointment_id": appt.id,
        "patient_id": appt.patient_id,
        "sequence": appt.sequence,
        "created_at": now,
    }


@dataclass(frozen=True)
class Site:
    """What reminder planning needs beyond the appointment: the site's zone, the visit type's reminder
    policy and the patient's zone (a booking has them at hand; otherwise they are read)."""

    zone: str
    policy: list | None
    patient_zone: str


def _site(session: Session, appt: Appointment) -> Site:
    zone, policy = _site_and_policy(session, appt)
    return Site(zone, policy, appt.patient.timezone)


def _site_and_policy(session: Session, appt: Appointment) -> tuple[str, str | None]:
    """The site's zone and the visit type's reminder policy, in one round trip.

    The site is loaded as an entity and attached to `appt` (as loaded, not as a change), so reading
    `appt.location` later costs no query.
    """
    params = {"visit_type_id": appt.visit_type_id, "location_id": appt.location_id}
    location, policy = session.execute(_site_and_policy_stmt(), params).one()
    set_committed_value(appt, "location", location)
    return location.timezone, policy


@lru_cache(maxsize=1)
def _site_and_policy_stmt():
    policy = select(VisitType.reminder_policy).where(VisitType.id == bindparam("visit_type_id")).scalar_subquery()
    return select(Location, policy).where(Location.id == bindparam("location_id"))


def _plan(
    session: Session,
    appt: Appointment,
    notice: str | None,
    now: datetime,
    *,
    remind: bool = True,
    channels: frozenset[str] | None = None,
    site: Site | None = None,
) -> None:
    """The `notice` now on every reachable channel, then (when `remind`) the policy's reminders.

    Every key is new (a notice or reminder of this appointment sequence cannot exist yet), so the
    rows go in as one INSERT; the unique index still refuses a duplicate.
    """
    channels = channels_for(session, appt.patient) if channels is None else channels
    rows = [_row(appt, notice, channel, now, now) for channel in sorted(channels)] if notice else []
    if remind:
        site = site or _site(session, appt)
        planned = reminders.plan(
            appt.start_at,
            rules=reminders.parse_policy(site.policy),
            site_zone=get_zone(site.zone),
            patient_zone=get_zone(site.patient_zone),
            now=now,
            channels=channels,
        )
        rows += [_row(appt, p.rule, p.channel, p.due, now) for p in planned]
    if rows:
        session.connection().execute(_INSERT, rows)  # Core executemany: no ORM bookkeeping for new rows


_INSERT = insert(OutboxMessage.__table__)


def withdraw_pending(session: Session, appointment_id: int, reason: str = lateness.VISIT_CHANGED) -> int:
    """Withdraw every message of the appointment not yet sent, recording `reason`; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.appointment_id == appointment_id, OutboxMessage.status == PENDING)
        .values(status=WITHDRAWN, withdrawn_reason=reason)
    )
    return result.rowcount or 0


def on_booked(
    session: Session,
    appt: Appointment,
    *,
    now: datetime,
    channels: frozenset[str] | None = None,
    site: Site | None = None,
) -> None:
    """Confirmation now (email with invitation, SMS) and the reminders of the policy (`channels`, `site`:
    known already)."""
    session.flush()  # the appointment needs its id for the keys
    _plan(session, appt, "confirmation", now, channels=channels, site=site)


def reminders_only(
    session: Session,
    appt: Appointment,
    *,
    now: datetime,
    channels: frozenset[str] | None = None,
    site: Site | None = None,
) -> None:
    """The policy's reminders, without a notice: a later fraction of a course, whose booking the first
    fraction's confirmation already told."""
    session.flush()
    _plan(session, appt, None, now, channels=channels, site=site)


def on_moved_quietly(session: Session, appt: Appointment, *, now: datetime) -> None:
    """Withdraw what was pending for the old time and plan the new reminders, without a notice."""
    withdraw_pending(session, appt.id)
    _plan(session, appt, None, now)


def on_moved(session: Session, appt: Appointment, *, now: datetime) -> None:
    """Withdraw what was pending for the old time; tell the new time; plan its reminders."""
    withdraw_pending(session, appt.id, lateness.VISIT_MOVED)
    _plan(session, appt, "moved", now)


def on_cancelled(session: Session, appt: Appointment, *, now: datetime) -> None:
    """Withdraw pending reminders; send the cancellation (email with METHOD:CANCEL, SMS)."""
    withdraw_pending(session, appt.id, lateness.VISIT_CANCELLED)
    _plan(session, appt, "cancelled", now, remind=False)
