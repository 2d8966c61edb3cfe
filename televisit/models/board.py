"""The tumor board: boards (when and where they meet, who sits on them), the places taken in each session,
and the cases listed for them with the board's outcome."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from televisit.models.base import Base, UTCDateTime

# Who sits on a board (clinicians). A catalog table: a session is busy time for each member, so the slot
# engine keeps boards and members in its in-memory catalog (migration 0010 adds the stamp triggers).
board_members = Table(
    "board_members",
    Base.metadata,
    Column("board_id", ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True),
    Column("clinician_id", ForeignKey("clinicians.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Board(Base):
    """A weekly case conference: its site, weekday and local start time (the site's wall time), its length,
    how many cases one session takes, and its members."""

    __tablename__ = "boards"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight at the site
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    members = relationship("Clinician", secondary=board_members, lazy="selectin", order_by="Clinician.id")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("start_minute BETWEEN 0 AND 1439", name="start_minute"),
        CheckConstraint("duration_minutes > 0", name="duration"),
        CheckConstraint("capacity > 0", name="capacity"),
    )


class BoardSeats(Base):
    """How many places of one session (a board and its local date) are taken: the capacity guard.

    Listing a case takes a place with one guarded UPDATE (`taken = taken + 1 WHERE taken < capacity`), so two
    listings of the last place at once cannot both succeed: on PostgreSQL the second UPDATE waits for the
    first's row lock and then finds the condition false; on SQLite writes are serialised (BEGIN IMMEDIATE).
    """

    __tablename__ = "board_seats"
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    taken: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("taken >= 0", name="taken"),)


class BoardCase(Base):
    """A patient's case listed for one session, with the question for the board, who presents it, whether its
    imaging is ready, and (once reviewed) the recommendation and the pathway to book."""

    __tablename__ = "board_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    day: Mapped[date] = mapped_column(Date)  # the session's local date at the board's site
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    presenter_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id"))
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="listed")
    imaging_ready: Mapped[bool] = mapped_column(Boolean, default=False)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the agenda's order: listed or moved here
    recommendation: Mapped[str | None] = mapped_column(Text, nullable=True)
    pathway_id: Mapped[int | None] = mapped_column(ForeignKey("pathways.id"), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reviewed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    patient = relationship("Patient", lazy="joined")

    __table_args__ = (
        CheckConstraint("status IN ('listed', 'reviewed', 'removed')", name="status"),
        Index("ix_board_cases_session", "board_id", "day", "placed_at"),
        Index("ix_board_cases_reviewed", "status", "reviewed_at"),
    )
