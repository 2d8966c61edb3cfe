"""The outbox (every SMS and email, planned, claimed, sent), phone-number state, and calendar feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from televisit.models.base import Base, UTCDateTime


class OutboxMessage(Base):
    """One message to one address. `key` is unique: (appointment, rule, channel, appointment sequence).

    status: pending -> sending -> sent | failed; or withdrawn (visit moved/cancelled, or no longer timely:
    `withdrawn_reason` says which) / skipped (opted out).
    """

    __tablename__ = "outbox_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), nullable=True, index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), nullable=True)
    rule: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    provider_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(120), nullable=True)
    to_address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    ics: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON for non-appointment messages
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


class PhoneState(Base):
    """Our own record of a number: opted out (STOP / Twilio 21610) or unable to take SMS (21211/21614)."""

    __tablename__ = "phone_states"
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(120), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TwilioReceipt(Base):
    """A Twilio webhook already acted on: (MessageSid, event), event `inbound` for a reply or the delivery
    status of a status callback. The primary key makes a replay (or a concurrent second delivery) a no-op."""

    __tablename__ = "twilio_receipts"
    message_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(24), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CalendarFeed(Base):
    """A clinician's private, revocable calendar subscription (only the token's hash is stored)."""

    __tablename__ = "calendar_feeds"
    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WaitlistEntry(Base):
    """A patient with a booked visit who wants an earlier slot for it."""

    __tablename__ = "waitlist_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    status: Mapped[str] = mapped_column(String(12), default="waiting")  # waiting | done | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FreedSlot(Base):
    """Time given back by a cancel or a move, written in the same transaction; the jobs process offers it."""

    __tablename__ = "freed_slots"
    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    visit_type_id: Mapped[int] = mapped_column(ForeignKey("visit_types.id"))
    mode: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    taken_by_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), nullable=True)


class SlotOffer(Base):
    """A freed slot offered to one waiting patient; the first acceptance of a slot wins it."""

    __tablename__ = "slot_offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    freed_slot_id: Mapped[int] = mapped_column(ForeignKey("freed_slots.id"), index=True)
    waitlist_entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | accepted | gone | expired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
