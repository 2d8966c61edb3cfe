"""Dispatching the outbox: claim due rows atomically, send each once, record the outcome.

States: pending -> sending (claimed) -> sent | pending (retry later) | failed | skipped | withdrawn,
and sending -> unconfirmed when a send timed out after the request left: such a row is settled by the
provider's status callback or, after a grace period, by asking the provider whether it went out;
only when it did not is it sent again. A row left in `sending` by a crash (kill -9) is reconciled
the same way once its lease has expired.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from televisit.adapters.base import OutgoingSMS, Permanent, Transient, Unknown
from televisit.domain import appointments as st
from televisit.models import Appointment, OutboxMessage, PhoneState
from televisit.services import outbox as ob
from televisit.services.messages import Settings, build_appointment_message

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=2)
GRACE = timedelta(minutes=5)
OPTED_OUT, INVALID_NUMBERS = 21610, (21211, 21614)


@dataclass
class Senders:
    """The adapters in use, and an optional SMS rate limit (messages per second, 0 = off)."""

    sms: object
    email: object
    sms_per_second: float = 0.0
    _next_sms_at: float = field(default=0.0, repr=False)

    def pace_sms(self) -> None:
        """Sleep as needed so SMS leave no faster than the account allows."""
        if self.sms_per_second <= 0:
            return
        wait = self._next_sms_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._next_sms_at = max(time.monotonic(), self._next_sms_at) + 1.0 / self.sms_per_second


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, ... capped at 30 min."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


def claim(session: Session, *, now: datetime, worker: str, limit: int) -> list[int]:
    """Atomically take up to `limit` due rows (SKIP LOCKED on PostgreSQL; serialized on SQLite)."""
    stmt = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == ob.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status=ob.SENDING, claimed_by=worker, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
    session.commit()
    return ids


def _still_wanted(session: Session, msg: OutboxMessage) -> bool:
    """A reminder for a visit that has since moved or been cancelled must not go out."""
    if msg.appointment_id is None:
        return True
    appt = session.get(Appointment, msg.appointment_id)
    if appt is None or appt.sequence != msg.sequence:
        return False
    if msg.rule.startswith("cancelled"):
        return appt.status == st.CANCELLED
    return appt.status in (st.BOOKED, st.CHECKED_IN)


def _outgoing(session: Session, settings: Settings, msg: OutboxMessage):
    if msg.appointment_id is not None:
        return build_appointment_message(session, settings, msg, session.get(Appointment, msg.appointment_id))
    from televisit.services.waitlist import build_offer_message

    return build_offer_message(session, settings, msg)


def _record(msg: OutboxMessage, out) -> None:
    msg.to_address = out.to
    if isinstance(out, OutgoingSMS):
        msg.body_text = out.body
    else:
        msg.subject, msg.body_text, msg.body_html = out.subject, out.text, out.html
        msg.ics = out.ics.decode() if out.ics else None


def send_one(session: Session, msg_id: int, senders: Senders, settings: Settings, *, now: datetime) -> str:
    """Send one claimed row; returns its final status for this attempt."""
    msg = session.get(OutboxMessage, msg_id)
    if msg is None or msg.status != ob.SENDING:
        return "gone"
    if not _still_wanted(session, msg):
        msg.status = ob.WITHDRAWN
        session.commit()
        return msg.status
    out = _outgoing(session, settings, msg)
    if out is None or not out.to:
        msg.status, msg.last_error = ob.SKIPPED, "no address"
        session.commit()
        return msg.status
    _record(msg, out)
    blocked = isinstance(out, OutgoingSMS) and _number_blocked(session, out.to)
    if blocked:
        msg.status, msg.last_error = ob.SKIPPED, "number opted out or invalid"
    session.commit()  # what we are about to send is on record before it leaves; no transaction stays open
    return msg.status if blocked else _deliver(session, msg, out, senders, now=now)


def _deliver(session: Session, msg: OutboxMessage, out, senders: Senders, *, now: datetime) -> str:
    """Send with no transaction open (network I/O must never hold a database lock), then record."""
    status, provider_id, error = ob.SENT, None, None
    try:
        if isinstance(out, OutgoingSMS):
            senders.pace_sms()
            provider_id = senders.sms.send_sms(out)
        else:
            provider_id = senders.email.send_email(out)
    except Unknown as exc:
        status, error = ob.UNCONFIRMED, exc
    except Transient as exc:
        status, error = "retry", exc
    except Permanent as exc:
        status, error = "permanent", exc
    msg = session.get(OutboxMessage, msg.id)
    if status == ob.SENT:
        msg.status, msg.sent_at, msg.last_error = ob.SENT, now, None
        msg.provider_id = msg.provider_id or provider_id
    elif status == ob.UNCONFIRMED:
        msg.status, msg.last_error = ob.UNCONFIRMED, str(error)[:300]
    elif status == "retry":
        _retry_later(msg, str(error), now)
    else:
        _permanent(session, msg, error, now)
    session.commit()
    return msg.status


def _retry_later(msg: OutboxMessage, error: str, now: datetime) -> None:
    msg.last_error = error[:300]
    if msg.attempts >= MAX_ATTEMPTS:
        msg.status = ob.FAILED
    else:
        msg.status, msg.next_attempt_at = ob.PENDING, now + backoff(msg.attempts)


def _number_blocked(session: Session, phone: str) -> bool:
    state = session.get(PhoneState, phone)
    return bool(state and (state.opted_out or state.invalid))


def mark_phone(
    session: Session,
    phone: str,
    *,
    now: datetime,
    opted_out: bool | None = None,
    invalid: bool | None = None,
    reason: str | None = None,
) -> PhoneState:
    """Record our own state for a number (STOP/START, Twilio 21610, 21211/21614)."""
    state = session.get(PhoneState, phone) or PhoneState(phone=phone, opted_out=False, invalid=False)
    if opted_out is not None:
        state.opted_out = opted_out
    if invalid is not None:
        state.invalid = invalid
    state.reason, state.updated_at = reason, now
    session.add(state)
    return state


def _permanent(session: Session, msg: OutboxMessage, exc: Permanent, now: datetime) -> None:
    msg.status, msg.last_error = ob.FAILED, f"{exc.code}: {exc}"[:300]
    if msg.channel != "sms":
        return
    if exc.code == OPTED_OUT:
        mark_phone(session, msg.to_address, now=now, opted_out=True, reason="Twilio 21610 (opted out)")
        msg.status = ob.SKIPPED
    elif exc.code in INVALID_NUMBERS:
        mark_phone(session, msg.to_address, now=now, invalid=True, reason=f"Twilio {exc.code}")
        msg.status = ob.SKIPPED
        _fallback_to_email(session, msg, now)


def _fallback_to_email(session: Session, msg: OutboxMessage, now: datetime) -> None:
    """An SMS that cannot reach a phone goes by email instead (same rule, its own key)."""
    if msg.appointment_id is None:
        return
    appt = session.get(Appointment, msg.appointment_id)
    if not (appt and appt.patient.email and appt.patient.email_opt_in):
        return
    rule = f"{msg.rule}-fallback"
    ob.enqueue(
        session,
        key=ob.key_for(appt.id, rule, "email", msg.sequence),
        rule=rule,
        channel="email",
        due=now,
        now=now,
        appointment=appt,
    )


def dispatch_batch(
    session: Session, senders: Senders, settings: Settings, *, now: datetime, worker: str, limit: int = 200
) -> dict[str, int]:
    """Claim and send one batch; returns counts by outcome."""
    counts: dict[str, int] = {}
    for msg_id in claim(session, now=now, worker=worker, limit=limit):
        try:
            outcome = send_one(session, msg_id, senders, settings, now=now)
        except Exception:  # one bad row must not stop the batch; it stays claimed and is reconciled later
            session.rollback()
            log.exception("outbox message %s could not be sent", msg_id)
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _stale_ids(session: Session, now: datetime) -> list[tuple[int, str, datetime]]:
    rows = session.execute(select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.claimed_at).where(or_(
        (OutboxMessage.status == ob.UNCONFIRMED) & (OutboxMessage.claimed_at <= now - GRACE),
        (OutboxMessage.status == ob.SENDING) & (OutboxMessage.claimed_at <= now - LEASE),
    ))).all()
    session.commit()
    return [tuple(r) for r in rows]


def _take_over(session: Session, msg_id: int, status: str, claimed_at: datetime, now: datetime) -> bool:
    """Renew the lease on a stale row; False when another worker got there first."""
    result = session.execute(update(OutboxMessage).where(
        OutboxMessage.id == msg_id, OutboxMessage.status == status, OutboxMessage.claimed_at == claimed_at,
    ).values(claimed_at=now, status=ob.SENDING))
    session.commit()
    return result.rowcount == 1


def reconcile(session: Session, senders: Senders, *, now: datetime) -> dict[str, int]:
    """Settle rows whose fate is unknown: a timeout after the request left, or a crash mid-send."""
    counts = {"found_sent": 0, "requeued": 0}
    for msg_id, status, claimed_at in _stale_ids(session, now):
        if not _take_over(session, msg_id, status, claimed_at, now):
            continue
        msg = session.get(OutboxMessage, msg_id)
        snapshot = (msg.channel, msg.provider_id, msg.to_address, msg.body_text, claimed_at)
        session.commit()
        try:
            sid = _already_sent(senders, *snapshot)
        except Transient:
            continue  # ask again next time; the row stays claimed until its lease runs out
        msg = session.get(OutboxMessage, msg_id)
        if sid:
            msg.status, msg.provider_id, msg.sent_at = ob.SENT, sid, msg.sent_at or now
            counts["found_sent"] += 1
        else:
            msg.status, msg.next_attempt_at = ob.PENDING, now
            counts["requeued"] += 1
        session.commit()
    return counts


def _already_sent(senders: Senders, channel, provider_id, to, body, claimed_at) -> str | None:
    if provider_id:
        return provider_id
    if channel == "sms" and to and body:
        return senders.sms.find_sent(to, body, claimed_at - timedelta(minutes=1))
    return None


def status_callback(
    session: Session, msg_id: int, sid: str, status: str, *, now: datetime, error_code: int | None = None
) -> None:
    """Twilio's delivery report: settles an unconfirmed send and records delivery state."""
    msg = session.get(OutboxMessage, msg_id)
    if msg is None or msg.channel != "sms":
        return
    msg.provider_id, msg.provider_status = msg.provider_id or sid, status
    if msg.status in (ob.UNCONFIRMED, ob.SENDING) and status not in ("failed", "undelivered"):
        msg.status, msg.sent_at = ob.SENT, msg.sent_at or now
    if error_code == OPTED_OUT and msg.to_address:
        mark_phone(session, msg.to_address, now=now, opted_out=True, reason="Twilio 21610 (opted out)")
    session.commit()
