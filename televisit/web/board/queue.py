"""The desk's "to book" queue: reviewed cases whose plan names a pathway the patient has not been booked for
since, each with a link into the desk's clinic-day booking of that pathway for that patient."""

from __future__ import annotations

from flask import render_template

from televisit.domain.roles import ADMIN, SCHEDULER
from televisit.extensions import db
from televisit.services.board import agenda as pages
from televisit.services.board import boards
from televisit.web import audit as audit_trail
from televisit.web.auth import current_actor
from televisit.web.board.blueprint import bp, clocks_for
from televisit.web.staff import desk_roles


@bp.get("/to-book")
@desk_roles(ADMIN, SCHEDULER)
def to_book():
    found = boards.list_boards(db.session)
    clocks = clocks_for(current_actor(), boards.zone_name(db.session, found[0]) if found else "America/New_York")
    rows = pages.to_book(db.session, clocks)
    audit_trail.viewed_each(rows, "board_case.read", "board_case")
    return render_template("board/to_book.html", rows=rows)
