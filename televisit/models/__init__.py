"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from televisit.models.appointment import Appointment
from televisit.models.audit import AuditEvent
from televisit.models.base import Base, UTCDateTime
from televisit.models.board import Board, BoardCase, BoardSeats, board_members
from televisit.models.care import (
    Course,
    Itinerary,
    Pathway,
    Reservation,
    Resource,
    ResourceRule,
    ResourceTimeOff,
    SiteClosure,
)
from televisit.models.catalog import AvailabilityRule, Clinician, Location, TimeOff, VisitType
from televisit.models.fhir import FhirClient, FhirClientToken
from televisit.models.intake import Intake, UrgentCase
from televisit.models.messaging import (
    CalendarFeed,
    FreedSlot,
    OutboxMessage,
    PhoneState,
    SlotOffer,
    TwilioReceipt,
    WaitlistEntry,
)
from televisit.models.people import AccountToken, ApiToken, Patient, User, UserSession
from televisit.models.waiting import ClinicianPresence, SocketPresence, WaitingMessage, WebProcess

__all__ = [
    "AccountToken",
    "ApiToken",
    "Appointment",
    "AuditEvent",
    "AvailabilityRule",
    "Base",
    "FhirClient",
    "FhirClientToken",
    "Board",
    "BoardCase",
    "BoardSeats",
    "board_members",
    "CalendarFeed",
    "Clinician",
    "ClinicianPresence",
    "Course",
    "Itinerary",
    "Pathway",
    "Reservation",
    "Resource",
    "ResourceRule",
    "ResourceTimeOff",
    "SiteClosure",
    "FreedSlot",
    "Intake",
    "Location",
    "OutboxMessage",
    "Patient",
    "PhoneState",
    "SlotOffer",
    "SocketPresence",
    "TimeOff",
    "TwilioReceipt",
    "UrgentCase",
    "User",
    "UserSession",
    "UTCDateTime",
    "VisitType",
    "WaitingMessage",
    "WaitlistEntry",
    "WebProcess",
]
