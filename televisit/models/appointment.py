"""The appointment aggregate. Overlap of active appointments is refused by the database itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from televisit.domain.appointments import HOLDS_TIME
from televisit.models.base import Base, UTCDateTime

# the predicate of the partial index below: the statuses that hold a clinician's time
HOLDING = f"status IN ({', '.join(repr(s) for s in HOLDS_TIME)})"


class Appointment(Base):
    """A booked visit. `block_*` is the interval it occupies, buffers included."""

    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    visit_type_id: Mapped[int] = mapped_column(ForeignKey("visit_types.id"))
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="booked")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    block_start: Mapped[datetime] = mapped_column(UTCDateTime())
    block_end: Mapped[datetime] = mapped_column(UTCDateTime())
    patient_region: Mapped[str | None] = mapped_column(String(8), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The virtual waiting room (docs/waiting-room.md): all UTC, all empty until the step happens.
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    check_in_region: Mapped[str | None] = mapped_column(String(8), nullable=True)  # where the patient is now
    video_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    starts_soon_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    licensure_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    patient = relationship("Patient", lazy="joined")
    location = relationship("Location", lazy="joined")
    # Not a column: the site's zone when the service that made this object knew it (a new booking), so
    # rendering the answer needs no query for the location. None: read `location.timezone`.
    site_timezone = None

    __table_args__ = (
        Index("ix_appointments_clinician_block", "clinician_id", "block_start", "block_end"),
        Index("ix_appointments_start", "start_at"),
        Index("ix_appointments_status_start", "status", "start_at"),  # the waiting-room sweeps
        # the slot search: each clinician's bookings that hold time, in start order (services/booking/busy_time.py)
        Index(
            "ix_appointments_holding",
            "clinician_id",
            "block_start",
            "block_end",
            "id",
            postgresql_where=text(HOLDING),
            sqlite_where=text(HOLDING),
        ),
    )
