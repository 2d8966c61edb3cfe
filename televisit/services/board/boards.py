"""Boards: when and where each meets, who sits on it, and its sessions (computed in its site's wall time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from televisit.domain.board import BoardSession, Schedule, is_session_day, session_on, sessions_between, upcoming
from televisit.domain.errors import Conflict, Invalid, NotFound
from televisit.domain.timezones import get_zone, local_date
from televisit.models import Board, Clinician, Location, board_members
from televisit.services.board import seats


@dataclass(frozen=True)
class BoardInput:
    """A board as an admin sets it up (already validated in shape)."""

    name: str
    location_id: int
    weekday: int
    start_minute: int
    duration_minutes: int
    capacity: int
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class SessionView:
    """One session of a board with how many of its places are taken."""

    board: Board
    session: BoardSession
    taken: int

    @property
    def room(self) -> int:
        """Places still free."""
        return max(self.board.capacity - self.taken, 0)


def _members(session: Session, ids: tuple[int, ...]) -> list[Clinician]:
    found = list(session.scalars(select(Clinician).where(Clinician.id.in_(ids)))) if ids else []
    missing = sorted(set(ids) - {c.id for c in found})
    if missing:
        raise Invalid({"member_ids": f"no such clinician: {', '.join(map(str, missing))}"})
    return found


def create_board(session: Session, data: BoardInput, *, now: datetime) -> Board:
    """Add a board (422 for an unknown site or member; 409 for a name in use)."""
    if session.get(Location, data.location_id) is None:
        raise Invalid({"location_id": "no such location"})
    board = Board(
        name=data.name,
        location_id=data.location_id,
        weekday=data.weekday,
        start_minute=data.start_minute,
        duration_minutes=data.duration_minutes,
        capacity=data.capacity,
        created_at=now,
    )
    board.members = _members(session, data.member_ids)
    session.add(board)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("A board with this name exists.", fields={"name": "taken"}) from exc
    return board


def update_board(session: Session, board_id: int, data: BoardInput) -> Board:
    """Change a board's time, length, capacity or members (its cases stay on their dates)."""
    board = get_board(session, board_id)
    if session.get(Location, data.location_id) is None:
        raise Invalid({"location_id": "no such location"})
    for name in ("name", "location_id", "weekday", "start_minute", "duration_minutes", "capacity"):
        setattr(board, name, getattr(data, name))
    board.members = _members(session, data.member_ids)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("A board with this name exists.", fields={"name": "taken"}) from exc
    return board


def list_boards(session: Session) -> list[Board]:
    """Every board, by name."""
    return list(session.scalars(select(Board).order_by(Board.name)))


def get_board(session: Session, board_id: int) -> Board:
    """The board or NotFound."""
    board = session.get(Board, board_id)
    if board is None:
        raise NotFound("No such board.")
    return board


def zone_name(session: Session, board: Board) -> str:
    """The IANA zone of the board's site."""
    return session.get(Location, board.location_id).timezone


def schedule_of(session: Session, board: Board) -> Schedule:
    """When the board meets, for the pure session arithmetic."""
    return Schedule(board.weekday, board.start_minute, board.duration_minutes, get_zone(zone_name(session, board)))


def session_for(session: Session, board: Board, day: date, field: str = "date") -> BoardSession:
    """The session on local `day`, or Invalid naming `field` when the board does not meet that day."""
    schedule = schedule_of(session, board)
    if not is_session_day(schedule, day):
        weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[board.weekday]
        raise Invalid({field: f"the board meets on {weekday}s"}, "The board does not meet that day.")
    return session_on(schedule, day)


def session_of(session: Session, board: Board, day: date) -> BoardSession:
    """The session on local `day` (a case's: its date is kept should the board move to another weekday)."""
    return session_on(schedule_of(session, board), day)


def sessions(session: Session, board: Board, first: date, last: date) -> list[SessionView]:
    """The board's sessions on its local dates `first`..`last`, with the places taken."""
    found = sessions_between(schedule_of(session, board), first, last)
    counts = seats.taken(session, board.id, [s.day for s in found])
    return [SessionView(board, s, counts[s.day]) for s in found]


def upcoming_sessions(session: Session, board: Board, now: datetime, *, weeks: int | None = None) -> list[SessionView]:
    """The sessions still to come (not started), over the next `weeks` weeks (the default horizon)."""
    schedule = schedule_of(session, board)
    found = upcoming(schedule, now) if weeks is None else upcoming(schedule, now, weeks=weeks)
    counts = seats.taken(session, board.id, [s.day for s in found])
    return [SessionView(board, s, counts[s.day]) for s in found]


def boards_of_member(session: Session, clinician_id: int) -> list[Board]:
    """The boards a clinician sits on."""
    bm = board_members.c
    stmt = select(Board).join(board_members, bm.board_id == Board.id).where(bm.clinician_id == clinician_id)
    return list(session.scalars(stmt.order_by(Board.name)))


def member_sessions(session: Session, clinician_id: int, now: datetime, *, weeks: int = 4) -> list[SessionView]:
    """A member's sessions from today (at each board's site) for `weeks` weeks, in time order, including one
    under way."""
    out = []
    for board in boards_of_member(session, clinician_id):
        schedule = schedule_of(session, board)
        today = local_date(now, schedule.zone)
        found = [s for s in sessions_between(schedule, today, today + timedelta(weeks=weeks)) if s.end > now]
        counts = seats.taken(session, board.id, [s.day for s in found])
        out += [SessionView(board, s, counts[s.day]) for s in found]
    return sorted(out, key=lambda v: (v.session.start, v.board.name))


def is_member(board: Board, clinician_id: int | None) -> bool:
    """True when the clinician sits on the board."""
    return clinician_id is not None and any(c.id == clinician_id for c in board.members)
