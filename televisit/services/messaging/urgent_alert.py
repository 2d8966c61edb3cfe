"""The desk's alert that an urgent case has opened: one email to the configured address
(TELEVISIT_URGENT_ALERT_EMAIL), planned in the outbox in the transaction that opens the case, so the jobs
process sends it exactly once like every other message.

It goes to a staff mailbox, so it carries the patient's name and a link to the urgent queue, and nothing
clinical: no symptom, no answer, not whether it came from an intake or a check-in (docs/messaging.md).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from televisit.adapters.base import OutgoingEmail
from televisit.models import OutboxMessage, Patient, UrgentCase
from televisit.services import outbox as ob
from televisit.services.messaging.messages import Settings, message_id_for, render_email

RULE = "urgent-alert"
CASE_RESOLVED = "the urgent case was resolved before the alert went out"


def is_alert(msg: OutboxMessage) -> bool:
    """True for the desk's urgent-case alert."""
    return msg.rule == RULE


def plan(session: Session, case: UrgentCase, *, to: str | None, now: datetime) -> OutboxMessage | None:
    """Put the alert for `case` in the outbox (nothing when no address is configured). Its key names the
    case, so opening, retrying or a second jobs process can never send a second copy."""
    if not to:
        return None
    session.flush()  # the case needs its id for the key
    return ob.enqueue(
        session,
        key=f"urgent{case.id}:alert:email",
        rule=RULE,
        channel="email",
        due=now,
        now=now,
        patient_id=case.patient_id,
        payload=json.dumps({"case_id": case.id, "to": to}),
    )


def _payload(msg: OutboxMessage) -> dict:
    try:
        data = json.loads(msg.payload or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _case(session: Session, msg: OutboxMessage) -> UrgentCase | None:
    case_id = _payload(msg).get("case_id")
    return session.get(UrgentCase, case_id) if isinstance(case_id, int) else None


def wanted(session: Session, msg: OutboxMessage) -> bool:
    """Still worth sending: the case is still open (a case resolved meanwhile needs no alert)."""
    case = _case(session, msg)
    return case is not None and case.status == "open"


def build(session: Session, s: Settings, msg: OutboxMessage) -> OutgoingEmail | None:
    """The alert email, or None when its case or patient is gone."""
    case = _case(session, msg)
    patient = session.get(Patient, case.patient_id) if case else None
    if patient is None:
        return None
    ctx = {"org": s.org_name, "name": patient.name, "link": f"{s.public_url}/schedule/urgent#case-{case.id}"}
    subject, text, html = render_email("urgent_alert", ctx)
    return OutgoingEmail(_payload(msg).get("to"), subject, text, html, message_id_for(msg, s))
