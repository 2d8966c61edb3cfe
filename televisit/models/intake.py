"""First-visit intakes and the urgent cases their red flags open for the schedulers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from televisit.models.base import Base, UTCDateTime


class Intake(Base):
    """One patient's answers to the first-visit questions (televisit/domain/triage.py), kept as submitted."""

    __tablename__ = "intakes"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    need: Mapped[str | None] = mapped_column(String(32), nullable=True)  # what they were booking (NEEDS key)
    answers: Mapped[dict] = mapped_column(JSON)
    red_flags: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UrgentCase(Base):
    """A patient whose intake raised red flags, or who said at a video visit's check-in that they have had new
    red-flag symptoms since booking (`source` "check_in", `appointment_id` the visit, no intake): open until a
    scheduler resolves it with a note."""

    __tablename__ = "urgent_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"), nullable=True)
    source: Mapped[str] = mapped_column(String(12), default="intake", server_default="intake")  # intake | check_in
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), nullable=True, index=True
    )
    flags: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | resolved
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    patient = relationship("Patient", lazy="joined")
    intake = relationship("Intake", lazy="joined")

    __table_args__ = (
        Index("ix_urgent_cases_status_created", "status", "created_at"),
        Index("ix_urgent_cases_status_resolved", "status", "resolved_at"),
    )
