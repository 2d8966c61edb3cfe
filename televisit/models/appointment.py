"""The appointment aggregate. Overlap of what active appointments hold is refused by the database itself
(through `reservations`, models/care.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from televisit.models.base import Base, UTCDateTime


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
    # A FHIR `$hold` (migration 0013): status `pending` until booked or this instant passes (then swept).
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Care as the program gives it (migration 0009): every attending clinician (the first is `clinician_id`)
    # and the resources held, as read (the database guards them through `reservations`); the clinic day
    # or treatment course the visit belongs to.
    clinician_ids: Mapped[list | None] = mapped_column(JSON(none_as_null=True), nullable=True)  # None: [clinician_id]
    resource_ids: Mapped[list | None] = mapped_column(JSON(none_as_null=True), nullable=True)  # None: []
    itinerary_id: Mapped[int | None] = mapped_column(ForeignKey("itineraries.id"), nullable=True, index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    patient = relationship("Patient", lazy="joined")
    location = relationship("Location", lazy="joined")
    # Not a column: the site's zone when the service that made this object knew it (a new booking), so
    # rendering the answer needs no query for the location. None: read `location.timezone`.
    site_timezone = None

    @property
    def attending_ids(self) -> list[int]:
        """Every attending clinician, the primary first."""
        return list(self.clinician_ids or [self.clinician_id])

    @property
    def held_resource_ids(self) -> list[int]:
        """The resources this visit holds."""
        return list(self.resource_ids or [])

    __table_args__ = (
        Index("ix_appointments_clinician_block", "clinician_id", "block_start", "block_end"),
        Index("ix_appointments_start", "start_at"),
        Index("ix_appointments_status_start", "status", "start_at"),  # the waiting-room sweeps
    )
