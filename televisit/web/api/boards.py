"""The tumor board: boards (admin), their sessions, cases listed, moved, removed and made ready, outcomes."""

from __future__ import annotations

from flask import jsonify, request

from televisit import clock
from televisit.domain.board import MAX_CAPACITY, MAX_DURATION_MINUTES, BoardSession
from televisit.domain.roles import ADMIN, CLINICIAN, SCHEDULER, STAFF
from televisit.domain.timezones import format_hhmm, get_zone, render
from televisit.extensions import db
from televisit.services.board import boards, cases, outcomes
from televisit.web import audit as audit_trail
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import (
    Fields,
    boolean,
    bounded,
    day,
    hhmm,
    ident,
    json_body,
    list_of,
    text,
    tz_query,
    zone_name,
)
from televisit.web.auth import current_actor, roles_required

MAX_SESSION_DAYS = 366
QUESTION, RECOMMENDATION = 2000, 4000


def board_json(board) -> dict:
    return {
        "id": board.id,
        "name": board.name,
        "location_id": board.location_id,
        "timezone": boards.zone_name(db.session, board),
        "weekday": board.weekday,
        "start": format_hhmm(board.start_minute),
        "duration_minutes": board.duration_minutes,
        "capacity": board.capacity,
        "member_ids": [c.id for c in board.members],
    }


def case_json(case, sitting: BoardSession, zone) -> dict:
    return {
        "id": case.id,
        "board_id": case.board_id,
        "date": case.day.isoformat(),
        "start": render(sitting.start, zone),
        "end": render(sitting.end, zone),
        "timezone": zone.key,
        "patient_id": case.patient_id,
        "presenter_id": case.presenter_id,
        "question": case.question,
        "status": case.status,
        "imaging_ready": case.imaging_ready,
        "recommendation": case.recommendation,
        "pathway_id": case.pathway_id,
        "reviewed_at": render(case.reviewed_at, zone) if case.reviewed_at else None,
    }


def _zone(board):
    """The `tz` query parameter's zone, else the board's site's."""
    return tz_query() or get_zone(boards.zone_name(db.session, board))


def _one(case, zone=None):
    board = boards.get_board(db.session, case.board_id)
    sitting = boards.session_of(db.session, board, case.day)
    return jsonify(case_json(case, sitting, zone or _zone(board)))


def _board_input(f: Fields) -> boards.BoardInput:
    data = boards.BoardInput(
        name=f.get("name", text(120), required=True),
        location_id=f.get("location_id", ident, required=True),
        weekday=f.get("weekday", bounded(0, 6), required=True),
        start_minute=f.get("start", _start, required=True),
        duration_minutes=f.get("duration_minutes", bounded(5, MAX_DURATION_MINUTES), required=True),
        capacity=f.get("capacity", bounded(1, MAX_CAPACITY), required=True),
        member_ids=tuple(f.get("member_ids", list_of(ident, max_len=40), default=[])),
    )
    f.done()
    return data


def _start(raw) -> int:
    minute = hhmm(raw)
    if minute >= 24 * 60:
        raise ValueError("expected a time from 00:00 to 23:59")
    return minute


@bp.post("/boards")
@roles_required(ADMIN)
def create_board():
    data = _board_input(Fields(json_body()))
    return jsonify(board_json(boards.create_board(db.session, data, now=clock.now()))), 201


@bp.get("/boards")
@roles_required(*STAFF)
def list_boards():
    return jsonify({"boards": [board_json(b) for b in boards.list_boards(db.session)]})


@bp.get("/boards/<int:board_id>")
@roles_required(*STAFF)
def get_board(board_id: int):
    return jsonify(board_json(boards.get_board(db.session, board_id)))


@bp.put("/boards/<int:board_id>")
@roles_required(ADMIN)
def update_board(board_id: int):
    data = _board_input(Fields(json_body()))
    return jsonify(board_json(boards.update_board(db.session, board_id, data)))


@bp.get("/boards/<int:board_id>/sessions")
@roles_required(*STAFF)
def board_sessions(board_id: int):
    f = Fields(request.args, query=True)
    first, last, tz = f.get("from", day, required=True), f.get("to", day, required=True), f.get("tz", zone_name)
    if first and last and not 0 <= (last - first).days <= MAX_SESSION_DAYS:
        f.errors["to"] = f"must be on or after 'from' and at most {MAX_SESSION_DAYS} days later"
    f.done()
    board = boards.get_board(db.session, board_id)
    zone = get_zone(tz or boards.zone_name(db.session, board))
    found = boards.sessions(db.session, board, first, last)
    return jsonify({"timezone": zone.key, "sessions": [_session_json(v, zone) for v in found]})


def _session_json(view, zone) -> dict:
    return {
        "date": view.session.day.isoformat(),
        "start": render(view.session.start, zone),
        "end": render(view.session.end, zone),
        "cases": view.taken,
        "capacity": view.board.capacity,
    }


@bp.post("/boards/<int:board_id>/cases")
@roles_required(SCHEDULER, ADMIN, CLINICIAN)
def add_board_case(board_id: int):
    zone = tz_query()
    f = Fields(json_body())
    data = cases.CaseInput(
        patient_id=f.get("patient_id", ident, required=True),
        question=f.get("question", text(QUESTION, lines=True), required=True),
        presenter_id=f.get("presenter_id", ident, required=True),
        day=f.get("date", day),
    )
    f.done()
    case, sitting = cases.list_case(
        db.session, board_id, data, actor=current_actor(), now=clock.now(), before_commit=audit_trail.staged(201)
    )
    board = boards.get_board(db.session, board_id)
    return jsonify(case_json(case, sitting, zone or _zone(board))), 201


@bp.get("/boards/<int:board_id>/cases")
@roles_required(*STAFF)
def board_cases(board_id: int):
    f = Fields(request.args, query=True)
    on, tz = f.get("date", day, required=True), f.get("tz", zone_name)
    f.done()
    board = boards.get_board(db.session, board_id)
    found = cases.cases_of(db.session, board_id, on, current_actor())
    zone = get_zone(tz or boards.zone_name(db.session, board))
    sitting = boards.session_of(db.session, board, on)
    audit_trail.viewed_each(found, "board_case.read", "board_case")
    return jsonify({"timezone": zone.key, "cases": [case_json(c, sitting, zone) for c in found]})


@bp.get("/board-cases/<int:board_case_id>")
@roles_required(*STAFF)
def get_board_case(board_case_id: int):
    zone = tz_query()
    return _one(cases.get_case(db.session, board_case_id, current_actor()), zone)


@bp.post("/board-cases/<int:board_case_id>/move")
@roles_required(SCHEDULER, ADMIN, CLINICIAN)
def move_board_case(board_case_id: int):
    zone = tz_query()
    f = Fields(json_body())
    on = f.get("date", day, required=True)
    f.done()
    case, _ = cases.move(db.session, board_case_id, on, actor=current_actor(), now=clock.now())
    return _one(case, zone)


@bp.post("/board-cases/<int:board_case_id>/remove")
@roles_required(SCHEDULER, ADMIN, CLINICIAN)
def remove_board_case(board_case_id: int):
    zone = tz_query()
    return _one(cases.remove(db.session, board_case_id, actor=current_actor(), now=clock.now()), zone)


@bp.post("/board-cases/<int:board_case_id>/readiness")
@roles_required(SCHEDULER, ADMIN, CLINICIAN)
def board_case_readiness(board_case_id: int):
    zone = tz_query()
    f = Fields(json_body())
    ready = f.get("imaging_ready", boolean, required=True)
    f.done()
    return _one(cases.set_imaging_ready(db.session, board_case_id, ready, actor=current_actor(), now=clock.now()), zone)


@bp.post("/board-cases/<int:board_case_id>/outcome")
@roles_required(ADMIN, CLINICIAN)
def board_case_outcome(board_case_id: int):
    zone = tz_query()
    f = Fields(json_body())
    recommendation = f.get("recommendation", text(RECOMMENDATION, lines=True), required=True)
    pathway_id = f.get("pathway_id", ident)
    f.done()
    case = outcomes.record_outcome(
        db.session,
        board_case_id,
        recommendation,
        pathway_id,
        actor=current_actor(),
        now=clock.now(),
        before_commit=audit_trail.staged(200),
    )
    return _one(case, zone)
