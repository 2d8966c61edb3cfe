"""Care as the program gives it: rooms and machines, site closures, what every booking holds
(reservations), pathways and the clinic days and treatment courses booked from them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from televisit.models.base import Base, UTCDateTime


class Resource(Base):
    """A room or machine at one site (an MRI scanner, a linear accelerator, a procedure room)."""

    __tablename__ = "resources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    rules: Mapped[list[ResourceRule]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(ResourceRule.weekday, ResourceRule.start_minute)",
    )

    __table_args__ = (UniqueConstraint("location_id", "name", name="uq_resources_site_name"),)


class ResourceRule(Base):
    """A weekly window when the resource can be used, in its site's wall time (minutes, end up to 1440)."""

    __tablename__ = "resource_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class ResourceTimeOff(Base):
    """A span when the resource cannot be used (service, repair)."""

    __tablename__ = "resource_time_off"
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)


class SiteClosure(Base):
    """A local day the whole site is closed (a holiday): nobody and nothing there is booked that day."""

    __tablename__ = "site_closures"
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (UniqueConstraint("location_id", "day", name="uq_site_closures_site_day"),)


class Reservation(Base):
    """What one appointment holds: its attending clinicians (one row each, the first `primary`) and its
    resources, over the appointment's blocked interval. The database refuses two holding reservations of
    one clinician or one resource that overlap (migration 0009); the primary row follows the appointment
    by trigger, so every path that changes an appointment keeps it right."""

    __tablename__ = "reservations"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("clinicians.id"), nullable=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    block_start: Mapped[datetime] = mapped_column(UTCDateTime())
    block_end: Mapped[datetime] = mapped_column(UTCDateTime())
    holding: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint("(clinician_id IS NULL) <> (resource_id IS NULL)", name="one_party"),
        CheckConstraint("block_start < block_end", name="block_order"),
        Index(
            "ix_reservations_clinician_holding",
            "clinician_id",
            "block_start",
            "block_end",
            "appointment_id",
            postgresql_where=text("holding AND clinician_id IS NOT NULL"),
            sqlite_where=text("holding AND clinician_id IS NOT NULL"),
        ),
        Index(
            "ix_reservations_resource_holding",
            "resource_id",
            "block_start",
            "block_end",
            "appointment_id",
            postgresql_where=text("holding AND resource_id IS NOT NULL"),
            sqlite_where=text("holding AND resource_id IS NOT NULL"),
        ),
    )


class Pathway(Base):
    """An ordered set of steps given on one day at one site (a clinic day), with gap bounds between them."""

    __tablename__ = "pathways"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    steps: Mapped[list] = mapped_column(JSON)  # [{"visit_type_id", "mode"?}, ...]
    min_gap_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_gap_minutes: Mapped[int] = mapped_column(Integer, default=120)
    self_bookable: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Itinerary(Base):
    """A patient's clinic day: one appointment per pathway step, booked, moved and cancelled as one."""

    __tablename__ = "itineraries"
    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Course(Base):
    """A treatment course: `count` fractions of one visit type at the same local time on the pattern's days."""

    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    visit_type_id: Mapped[int] = mapped_column(ForeignKey("visit_types.id"))
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    count: Mapped[int] = mapped_column(Integer)
    pattern: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="booked")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
