"""How late a message may still go out, and why one is withdrawn instead of sent. Pure.

When the jobs process has been down (a crash, a deploy, a host restart) it finds, on its return, every
message that fell due meanwhile. A message that is no longer true or useful is withdrawn, never sent, and
the reason is recorded on its outbox row. The rule per kind of message (docs/messaging.md, "Late messages"):

* confirmation, moved, cancelled: until the visit's start (after it, the news comes too late to act on).
* a reminder: until half its lead time is left (the 48 h reminder until 24 h before the visit), because by
  then the next reminder, or the visit itself, is near; the policy's last reminder (the 2 h SMS with the
  video link) until the visit's start. A reminder whose rule has left the policy counts as the last.
* an earlier-slot offer: while it is open and until it expires (its hold ends at the slot's start or after
  12 hours); its "taken" notice (offer-gone) until the offer would have expired anyway.
* any other message: no limit.

An email sent instead of an SMS (`<kind>-fallback`) follows the rule of its kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from televisit.domain.reminders import ReminderRule

NOTICES = frozenset({"confirmation", "moved", "cancelled"})
OFFER, OFFER_GONE = "offer", "offer-gone"
FALLBACK = "-fallback"

# Reasons recorded in outbox_messages.withdrawn_reason (shown in the dev outbox).
VISIT_MOVED = "the visit was moved"
VISIT_CANCELLED = "the visit was cancelled"
VISIT_CHANGED = "the visit changed before the message went out"
LATE_VISIT_STARTED = "too late: the visit had started"
LATE_REMINDER = "too late: less than half the reminder's lead time was left"
LATE_OFFER_EXPIRED = "too late: the offer had expired"
OFFER_CLOSED = "the offer was no longer open"


@dataclass(frozen=True)
class Facts:
    """What the rule needs to know about one message (a field that does not apply is None)."""

    kind: str  # the outbox rule, `-fallback` removed
    visit_start: datetime | None = None
    reminder: ReminderRule | None = None  # the policy rule of a reminder (None: no longer in the policy)
    offer_expires: datetime | None = None
    offer_open: bool = True


@dataclass(frozen=True)
class Deadline:
    """From `at` on, the message is no longer worth sending, for `reason`."""

    at: datetime
    reason: str


def kind_of(rule: str) -> str:
    """The kind of message an outbox rule names (an email instead of an SMS is the same kind)."""
    return rule.removesuffix(FALLBACK)


def deadline(facts: Facts) -> Deadline | None:
    """When the message stops being worth sending, and why; None when it has no limit."""
    if facts.kind in (OFFER, OFFER_GONE):
        return Deadline(facts.offer_expires, LATE_OFFER_EXPIRED) if facts.offer_expires else None
    if facts.visit_start is None:
        return None
    rule = facts.reminder
    if facts.kind in NOTICES or rule is None or rule.last:
        return Deadline(facts.visit_start, LATE_VISIT_STARTED)
    return Deadline(facts.visit_start - timedelta(minutes=rule.minutes_before / 2), LATE_REMINDER)


def withdraw_reason(facts: Facts, now: datetime) -> str | None:
    """Why the message must not go out at `now`; None: send it."""
    limit = deadline(facts)
    if limit is not None and now >= limit.at:
        return limit.reason
    return OFFER_CLOSED if facts.kind == OFFER and not facts.offer_open else None
