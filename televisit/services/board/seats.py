"""Places taken in a board's sessions: the capacity guard, in the database (DESIGN rule 6).

One row per session (`board_seats`: a board and its local date) counts the places taken. A place is taken
with one guarded UPDATE (`taken = taken + 1 WHERE taken < capacity`): two listings of the last place at
once cannot both succeed. On PostgreSQL the second UPDATE waits for the first's row lock and, once that
commits, re-checks its condition and finds it false; SQLite serialises every write (BEGIN IMMEDIATE). The
row is created first if missing with INSERT ... ON CONFLICT DO NOTHING, so two first listings of a session
make one row. A move takes and releases the two rows in date order, so two opposite moves cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from televisit.models import BoardSeats

_SEATS = BoardSeats.__table__


def _ensure(session: Session, board_id: int, day: date) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_SEATS).values(board_id=board_id, day=day, taken=0).on_conflict_do_nothing()
    session.connection().execute(stmt)


def take(session: Session, board_id: int, day: date, capacity: int) -> bool:
    """Take one place of the session if one is free; False when it is full (nothing changed)."""
    _ensure(session, board_id, day)
    c = _SEATS.c
    guarded = update(_SEATS).where(c.board_id == board_id, c.day == day, c.taken < capacity).values(taken=c.taken + 1)
    return session.connection().execute(guarded).rowcount == 1


def release(session: Session, board_id: int, day: date) -> None:
    """Give one place of the session back (a case removed or moved away)."""
    c = _SEATS.c
    session.connection().execute(
        update(_SEATS).where(c.board_id == board_id, c.day == day, c.taken > 0).values(taken=c.taken - 1)
    )


def move(session: Session, board_id: int, source: date, target: date, capacity: int) -> bool:
    """Release a place of `source` and take one of `target`, locking the two rows in date order; False (and
    the caller rolls back) when `target` is full."""
    if source < target:
        release(session, board_id, source)
        return take(session, board_id, target, capacity)
    if not take(session, board_id, target, capacity):
        return False
    release(session, board_id, source)
    return True


def taken(session: Session, board_id: int, days: Iterable[date]) -> dict[date, int]:
    """Places taken per session day (0 for a session nobody has listed into)."""
    days = list(days)
    if not days:
        return {}
    c = _SEATS.c
    rows = session.connection().execute(select(c.day, c.taken).where(c.board_id == board_id, c.day.in_(days)))
    found = {_as_date(day): count for day, count in rows}
    return {day: found.get(day, 0) for day in days}


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
