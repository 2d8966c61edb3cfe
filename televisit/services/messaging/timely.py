"""The facts the lateness rule (domain/lateness.py) needs about one outbox row, read from the database."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from televisit.domain import lateness, reminders
from televisit.models import Appointment, OutboxMessage, SlotOffer, VisitType


def _reminder_rule(session: Session, appt: Appointment, kind: str) -> reminders.ReminderRule | None:
    """The visit type's policy rule named `kind` (None: not a reminder, or no longer in the policy)."""
    if kind in lateness.NOTICES:
        return None
    visit_type = session.get(VisitType, appt.visit_type_id)
    try:
        rules = reminders.parse_policy(visit_type.reminder_policy if visit_type else None)
    except ValueError:  # a stored policy is validated on write; never let one stop the dispatcher
        rules = reminders.DEFAULT_POLICY
    return next((rule for rule in rules if rule.name == kind), None)


def offer_id(msg: OutboxMessage) -> int:
    """The offer an offer message is about (0: none)."""
    try:
        found = json.loads(msg.payload or "{}").get("offer_id", 0)
    except (ValueError, AttributeError):
        return 0
    return found if isinstance(found, int) else 0


def facts_for(session: Session, msg: OutboxMessage, appt: Appointment | None) -> lateness.Facts:
    """What decides whether `msg` is still worth sending (`appt`: its visit, already loaded, if any)."""
    kind = lateness.kind_of(msg.rule)
    if appt is not None:
        return lateness.Facts(kind, visit_start=appt.start_at, reminder=_reminder_rule(session, appt, kind))
    if kind in (lateness.OFFER, lateness.OFFER_GONE):
        offer = session.get(SlotOffer, offer_id(msg))
        if offer is None:
            return lateness.Facts(kind, offer_open=False)
        return lateness.Facts(kind, offer_expires=offer.expires_at, offer_open=offer.status == "open")
    return lateness.Facts(kind)
