"""Planning messages: rows in the outbox, written in the same transaction as the booking change.

Every row has a unique key per (appointment, rule, channel, appointment sequence), so planning twice,
two jobs processes or a restart can never create a second copy of the same message.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from televisit.domain import reminders
from televisit.domain.timezones import get_zone
from televisit.models import Appointment, OutboxMessage, Patient, PhoneState, VisitType

PENDING, SENDING, UNCONFIRMED, SENT = "pending", "sending", "unconfirmed", "sent"
FAILED, WITHDRAWN, SKIPPED = "failed", "withdrawn", "skipped"
BOOKING_NOTICES = ("confirmation", "moved", "cancelled")


def key_for(appointment_id: int, rule: str, channel: str, sequence: int) -> str:
    """The unique key of an appointment message."""
    return f"a{appointment_id}:{rule}:{channel}:s{sequence}"


def channels_for(session: Session, patient: Patient) -> frozenset[str]:
    """Channels the patient can be reached on now (opt-ins, an address, a number not opted out/invalid)."""
    out = set()
    if patient.email and patient.email_opt_in:
        out.add(reminders.EMAIL)
    if patient.phone and patient.sms_opt_in:
        state = session.get(PhoneState, patient.phone)
        if state is None or not (state.opted_out or state.invalid):
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


def policy_of(vt: VisitType) -> tuple[reminders.ReminderRule, ...]:
    """The visit type's reminder policy (the default 48 h email+SMS, 2 h SMS when unset)."""
    return reminders.parse_policy(vt.reminder_policy)


def _notice(session: Session, appt: Appointment, rule: str, now: datetime) -> None:
    for channel in sorted(channels_for(session, appt.patient)):
        enqueue(
            session,
            key=key_for(appt.id, rule, channel, appt.sequence),
            rule=rule,
            channel=channel,
            due=now,
            now=now,
            appointment=appt,
            fresh=True,  # a notice for this sequence cannot exist yet
        )


def _reminders(session: Session, appt: Appointment, now: datetime) -> None:
    vt = session.get(VisitType, appt.visit_type_id)
    planned = reminders.plan(
        appt.start_at,
        rules=policy_of(vt),
        site_zone=get_zone(appt.location.timezone),
        patient_zone=get_zone(appt.patient.timezone),
        now=now,
        channels=channels_for(session, appt.patient),
    )
    for p in planned:
        enqueue(
            session,
            key=key_for(appt.id, p.rule, p.channel, appt.sequence),
            rule=p.rule,
            channel=p.channel,
            due=p.due,
            now=now,
            appointment=appt,
            fresh=True,
        )


def withdraw_pending(session: Session, appointment_id: int) -> int:
    """Withdraw every message of the appointment not yet sent; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.appointment_id == appointment_id, OutboxMessage.status == PENDING)
        .values(status=WITHDRAWN)
    )
    return result.rowcount or 0


def on_booked(session: Session, appt: Appointment, *, now: datetime) -> None:
    """Confirmation now (email with invitation, SMS) and the reminders of the policy."""
    session.flush()  # the appointment needs its id for the keys
    _notice(session, appt, "confirmation", now)
    _reminders(session, appt, now)


def on_moved(session: Session, appt: Appointment, *, now: datetime) -> None:
    """Withdraw what was pending for the old time; tell the new time; plan its reminders."""
    withdraw_pending(session, appt.id)
    _notice(session, appt, "moved", now)
    _reminders(session, appt, now)


def on_cancelled(session: Session, appt: Appointment, *, now: datetime) -> None:
    """Withdraw pending reminders; send the cancellation (email with METHOD:CANCEL, SMS)."""
    withdraw_pending(session, appt.id)
    _notice(session, appt, "cancelled", now)
