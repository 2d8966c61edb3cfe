"""Cases for the board: listed into a session (the earliest still to come with room, or a chosen one), read
in agenda order, moved to another session, removed, and marked ready (imaging uploaded or reviewed).

Only staff see cases. Schedulers, admins and clinicians list, move and remove them and tick readiness; a
reviewed case stays where it was discussed (it is the record of that discussion) and a removed one stays
removed. Every place a case holds is counted in `board_seats` (services/board/seats.py), in the same
transaction as the case's own change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.board import HOLDS_A_PLACE, HORIZON_WEEKS, LISTED, REMOVED, REVIEWED, BoardSession
from televisit.domain.errors import BoardFull, Conflict, Forbidden, Invalid, NotFound
from televisit.domain.roles import ADMIN, CLINICIAN, SCHEDULER, STAFF, Actor
from televisit.models import Board, BoardCase, Clinician, Patient
from televisit.services.board import seats
from televisit.services.board.boards import get_board, session_for, upcoming_sessions

MANAGERS = (SCHEDULER, ADMIN, CLINICIAN)  # who lists, moves and removes cases and ticks readiness


@dataclass(frozen=True)
class CaseInput:
    """A case as listed: whose, the question for the board, who presents it, and the session (None: the
    earliest still to come with room)."""

    patient_id: int
    question: str
    presenter_id: int
    day: date | None = None


def _may_manage(actor: Actor) -> None:
    if actor.role not in MANAGERS:
        raise Forbidden("Only schedulers, clinicians and admins manage the board's cases.")


def _may_see(actor: Actor) -> None:
    if actor.role not in STAFF:
        raise Forbidden("Only staff see the board's cases.")


def _check_parties(session: Session, data: CaseInput) -> None:
    fields = {}
    if session.get(Patient, data.patient_id) is None:
        fields["patient_id"] = "no such patient"
    if session.get(Clinician, data.presenter_id) is None:
        fields["presenter_id"] = "no such clinician"
    if fields:
        raise Invalid(fields)


def _chosen(session: Session, board: Board, day: date, now: datetime) -> BoardSession:
    """The session on `day`, still to come, with a place now taken in it (422, or 409 board_full)."""
    found = session_for(session, board, day)
    if found.start <= now:
        raise Invalid({"date": "that session has started or is over"}, "That session has started or is over.")
    if not seats.take(session, board.id, day, board.capacity):
        session.rollback()
        raise BoardFull("That session of the board is full. Please choose another session.")
    return found


def _earliest(session: Session, board: Board, now: datetime) -> BoardSession:
    """The earliest session still to come with room, a place now taken in it (409 board_full: none)."""
    for view in upcoming_sessions(session, board, now):
        if view.room and seats.take(session, board.id, view.session.day, board.capacity):
            return view.session
    session.rollback()
    raise BoardFull(f"Every session of the board in the next {HORIZON_WEEKS} weeks is full.")


def list_case(
    session: Session,
    board_id: int,
    data: CaseInput,
    *,
    actor: Actor,
    now: datetime,
    before_commit: Callable[[BoardCase], None] | None = None,
) -> tuple[BoardCase, BoardSession]:
    """List a case for a session of the board; returns it with its session."""
    _may_manage(actor)
    board = get_board(session, board_id)
    _check_parties(session, data)
    chosen = _earliest(session, board, now) if data.day is None else _chosen(session, board, data.day, now)
    case = BoardCase(
        board_id=board.id,
        day=chosen.day,
        patient_id=data.patient_id,
        presenter_id=data.presenter_id,
        question=data.question,
        status=LISTED,
        imaging_ready=False,
        placed_at=now,
        created_by_user_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    if before_commit:
        before_commit(case)
    session.commit()
    return case, chosen


def get_case(session: Session, case_id: int, actor: Actor) -> BoardCase:
    """The case (staff only: 403 for anyone else; 404 when there is none)."""
    _may_see(actor)
    case = session.get(BoardCase, case_id)
    if case is None:
        raise NotFound("No such case.")
    return case


def cases_of(session: Session, board_id: int, day: date, actor: Actor, *, removed: bool = False) -> list[BoardCase]:
    """The cases of one session in agenda order (listed or moved there first, first); removed ones only when
    asked for."""
    _may_see(actor)
    get_board(session, board_id)
    stmt = select(BoardCase).where(BoardCase.board_id == board_id, BoardCase.day == day)
    if not removed:
        stmt = stmt.where(BoardCase.status.in_(HOLDS_A_PLACE))
    return list(session.scalars(stmt.order_by(BoardCase.placed_at, BoardCase.id)))


def _changeable(session: Session, case_id: int, actor: Actor) -> BoardCase:
    """A case that may still be moved or removed: listed (409 once reviewed or removed)."""
    _may_manage(actor)
    case = get_case(session, case_id, actor)
    if case.status == REVIEWED:
        raise Conflict("The board has reviewed this case; it stays on the session where it was discussed.")
    if case.status == REMOVED:
        raise Conflict("This case was removed from the board.")
    return case


def move(session: Session, case_id: int, day: date, *, actor: Actor, now: datetime) -> tuple[BoardCase, BoardSession]:
    """Move a listed case to another session still to come (409 board_full when it has no room); it goes to
    the end of that session's agenda."""
    case = _changeable(session, case_id, actor)
    board = get_board(session, case.board_id)
    target = session_for(session, board, day)
    if target.start <= now:
        raise Invalid({"date": "that session has started or is over"}, "That session has started or is over.")
    if day != case.day:
        if not seats.move(session, board.id, case.day, day, board.capacity):
            session.rollback()
            raise BoardFull("That session of the board is full. Please choose another session.")
        case.day, case.placed_at = day, now
    case.updated_at = now
    session.commit()
    return case, target


def remove(session: Session, case_id: int, *, actor: Actor, now: datetime) -> BoardCase:
    """Take a listed case off the board; its place is free again."""
    case = _changeable(session, case_id, actor)
    seats.release(session, case.board_id, case.day)
    case.status, case.updated_at = REMOVED, now
    session.commit()
    return case


def set_imaging_ready(session: Session, case_id: int, ready: bool, *, actor: Actor, now: datetime) -> BoardCase:
    """Tick or untick "imaging ready" (uploaded or reviewed) on a case that is not removed."""
    _may_manage(actor)
    case = get_case(session, case_id, actor)
    if case.status == REMOVED:
        raise Conflict("This case was removed from the board.")
    case.imaging_ready, case.updated_at = ready, now
    session.commit()
    return case
