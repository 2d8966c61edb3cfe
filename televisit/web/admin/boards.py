"""Admin pages for tumor boards: the list, and a board's setup (its site, weekday and local start time in the
site's wall time, length, how many cases a session takes, and its members)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.board import MAX_CAPACITY, MAX_DURATION_MINUTES
from televisit.domain.calendar import WEEKDAYS
from televisit.domain.errors import DomainError
from televisit.domain.roles import ADMIN
from televisit.domain.timezones import format_hhmm
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.board import boards
from televisit.web.admin.blueprint import bp
from televisit.web.api.parse import Fields, bounded, hhmm, ident, list_of, text
from televisit.web.staff import desk_roles, form_body, problem

WORDS = {
    "name": "Give the board a name.",
    "location_id": "Choose the site where the board meets.",
    "weekday": "Choose the day of the week.",
    "start": "Give the start time as HH:MM in the site's time, e.g. 07:30.",
    "duration_minutes": f"Give the length in minutes (5 to {MAX_DURATION_MINUTES}).",
    "capacity": f"Give how many cases one session takes (1 to {MAX_CAPACITY}).",
    "member_ids": "Choose members from the list.",
}


@bp.get("/boards")
@desk_roles(ADMIN)
def boards_list():
    found = boards.list_boards(db.session)
    sites = {loc.id: loc for loc in catalog.list_locations(db.session)}
    return render_template("admin/boards.html", boards=found, sites=sites, weekdays=WEEKDAYS, hhmm=format_hhmm)


def _form_page(board=None, form=None, trouble=None):
    values = form or _values(board)
    html = render_template(
        "admin/board_form.html",
        board=board,
        form=values,
        members=[str(m) for m in (request.form.getlist("member_ids") if form else values.get("member_ids", []))],
        sites=[(loc.id, f"{loc.name} ({loc.timezone})") for loc in catalog.list_locations(db.session)],
        weekdays=list(enumerate(WEEKDAYS)),
        member_choices=[
            (c.id, f"{c.name} ({c.specialty.replace('_', ' ')})") for c in catalog.list_clinicians(db.session)
        ],
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


def _values(board) -> dict:
    if board is None:
        return {"weekday": "1", "start": "07:30", "duration_minutes": "90", "capacity": "12", "member_ids": []}
    return {
        "name": board.name,
        "location_id": str(board.location_id),
        "weekday": str(board.weekday),
        "start": format_hhmm(board.start_minute),
        "duration_minutes": str(board.duration_minutes),
        "capacity": str(board.capacity),
        "member_ids": [str(c.id) for c in board.members],
    }


def _input(form) -> boards.BoardInput:
    body = form_body(form, ints=("location_id", "weekday", "duration_minutes", "capacity"), int_lists=("member_ids",))
    f = Fields(body)
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
        raise ValueError("before 24:00")
    return minute


def _worded(exc: DomainError):
    found = problem(exc)
    if found.fields:
        found.fields = {k: WORDS.get(k, v) for k, v in found.fields.items()}
        found.message = "Please correct the fields marked below."
    return found


@bp.get("/boards/new")
@desk_roles(ADMIN)
def new_board():
    return _form_page()


@bp.post("/boards")
@desk_roles(ADMIN)
def create_board():
    try:
        board = boards.create_board(db.session, _input(request.form), now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        return _form_page(form=request.form.to_dict(), trouble=_worded(exc))
    flash(f"Saved the board {board.name}. Its sessions now block its members' calendars.")
    return redirect(url_for("admin.boards_list"))


@bp.get("/boards/<int:board_id>")
@desk_roles(ADMIN)
def edit_board(board_id: int):
    return _form_page(boards.get_board(db.session, board_id))


@bp.post("/boards/<int:board_id>")
@desk_roles(ADMIN)
def save_board(board_id: int):
    board = boards.get_board(db.session, board_id)
    try:
        boards.update_board(db.session, board_id, _input(request.form))
    except DomainError as exc:
        db.session.rollback()
        return _form_page(board, form=request.form.to_dict(), trouble=_worded(exc))
    flash(f"Saved the board {board.name}.")
    return redirect(url_for("admin.boards_list"))
