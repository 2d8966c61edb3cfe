"""Dispatching the outbox: claim due rows atomically, send each once, record the outcome.

States: pending -> sending (claimed) -> sent | pending (retry later) | failed | skipped | withdrawn,
and sending -> unconfirmed when a send timed out after the request left: such a row is settled by the
provider's status callback or, after a grace period, by asking the provider whether it went out;
only when it did not is it sent again. A row left in `sending` by a crash (kill -9) is reconciled
the same way once its lease has expired (see `reconcile.py`).

A claimed row that is no longer true or timely (its visit moved, or it fell due while the jobs process was
down and its time has passed: domain/lateness.py) is withdrawn with its reason, never sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from televisit import metrics
from televisit.adapters.base import OutgoingEmail, OutgoingSMS, Permanent, Transient, Unknown
from televisit.adapters.factory import email_sender, sms_sender
from televisit.domain import appointments as st
from televisit.domain import lateness
from televisit.models import Appointment, Clinician, OutboxMessage, PhoneState, VisitType
from televisit.services import outbox as ob
from televisit.services.messaging import account_mail, plans, urgent_alert
from televisit.services.messaging.messages import Settings, build_appointment_message
from televisit.services.messaging.timely import facts_for

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=2)
OPTED_OUT, INVALID_NUMBERS = 21610, (21211, 21614)


@dataclass
class Senders:
    """The adapters in use, and an optional SMS rate limit (messages per second, 0 = off)."""

    sms: object
    email: object
    sms_per_second: float = 0.0
    _next_sms_at: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pace_sms(self) -> None:
        """Sleep as needed so SMS leave no faster than the account allows (shared by all sending threads)."""
        if self.sms_per_second <= 0:
            return
        with self._lock:  # reserve the next slot, then wait for it outside the lock
            at = max(time.monotonic(), self._next_sms_at)
            self._next_sms_at = at + 1.0 / self.sms_per_second
        wait = at - time.monotonic()
        if wait > 0:
            time.sleep(wait)


def senders_from(config) -> Senders:
    """The configured SMS and email adapters (dev outbox when unset), paced as configured."""
    return Senders(sms_sender(config), email_sender(config), config.get("TWILIO_RATE_PER_SECOND", 0))


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
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == ob.PENDING)  # still pending: never re-claim
            .values(status=ob.SENDING, claimed_by=worker, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
    session.commit()
    return ids


ACCOUNT_LINK_GONE = "its link was used or had expired"


def _wanted_statuses(rule: str) -> tuple[str, ...]:
    """The visit states in which a message of `rule` may still go out."""
    return (st.CANCELLED,) if rule.startswith("cancelled") else (st.BOOKED, st.CHECKED_IN)


def _wanted(rule: str, sequence: int, appt) -> bool:
    """A reminder for a visit that has since moved or been cancelled must not go out."""
    return appt is not None and appt.sequence == sequence and appt.status in _wanted_statuses(rule)


def _outgoing(session: Session, settings: Settings, msg: OutboxMessage):
    if msg.appointment_id is not None:
        return build_appointment_message(session, settings, msg, session.get(Appointment, msg.appointment_id))
    if account_mail.is_account(msg):
        return account_mail.build(session, settings, msg)
    if urgent_alert.is_alert(msg):
        return urgent_alert.build(session, settings, msg)
    if plans.is_plan(msg):
        return plans.build(session, settings, msg)
    from televisit.services.messaging.waitlist import build_offer_message

    return build_offer_message(session, settings, msg)


def _record(msg: OutboxMessage, out) -> None:
    msg.to_address = out.to
    if isinstance(out, OutgoingSMS):
        msg.body_text = out.body
    else:
        msg.subject, msg.body_text, msg.body_html = out.subject, out.text, out.html
        msg.ics = out.ics.decode() if out.ics else None


@dataclass(frozen=True)
class Ready:
    """A claimed row, rendered, its text on record, waiting for its turn to be sent."""

    id: int
    out: OutgoingSMS | OutgoingEmail
    appointment_id: int | None
    sequence: int
    rule: str
    send_by: lateness.Deadline | None = None  # no longer worth sending from then on


def _ours(lease: tuple[str, datetime] | None):
    """SQL conditions: the row is claimed, and (given a lease) by that claim."""
    conds = [OutboxMessage.status == ob.SENDING]
    if lease is not None:
        conds += [OutboxMessage.claimed_by == lease[0], OutboxMessage.claimed_at == lease[1]]
    return conds


def _withdraw(msg: OutboxMessage, reason: str) -> tuple[str, None, None]:
    msg.status, msg.withdrawn_reason = ob.WITHDRAWN, reason
    return msg.status, None, None


def _prepare_one(session: Session, settings: Settings, msg: OutboxMessage, now: datetime):
    """Check and render one claimed row and record its text: (None, outgoing, its deadline) or (final status,
    None, None). A row whose visit changed, or that is no longer timely at `now`, is withdrawn with its reason."""
    if account_mail.is_account(msg) and not account_mail.wanted(session, msg):
        return _withdraw(msg, ACCOUNT_LINK_GONE)  # its link was used, or expired while the jobs were down
    if urgent_alert.is_alert(msg) and not urgent_alert.wanted(session, msg):
        return _withdraw(msg, urgent_alert.CASE_RESOLVED)
    if plans.is_plan(msg) and (gone := plans.withdraw_reason(session, msg)):
        return _withdraw(msg, gone)  # the board's case changed, or its plan was booked meanwhile
    appt = session.get(Appointment, msg.appointment_id) if msg.appointment_id is not None else None
    if msg.appointment_id is not None and not _wanted(msg.rule, msg.sequence, appt):
        return _withdraw(msg, lateness.VISIT_CHANGED)
    facts = facts_for(session, msg, appt)
    reason = lateness.withdraw_reason(facts, now)
    if reason is not None:
        return _withdraw(msg, reason)
    out = _outgoing(session, settings, msg)
    if out is None or not out.to:
        msg.status, msg.last_error = ob.SKIPPED, "no address"
        return msg.status, None, None
    _record(msg, out)
    return None, out, lateness.deadline(facts)


def prepare(
    session: Session,
    ids: list[int],
    settings: Settings,
    *,
    now: datetime,
    lease: tuple[str, datetime] | None = None,
) -> tuple[list[Ready], dict[str, int]]:
    """Render claimed rows and put what will be sent on record, in one transaction (rows, visits and
    reference data loaded once for the batch); rows no longer timely at `now` are withdrawn. A crash after
    it leaves each row's exact text for reconcile to look for at the provider."""
    rows = {m.id: m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids), *_ours(lease)))}
    _held = _load_visits(session, {m.appointment_id for m in rows.values() if m.appointment_id is not None})
    ready, counts = [], {}
    for msg_id in ids:
        msg = rows.get(msg_id)
        outcome, out, send_by = ("gone", None, None) if msg is None else _prepare_one(session, settings, msg, now)
        if out is None:
            counts[outcome] = counts.get(outcome, 0) + 1
        else:
            ready.append(Ready(msg.id, out, msg.appointment_id, msg.sequence, msg.rule, send_by))
    session.commit()
    return ready, counts


def _load_visits(session: Session, ids: set[int]) -> list:
    """Load the batch's visits, visit types and clinicians in three queries. The caller holds the list:
    the identity map keeps objects only while something references them, and rendering looks them up."""
    if not ids:
        return []
    visits = list(session.scalars(select(Appointment).where(Appointment.id.in_(ids))))
    kinds = list(session.scalars(select(VisitType).where(VisitType.id.in_({a.visit_type_id for a in visits}))))
    staff = list(session.scalars(select(Clinician).where(Clinician.id.in_({a.clinician_id for a in visits}))))
    return visits + kinds + staff


def _prepare_safely(session: Session, ids: list[int], settings: Settings, **kw) -> tuple[list[Ready], dict]:
    """`prepare`; when one row cannot be rendered, the others still go (row by row) and it stays claimed."""
    try:
        return prepare(session, ids, settings, **kw)
    except Exception:
        session.rollback()
        if len(ids) == 1:
            log.exception("outbox message %s could not be prepared", ids[0])
            return [], {"error": 1}
    ready, counts = [], {}
    for msg_id in ids:
        one, c = _prepare_safely(session, [msg_id], settings, **kw)
        ready += one
        for k, v in c.items():
            counts[k] = counts.get(k, 0) + v
    return ready, counts


def _renew_lease(session: Session, msg_id: int, worker: str, claimed_at: datetime, now: datetime, *also) -> bool:
    """Restart our lease on a claimed row as its send begins; False when the lease ran out meanwhile and
    reconcile took the row over (it may be requeued or another worker's by now): then it is not ours to send.
    `also`: more conditions that must hold (one statement, no reload of the row)."""
    t = OutboxMessage.__table__
    where = [t.c.id == msg_id, t.c.status == ob.SENDING, t.c.claimed_by == worker, t.c.claimed_at == claimed_at]
    return session.connection().execute(t.update().where(*where, *also).values(claimed_at=now)).rowcount == 1


def _all_clear(session: Session, item: Ready, now: datetime, lease: tuple[str, datetime]) -> bool:
    """The common case of `_last_checks` in one UPDATE: ours, the visit unchanged, the number not blocked."""
    also = []
    if item.appointment_id is not None:
        a = Appointment.__table__.c
        statuses = _wanted_statuses(item.rule)
        also.append(exists().where(a.id == item.appointment_id, a.sequence == item.sequence, a.status.in_(statuses)))
    if isinstance(item.out, OutgoingSMS):
        p = PhoneState.__table__.c
        also.append(~exists().where(p.phone == item.out.to, or_(p.opted_out, p.invalid)))
    return _renew_lease(session, item.id, *lease, now, *also)


def _last_checks(session: Session, item: Ready, now: datetime, lease: tuple[str, datetime] | None) -> str | None:
    """Right before sending, in one short transaction: the lease still ours (and renewed), the visit still
    wanting the message, the number not opted out meanwhile. None = send it; else its final status."""
    if lease is not None and _all_clear(session, item, now, lease):
        session.commit()
        return None
    session.rollback()
    if lease is not None and not _renew_lease(session, item.id, *lease, now):
        session.rollback()
        return "gone"
    outcome = None
    if item.appointment_id is not None:
        visit = session.execute(
            select(Appointment.sequence, Appointment.status).where(Appointment.id == item.appointment_id)
        ).first()
        if not _wanted(item.rule, item.sequence, visit):
            msg = session.get(OutboxMessage, item.id)
            outcome, _, _ = _withdraw(msg, lateness.VISIT_CHANGED)
    if outcome is None and isinstance(item.out, OutgoingSMS):
        phone = PhoneState.__table__.c
        state = session.execute(select(phone.opted_out, phone.invalid).where(phone.phone == item.out.to)).first()
        if state and (state.opted_out or state.invalid):
            msg = session.get(OutboxMessage, item.id)
            msg.status, msg.last_error = ob.SKIPPED, "number opted out or invalid"
            if state.invalid and not state.opted_out:  # a number known not to take SMS: email instead
                _fallback_to_email(session, msg, now, unless_emailed=True)
            outcome = msg.status
    session.commit()  # no transaction stays open while the message is on its way
    return outcome


def send_ready(
    session: Session, item: Ready, senders: Senders, *, now: datetime, lease: tuple[str, datetime] | None = None
) -> str:
    """Send one prepared row if it is still ours and still wanted; returns its final status for this attempt.

    `lease` is (worker, claimed_at) of our claim: the row is sent only while that claim still holds,
    and the lease restarts at `now`, so a long batch cannot outlive it mid-send.
    """
    if isinstance(item.out, OutgoingSMS):
        senders.pace_sms()  # before the last checks: a paced wait must not widen the gap after them
    late = _too_late(session, item, now, lease)
    return late or _last_checks(session, item, now, lease) or _deliver(session, item.id, item.out, senders, now=now)


def _too_late(session: Session, item: Ready, now: datetime, lease: tuple[str, datetime] | None) -> str | None:
    """Withdraw a prepared row whose deadline passed while its batch was being sent (if it is still ours)."""
    if item.send_by is None or now < item.send_by.at:
        return None
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item.id, *_ours(lease))
        .values(status=ob.WITHDRAWN, withdrawn_reason=item.send_by.reason)
    )
    session.commit()
    return ob.WITHDRAWN if result.rowcount == 1 else "gone"


def send_one(
    session: Session,
    msg_id: int,
    senders: Senders,
    settings: Settings,
    *,
    now: datetime,
    lease: tuple[str, datetime] | None = None,
) -> str:
    """Prepare and send one claimed row; returns its final status for this attempt."""
    ready, counts = prepare(session, [msg_id], settings, now=now, lease=lease)
    if not ready:
        return next(iter(counts))
    return send_ready(session, ready[0], senders, now=now, lease=lease)


def _deliver(session: Session, msg_id: int, out, senders: Senders, *, now: datetime) -> str:
    """Send with no transaction open (network I/O must never hold a database lock), then record."""
    status, provider_id, error = ob.SENT, None, None
    try:
        if isinstance(out, OutgoingSMS):
            provider_id = senders.sms.send_sms(out)
        else:
            provider_id = senders.email.send_email(out)
    except Unknown as exc:
        status, error = ob.UNCONFIRMED, exc
    except Transient as exc:
        status, error = "retry", exc
    except Permanent as exc:
        status, error = "permanent", exc
    metrics.message_attempt("sms" if isinstance(out, OutgoingSMS) else "email", status)
    if status == ob.SENT:  # the common case: one UPDATE, no reload of the row
        t = OutboxMessage.__table__
        sent = {"status": ob.SENT, "sent_at": now, "last_error": None}
        session.connection().execute(
            t.update().where(t.c.id == msg_id).values(**sent, provider_id=func.coalesce(t.c.provider_id, provider_id))
        )
        session.commit()
        return ob.SENT
    msg = session.get(OutboxMessage, msg_id)
    if status == ob.UNCONFIRMED:
        if msg.status == ob.SENDING:  # the status callback may have settled it while we waited
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


def _fallback_to_email(session: Session, msg: OutboxMessage, now: datetime, *, unless_emailed=False) -> None:
    """An SMS that cannot reach a phone goes by email instead (same rule, its own key).

    `unless_emailed`: not when the same rule already has its own email (a reminder sent on both channels).
    """
    if msg.appointment_id is None:
        return
    own_email = ob.key_for(msg.appointment_id, msg.rule, "email", msg.sequence)
    if unless_emailed and session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == own_email)):
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
    session: Session,
    senders: Senders,
    settings: Settings,
    *,
    now: datetime,
    worker: str,
    limit: int = 200,
    clock: Callable[[], datetime] | None = None,
    stop: Callable[[], bool] | None = None,
) -> dict[str, int]:
    """Claim and send one batch; returns counts by outcome. `clock` (default: `now`) times each send;
    once `stop()` is true (SIGTERM) the rest of the batch is handed back instead of sent."""
    ids = claim(session, now=now, worker=worker, limit=limit)
    if not ids:
        return {}
    lease = (worker, now)
    ready, counts = _prepare_safely(session, ids, settings, now=now, lease=lease)
    for n, item in enumerate(ready):
        if stop and stop():
            counts["released"] = _release(session, [r.id for r in ready[n:]], worker, now)
            break
        try:
            outcome = send_ready(session, item, senders, now=clock() if clock else now, lease=lease)
        except Exception:  # one bad row must not stop the batch; it stays claimed and is reconciled later
            session.rollback()
            log.exception("outbox message %s could not be sent", item.id)
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _release(session: Session, ids: list[int], worker: str, claimed_at: datetime) -> int:
    """Put claimed rows we will not send back in the queue, so a clean stop leaves nothing to a lease."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == ob.SENDING,
            OutboxMessage.claimed_by == worker,
            OutboxMessage.claimed_at == claimed_at,
        )
        .values(status=ob.PENDING, attempts=OutboxMessage.attempts - 1)
    )
    session.commit()
    return result.rowcount or 0
