"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from televisit.models.appointment import Appointment
from televisit.models.base import Base, UTCDateTime
from televisit.models.catalog import AvailabilityRule, Clinician, Location, TimeOff, VisitType
from televisit.models.messaging import CalendarFeed, FreedSlot, OutboxMessage, PhoneState, SlotOffer, WaitlistEntry
from televisit.models.people import ApiToken, Patient, User

__all__ = [
    "ApiToken",
    "Appointment",
    "AvailabilityRule",
    "Base",
    "CalendarFeed",
    "Clinician",
    "FreedSlot",
    "Location",
    "OutboxMessage",
    "Patient",
    "PhoneState",
    "SlotOffer",
    "TimeOff",
    "User",
    "UTCDateTime",
    "VisitType",
    "WaitlistEntry",
]
