"""Web processes that hold waiting-room sockets: their heartbeats, and clearing up after one that died.

Socket presence lives in the database (`socket_presence`), one row per live socket, each naming the web
process that holds it. A process that exits cleanly removes its rows as its sockets disconnect; one that
crashes or is killed cannot, and its rows would keep a clinician "online" and patients "connected" for
good. So every such process writes a heartbeat (`beat`, every `WAITING_HEARTBEAT_SECONDS` of real time,
15 by default), and the jobs process clears the sockets of any process silent for four beats
(`clear_dead`), telling the clinics and the lines exactly as if those sockets had disconnected.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from televisit.models import SocketPresence, WebProcess
from televisit.services.waiting_room.presence import disconnected, process_name, upsert_insert
from televisit.services.waiting_room.state import Emit

MISSED_BEATS = 4  # silent this many heartbeats: the process is gone (or cut off from the database)

__all__ = ["MISSED_BEATS", "beat", "clear_dead", "dead_processes", "process_name", "stale_after"]


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
