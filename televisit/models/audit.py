"""The append-only audit trail of reads and changes of patient data (database triggers refuse edits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from televisit.models.base import Base, UTCDateTime


class AuditEvent(Base):
    """Who did what to which patient data, when and from where. Never updated or deleted."""

    __tablename__ = "audit_events"
    # The test fixtures' table wipe skips it: the database refuses DELETE and TRUNCATE here.
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_user_at", "user_id", "at"),
        Index("ix_audit_events_patient_at", "patient_id", "at"),
        Index("ix_audit_events_object", "object_type", "object_id"),
        {"info": {"append_only": True}},
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # no foreign key: outlives its user
    role: Mapped[str] = mapped_column(String(16))  # admin/scheduler/clinician/patient, "link" or "anonymous"
    action: Mapped[str] = mapped_column(String(48))  # e.g. appointment.read, appointment.cancel
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    patient_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[int] = mapped_column(Integer)  # the HTTP status (or 200/403... for a socket ack)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(16))  # api, page, link, feed, socket, fhir, job
