"""Web processes that hold waiting-room sockets: their heartbeats, and clearing up after one that died.

Socket presence lives in the database (`socket_presence`), one row per live socket, each naming the web
process that holds it. A process that exits cleanly removes its rows as its sockets disconnect; one that
crashes or is killed cannot, and its rows would keep a clinician "online" and patients "connected" for
good. So every such process writes a heartbeat (`beat`, every `WAITING_HEARTBEAT_SECONDS` of real time,
15 by default), and the jobs process clears the sockets of any process silent for four beats
(`clear_dead`), telling the clinics and the lines exactly as if those sockets had disconnected.

The jobs process beats in the same table (named `jobs@host:pid`, holding no sockets), so that every web
process can tell whether the jobs are alive (`last_beat`, reported by GET /readyz). A standby jobs process, waiting
for the jobs lock, beats as `jobs-standby@host:pid` (`live_names`: /readyz and /metrics report it).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.models import Appointment, SocketPresence, WebProcess
from televisit.services.waiting_room.presence import disconnected, process_name, upsert_insert
from televisit.services.waiting_room.state import Emit

MISSED_BEATS = 4  # silent this many heartbeats: the process is gone (or cut off from the database)
JOBS = "jobs@"  # the jobs process beats too (jobs/definitions.py), under this prefix: /readyz reports its silence
JOBS_STANDBY = "jobs-standby@"  # a jobs process waiting for the jobs lock (jobs/standby.py)

__all__ = [
    "JOBS",
    "JOBS_STANDBY",
    "MISSED_BEATS",
    "beat",
    "clear_dead",
    "dead_processes",
    "forget",
    "jobs_process_name",
    "last_beat",
    "live_names",
    "process_name",
    "stale_after",
    "waiting_here",
]


def stale_after(heartbeat_seconds: float) -> timedelta:
    """How long a process may stay silent before its sockets are cleared."""
    return timedelta(seconds=MISSED_BEATS * heartbeat_seconds)


def beat(session: Session, name: str, *, wall_now: datetime) -> None:
    """Say that process `name` is alive (an upsert: several threads may beat at once; the caller commits)."""
    stmt = upsert_insert(session)(WebProcess).values(name=name, started_at=wall_now, seen_at=wall_now)
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"seen_at": stmt.excluded.seen_at}))


def dead_processes(session: Session, *, wall_now: datetime, stale: timedelta) -> list[str]:
    """Processes whose last heartbeat is older than `stale`."""
    return list(session.scalars(select(WebProcess.name).where(WebProcess.seen_at < wall_now - stale)))


def clear_dead(session: Session, *, now: datetime, wall_now: datetime, stale: timedelta) -> tuple[int, list[Emit]]:
    """Forget every socket of every dead process, as disconnections (the caller commits, then emits).

    Returns how many sockets were cleared and the events the clinics and lines must hear."""
    names = dead_processes(session, wall_now=wall_now, stale=stale)
    if not names:
        return 0, []
    sids = list(session.scalars(select(SocketPresence.sid).where(SocketPresence.process.in_(names))))
    emits: list[Emit] = []
    for sid in sids:
        emits.extend(disconnected(session, sid, now=now))
    session.execute(delete(WebProcess).where(WebProcess.name.in_(names)))
    return len(sids), emits


def jobs_process_name(prefix: str = JOBS) -> str:
    """This jobs process's heartbeat name (`JOBS_STANDBY` as `prefix` while it waits for the jobs lock)."""
    return f"{prefix}{socket.gethostname()[:40]}:{os.getpid()}"


def forget(session: Session, name: str) -> None:
    """Remove process `name`'s heartbeat row (a standby that took over or stopped; the caller commits)."""
    session.execute(delete(WebProcess).where(WebProcess.name == name))


def live_names(session, prefix: str, *, since: datetime) -> list[str]:
    """Names starting with `prefix` of the processes that beat after `since`."""
    stmt = select(WebProcess.name).where(WebProcess.name.startswith(prefix), WebProcess.seen_at >= since)
    return sorted(session.execute(stmt).scalars())


def last_beat(session, prefix: str) -> datetime | None:
    """The latest heartbeat of any process whose name starts with `prefix` (None: none has beaten)."""
    return session.execute(select(func.max(WebProcess.seen_at)).where(WebProcess.name.startswith(prefix))).scalar()


def waiting_here(session: Session, name: str) -> int:
    """How many checked-in patients have a socket held by process `name`."""
    stmt = (
        select(func.count(func.distinct(SocketPresence.appointment_id)))
        .join(Appointment, Appointment.id == SocketPresence.appointment_id)
        .where(SocketPresence.process == name, SocketPresence.kind == "patient")
        .where(Appointment.status == st.CHECKED_IN)
    )
    return int(session.scalar(stmt) or 0)
