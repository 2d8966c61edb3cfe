"""Which sockets are live (socket_presence): patients connected, clinicians online; kept in the database."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.models import Appointment, SocketPresence
from televisit.services.waiting_room.callers import Caller
from televisit.services.waiting_room.state import Emit, Later, clinic_room, line_room, list_emit, online, status_of

_NAME: dict[int, str] = {}


def process_name() -> str:
    """This process's name (host:pid:random) in `socket_presence.process`; made after any fork, so each
    gunicorn worker has its own (services/waiting_room/processes.py keeps their heartbeats)."""
    pid = os.getpid()
    if pid not in _NAME:
        _NAME[pid] = f"{socket.gethostname()[:40]}:{pid}:{secrets.token_hex(3)}"
    return _NAME[pid]


def upsert_insert(session: Session):
    """The dialect's INSERT (both offer ON CONFLICT DO NOTHING / DO UPDATE)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def record(
    session: Session,
    sid: str,
    kind: str,
    caller: Caller,
    *,
    now: datetime,
    appointment_id: int | None = None,
    clinician_id: int | None = None,
    keep_existing: bool = False,
) -> None:
    """Note what socket `sid` joined (an upsert: a socket has one row; `keep_existing` keeps an earlier role)."""
    values = dict(
        sid=sid,
        kind=kind,
        appointment_id=appointment_id,
        clinician_id=clinician_id,
        user_id=caller.user_id,
        connected_at=now,
        process=process_name(),
    )
    stmt = upsert_insert(session)(SocketPresence).values(**values)
    if keep_existing:
        stmt = stmt.on_conflict_do_nothing(index_elements=["sid"])
    else:
        changed = {k: stmt.excluded[k] for k in ("kind", "appointment_id", "clinician_id", "user_id")}
        stmt = stmt.on_conflict_do_update(index_elements=["sid"], set_=changed)
    session.execute(stmt)


SHOWN = (st.CHECKED_IN, st.IN_VISIT)  # statuses the clinic's list shows, each with "connected"


def patient_seen(session: Session, appt: Appointment, now: datetime) -> list[Emit]:
    """The clinic's list again after one of the patient's sockets came or went (connected = any socket is).

    Always the whole list, read now: whichever copy arrives last is true, so the clinic never keeps a stale
    "Not connected" (a new tab or a reconnection, then the old socket's late disconnect)."""
    if appt.status not in SHOWN:
        return []
    return [list_emit(session, cid, now) for cid in appt.attending_ids]  # each clinician of a joint visit


def seen_later(appointment_id: int, now: datetime) -> Later:
    """`patient_seen`, read after the commit that recorded the socket."""

    def build(session: Session) -> list[Emit]:
        appt = session.get(Appointment, appointment_id)
        return patient_seen(session, appt, now) if appt is not None else []

    return build


def disconnected(session: Session, sid: str, *, now: datetime) -> list[Emit]:
    """Forget socket `sid`; the clinic hears when a patient's socket goes, the line when the clinician leaves."""
    row = session.scalars(select(SocketPresence).where(SocketPresence.sid == sid)).first()
    if row is None:
        return []
    kind, appointment_id, clinician_id = row.kind, row.appointment_id, row.clinician_id
    session.execute(delete(SocketPresence).where(SocketPresence.sid == sid))
    if kind == "patient" and appointment_id is not None:
        appt = session.get(Appointment, appointment_id)
        return patient_seen(session, appt, now) if appt is not None else []
    if kind == "clinic" and clinician_id is not None and not online(session, clinician_id):
        status = status_of(session, clinician_id, now)
        return [Emit("clinician_status", status, [line_room(clinician_id), clinic_room(clinician_id)])]
    return []


def forget_all(session: Session) -> int:
    """Drop every presence row (a single web process starting owns all sockets; earlier rows are stale)."""
    return session.execute(delete(SocketPresence)).rowcount or 0
