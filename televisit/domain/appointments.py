"""Appointment lifecycle rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from televisit.domain.errors import Conflict

BOOKED, CHECKED_IN, IN_VISIT, COMPLETED, CANCELLED, NO_SHOW, PENDING = (
    "booked",
    "checked_in",
    "in_visit",
    "completed",
    "cancelled",
    "no_show",
    "pending",  # a hold (FHIR `$hold`): keeps its time until `hold_expires_at`, then released; never a visit yet
)
STATUSES = (BOOKED, CHECKED_IN, IN_VISIT, COMPLETED, CANCELLED, NO_SHOW, PENDING)
# Statuses whose time the clinician cannot give to anyone else (the DB constraint uses the same set, a hold's
# too since migration 0013: it keeps its time from every search and booking).
HOLDS_TIME = (BOOKED, CHECKED_IN, IN_VISIT, COMPLETED, PENDING)
# Visits that take or took place: a hold is none yet (no calendar entry, no reminder, no waiting room).
VISITS = (BOOKED, CHECKED_IN, IN_VISIT, COMPLETED)
CHANGEABLE = (BOOKED,)
# Visits that are still to happen or under way: new time off over them must say what becomes of them.
ACTIVE = (BOOKED, CHECKED_IN, IN_VISIT)


def status_words(status: str, held_until: str | None = None) -> str:
    """A status as staff read it ("checked in"); a hold reads "held until 10:05" (`held_until`: its expiry on
    the view's clock)."""
    if status == PENDING:
        return f"held until {held_until}" if held_until else "held"
    return status.replace("_", " ")


def can_change(status: str) -> bool:
    """Only a booked (not yet started, not ended) appointment can be moved or cancelled."""
    return status in CHANGEABLE


class InsideNotice(Conflict):
    """Asking for an earlier time for a visit that starts inside its visit type's minimum notice: no earlier
    time could be booked any more, so the request would only raise false hope."""

    code = "inside_notice"


INSIDE_NOTICE = (
    "Your visit is too soon for an earlier time: any earlier time would be inside the notice this visit needs. "
    "If you need care sooner, please call the clinic."
)


def can_wait_for_earlier(start: datetime, now: datetime, min_notice_minutes: int) -> bool:
    """An earlier time can still be offered: one that starts after the minimum notice and before the visit."""
    return start > now + timedelta(minutes=max(min_notice_minutes or 0, 0))
