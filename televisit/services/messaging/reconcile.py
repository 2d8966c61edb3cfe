"""Settling sends whose fate is unknown, and the provider's delivery reports.

A send that timed out after the request left is `unconfirmed`; a row a crashed worker left in `sending`
keeps its lease until it runs out. Both are settled here: by Twilio's signed status callback, or after
a grace period by asking the provider whether the message went out. Only when it did not is the row
queued again, so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from televisit.adapters.base import Transient
from televisit.models import OutboxMessage
from televisit.services import outbox as ob
from televisit.services.messaging import receipts
from televisit.services.messaging.dispatch import LEASE, OPTED_OUT, Senders, mark_phone

GRACE = timedelta(minutes=5)


def _stale_ids(session: Session, now: datetime) -> list[tuple[int, str, datetime]]:
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.claimed_at).where(
            or_(
                (OutboxMessage.status == ob.UNCONFIRMED) & (OutboxMessage.claimed_at <= now - GRACE),
                (OutboxMessage.status == ob.SENDING) & (OutboxMessage.claimed_at <= now - LEASE),
            )
        )
    ).all()
    session.commit()
    return [tuple(r) for r in rows]


def _take_over(session: Session, msg_id: int, status: str, claimed_at: datetime, now: datetime) -> bool:
    """Renew the lease on a stale row; False when another worker got there first."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == msg_id,
            OutboxMessage.status == status,
            OutboxMessage.claimed_at == claimed_at,
        )
        .values(claimed_at=now, status=ob.SENDING)
    )
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


def status_callback_once(
    session: Session, msg_id: int, sid: str, status: str, *, now: datetime, error_code: int | None = None
) -> None:
    """`status_callback`, unless this report (message `sid`, `status`) was acted on already (a replay)."""
    act = partial(status_callback, session, msg_id, sid, status, now=now, error_code=error_code)
    receipts.once(session, sid, status, now=now, act=act)


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
    elif msg.status == ob.UNCONFIRMED:  # Twilio took it but could not deliver: settled, not "sent" by reconcile
        msg.status, msg.last_error = ob.FAILED, f"Twilio {status} {error_code or ''}".strip()
    if error_code == OPTED_OUT and msg.to_address:
        mark_phone(session, msg.to_address, now=now, opted_out=True, reason="Twilio 21610 (opted out)")
    session.commit()
