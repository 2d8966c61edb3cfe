"""The board session's video room: the waiting room's video mesh (static/js/video.js), for the board.

Who may join: the board's members, the clinicians presenting a case at that session, and admins. The room is
open from 30 minutes before the session starts until an hour after it is due to end (boards overrun). Every
joining socket is recorded in `socket_presence` (kind "board", its `board_room`), so the room knows who is in
it across web processes, the waiting room's sweeps clear the sockets of a process that died, and a socket that
leaves is forgotten on disconnect as any other.

Limit: 8 people (`MAX_CALL_PARTICIPANTS`, the waiting room's). A mesh has each page upload its camera once to
every other page and decode each of theirs: at 8 that is 7 uplinks (about 4-10 Mbit/s up) and 7 decoders,
what a laptop on good broadband manages. A board's members at three sites plus a presenter or two fit; a
ninth person is refused (`conflict`) and told so. Past 8 the board needs a media server (an SFU), not a mesh.
Joins of one board are serialised (its row is locked), so two people joining at once cannot make it nine.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import waiting_room as wr
from televisit.domain.board import HOLDS_A_PLACE, BoardSession
from televisit.domain.errors import Closed, Conflict, Forbidden, Invalid, NotFound, TooEarly
from televisit.domain.roles import ADMIN, CLINICIAN, Actor
from televisit.models import Board, BoardCase, Clinician, SocketPresence, User
from televisit.services.board.boards import is_member, session_of
from televisit.services.waiting_room.callers import Caller
from televisit.services.waiting_room.presence import process_name, upsert_insert
from televisit.services.waiting_room.state import Emit, Outcome

OPENS_BEFORE, CLOSES_AFTER = timedelta(minutes=30), timedelta(minutes=60)
KIND = "board"
MAX_PARTICIPANTS = wr.MAX_CALL_PARTICIPANTS


def room_name(board_id: int, day: date) -> str:
    """Everyone in one session's video room."""
    return f"board:{board_id}:{day.isoformat()}"


def peer_room(board_id: int, day: date, participant: str) -> str:
    """One participant's sockets in that room."""
    return f"{room_name(board_id, day)}:{participant}"


def participant_of(caller: Caller) -> str:
    """How signalling names the caller: "clinician-<id>", or "user-<id>" for an admin who is not a clinician."""
    cid = caller.actor.clinician_id
    return f"clinician-{cid}" if cid else f"user-{caller.actor.user_id}"


def _presenters(session: Session, board_id: int, day: date) -> set[int]:
    stmt = select(BoardCase.presenter_id).where(
        BoardCase.board_id == board_id, BoardCase.day == day, BoardCase.status.in_(HOLDS_A_PLACE)
    )
    return set(session.scalars(stmt))


def may_join(session: Session, board: Board, day: date, actor: Actor) -> bool:
    """Admins, the board's members, and the clinicians presenting a case at that session."""
    if actor.role == ADMIN:
        return True
    if actor.role != CLINICIAN or actor.clinician_id is None:
        return False
    return is_member(board, actor.clinician_id) or actor.clinician_id in _presenters(session, board.id, day)


def is_open(sitting: BoardSession, now: datetime) -> bool:
    """True from 30 minutes before the session until an hour after it is due to end."""
    return sitting.start - OPENS_BEFORE <= now <= sitting.end + CLOSES_AFTER


def _board(session: Session, caller: Caller, board_id: int, day: date, *, lock: bool = False) -> Board:
    """The board, when the caller may be in its room for that session (404 for anyone who may not)."""
    stmt = select(Board).where(Board.id == board_id)
    if lock:  # joins of one board one at a time: the count of who is in the room stays true
        stmt = stmt.with_for_update(key_share=True)
    board = session.scalars(stmt).first()
    if board is None:
        raise NotFound("No such board.")
    actor = caller.actor
    clinician = actor.role == CLINICIAN and actor.clinician_id is not None
    allowed = actor.role == ADMIN or (
        clinician
        and (is_member(board, actor.clinician_id) or actor.clinician_id in _presenters(session, board_id, day))
    )
    if not allowed:
        raise Forbidden("Only the board's members, the session's presenters and admins join its video room.")
    return board


def _open(sitting: BoardSession, now: datetime) -> None:
    if now < sitting.start - OPENS_BEFORE:
        raise TooEarly("The board's video room opens 30 minutes before the session.")
    if now > sitting.end + CLOSES_AFTER:
        raise Closed("This session of the board is over.")


def _in_room(session: Session, name: str) -> list[SocketPresence]:
    return list(session.scalars(select(SocketPresence).where(SocketPresence.board_room == name)))


def _participant(row: SocketPresence) -> str:
    return f"clinician-{row.clinician_id}" if row.clinician_id else f"user-{row.user_id}"


def roster(session: Session, board: Board, day: date, others: list[SocketPresence]) -> list[dict]:
    """Who may be in the call, with names (members and presenters; admins in the room by their user name)."""
    ids = {c.id for c in board.members} | _presenters(session, board.id, day)
    found = session.scalars(select(Clinician).where(Clinician.id.in_(ids)).order_by(Clinician.name))
    people = [{"id": f"clinician-{c.id}", "role": "clinician", "name": c.name} for c in found]
    for row in others:
        if not row.clinician_id and row.user_id:
            user = session.get(User, row.user_id)
            people.append({"id": f"user-{row.user_id}", "role": "admin", "name": user.name if user else "Admin"})
    return people


def join(
    session: Session, caller: Caller, board_id: int, day: date, *, sid: str, now: datetime, ice_servers: list
) -> Outcome:
    """Join the session's video room (and one's own participant room); the ack says who one is in the call,
    who else may be, the limit and the ICE servers. A ninth person is refused."""
    board = _board(session, caller, board_id, day, lock=True)
    _open(session_of(session, board, day), now)
    me = participant_of(caller)
    name = room_name(board_id, day)
    present = _in_room(session, name)
    others = {_participant(r) for r in present if r.sid != sid} - {me}
    if len(others) + 1 > MAX_PARTICIPANTS:
        raise Conflict(f"The board's video room holds at most {MAX_PARTICIPANTS} people and is full.")
    _record(session, sid, caller, name, now)
    ack = {
        "ok": True,
        "role": "clinician" if caller.actor.clinician_id else "admin",
        "participant": me,
        "participants": roster(session, board, day, present),
        "max_participants": MAX_PARTICIPANTS,
        "ice_servers": list(ice_servers),
    }
    return Outcome(ack, [], [name, peer_room(board_id, day, me)])


def _record(session: Session, sid: str, caller: Caller, name: str, now: datetime) -> None:
    values = dict(sid=sid, kind=KIND, appointment_id=None, clinician_id=caller.actor.clinician_id,
                  user_id=caller.user_id, connected_at=now, process=process_name(), board_room=name)  # fmt: skip
    stmt = upsert_insert(session)(SocketPresence).values(**values)
    changed = {k: stmt.excluded[k] for k in ("kind", "appointment_id", "clinician_id", "user_id", "board_room")}
    session.execute(stmt.on_conflict_do_update(index_elements=["sid"], set_=changed))


def relay(
    session: Session, caller: Caller, board_id: int, day: date, kind: object, data: object, *, sid: str, to=None
) -> Outcome:
    """Pass an offer, answer, ICE candidate, ready or hangup on: to the participant `to` (someone in the room),
    or to everyone else in the room. The server stamps `from`."""
    if not wr.valid_signal(kind, data):
        raise Invalid({"kind": f"one of {', '.join(wr.SIGNAL_KINDS)}", "data": "JSON, at most 64 kB"})
    if to is not None and not wr.valid_peer_id(to):
        raise Invalid({"to": "a participant in this room"})
    _board(session, caller, board_id, day)
    name = room_name(board_id, day)
    present = _in_room(session, name)
    if sid not in {r.sid for r in present}:
        raise Conflict("Join the board's video room first.")
    me = participant_of(caller)
    payload = {"board_id": board_id, "date": day.isoformat(), "kind": kind, "data": data, "from": me}
    if to is None:
        return Outcome({"ok": True}, [Emit("board_signal", payload, name, skip_sid=sid)])
    if to == me or to not in {_participant(r) for r in present}:
        raise Invalid({"to": "a participant in this room"})
    payload["to"] = to
    return Outcome({"ok": True}, [Emit("board_signal", payload, peer_room(board_id, day, to), skip_sid=sid)])
