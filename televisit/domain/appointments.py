"""Appointment lifecycle rules."""

from __future__ import annotations

BOOKED, CHECKED_IN, IN_VISIT, COMPLETED, CANCELLED, NO_SHOW = (
    "booked",
    "checked_in",
    "in_visit",
    "completed",
    "cancelled",
    "no_show",
)
STATUSES = (BOOKED, CHECKED_IN, IN_VISIT, COMPLETED, CANCELLED, NO_SHOW)
# Statuses whose time the clinician cannot give to anyone else (the DB constraint uses the same set).
HOLDS_TIME = (BOOKED, CHECKED_IN, IN_VISIT, COMPLETED)
CHANGEABLE = (BOOKED,)
# Not yet over: a change of hours or a closure over these concerns a patient who is coming.
ACTIVE = (BOOKED, CHECKED_IN, IN_VISIT)


def can_change(status: str) -> bool:
    """Only a booked (not yet started, not ended) appointment can be moved or cancelled."""
    return status in CHANGEABLE
