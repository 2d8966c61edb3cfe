"""Waiting-room state that must outlive a process: clinician lateness, live sockets, messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from televisit.models.base import Base, UTCDateTime


class ClinicianPresence(Base):
    """One row per clinician who has said they are running late (0 = on time again)."""

    __tablename__ = "clinician_presence"
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id", ondelete="CASCADE"), primary_key=True)
    late_minutes: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SocketPresence(Base):
    """One row per live socket that joined something: a patient waiting, a clinic dashboard, a visit."""

    __tablename__ = "socket_presence"
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # patient | clinic | visit | board
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True, nullable=True
    )
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinicians.id", ondelete="CASCADE"), index=True, nullable=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the web process holding the socket (WebProcess.name); None: recorded before heartbeats existed
    process: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    # a tumor board session's video room the socket is in ("board:<id>:<date>"; kind "board"), migration 0010
    board_room: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)


class WebProcess(Base):
    """A web process holding waiting-room sockets, and when it last said it is alive (real time)."""

    __tablename__ = "web_processes"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WaitingMessage(Base):
    """A short text between a waiting patient and the clinic."""

    __tablename__ = "waiting_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(8))  # patient | clinic
    body: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
