"""Locations, visit types and clinicians with their weekly availability and time off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from televisit.models.base import Base, UTCDateTime

clinician_visit_types = Table(
    "clinician_visit_types",
    Base.metadata,
    Column("clinician_id", ForeignKey("clinicians.id", ondelete="CASCADE"), primary_key=True),
    Column("visit_type_id", ForeignKey("visit_types.id", ondelete="CASCADE"), primary_key=True),
)

# One row whose `stamp` the database changes (migration 0006's triggers) whenever a catalog table changes:
# processes keep the catalog in memory while the stamp is the same (televisit/services/booking/snapshot.py).
catalog_state = Table(
    "catalog_state",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("stamp", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
    info={"singleton": True},  # never emptied (the tests' wipe keeps it)
)


class Location(Base):
    """A clinic site; its IANA zone governs every wall time there."""

    __tablename__ = "locations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(8))
    country: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))


class VisitType(Base):
    """What is booked: length, modes, buffers and booking horizon."""

    __tablename__ = "visit_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    modes: Mapped[list] = mapped_column(JSON)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_advance_days: Mapped[int] = mapped_column(Integer, default=180)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    reminder_policy: Mapped[list | None] = mapped_column(JSON, nullable=True)  # None = the default policy
    # A visit holds one resource of each kind at its site (e.g. ["linac"]); a joint visit is attended by
    # one clinician of each specialty together (the first specialty's clinician leads it).
    resource_kinds: Mapped[list] = mapped_column(JSON, default=list)
    team_specialties: Mapped[list] = mapped_column(JSON, default=list)


class Clinician(Base):
    """A member of the care team, with licences (regions) and the visit types they offer."""

    __tablename__ = "clinicians"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    specialty: Mapped[str] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    licenses: Mapped[list] = mapped_column(JSON, default=list)
    visit_types: Mapped[list[VisitType]] = relationship(secondary=clinician_visit_types, lazy="selectin")
    rules: Mapped[list[AvailabilityRule]] = relationship(
        back_populates="clinician",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(AvailabilityRule.weekday, AvailabilityRule.start_minute)",
    )


class AvailabilityRule(Base):
    """A weekly window in the location's wall time (minutes since local midnight, end up to 1440)."""

    __tablename__ = "availability_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    modes: Mapped[list] = mapped_column(JSON)
    clinician: Mapped[Clinician] = relationship(back_populates="rules")


class TimeOff(Base):
    """A span when the clinician sees no one (instants; whole local days are stored as their bounds)."""

    __tablename__ = "time_off"
    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
