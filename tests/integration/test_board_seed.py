"""`flask seed-demo` and the tumor board (both databases): a board at the Cleveland campus on Tuesdays at 07:30
with members at all three sites, a few demo patients' cases listed for the next session, no demo booking of a
member during a session, and a second run that changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from televisit.domain.board import Schedule, sessions_between
from televisit.domain.timezones import get_zone
from televisit.extensions import db
from televisit.models import Appointment, Board, BoardCase, BoardSeats, Clinician, Location, Reservation, VisitType


@pytest.fixture
def cli(app, frozen_now):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _board() -> Board:
    return db.session.scalars(select(Board).where(Board.name == "Spine tumor board")).one()


def test_seed_demo_sets_up_the_board_with_members_at_three_sites_and_lists_cases(cli):
    first = cli("seed-demo")
    assert first.exit_code == 0, first.output
    assert "3 board cases" in first.output
    board = _board()
    site = db.session.get(Location, board.location_id)
    assert (site.city, board.weekday, board.start_minute, board.duration_minutes) == ("Cleveland", 1, 450, 90)
    cities = {db.session.get(Location, r.location_id).city for m in board.members for r in m.rules}
    assert cities == {"Cleveland", "Weston", "London"}
    assert len(board.members) <= 8  # the video room's limit
    listed = db.session.scalars(select(BoardCase).order_by(BoardCase.placed_at, BoardCase.id)).all()
    assert [(c.day, c.status) for c in listed] == [(date(2027, 3, 2), "listed")] * 3  # the next Tuesday
    assert [c.imaging_ready for c in listed] == [True, False, True]
    assert db.session.get(BoardSeats, (board.id, date(2027, 3, 2))).taken == 3
    again = cli("seed-demo")
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count()).select_from(BoardCase)) == 3
    assert db.session.get(BoardSeats, (board.id, date(2027, 3, 2))).taken == 3


def test_no_demo_visit_of_a_member_falls_in_a_session(cli):
    assert cli("seed-demo").exit_code == 0
    board = _board()
    zone = get_zone(db.session.get(Location, board.location_id).timezone)
    sittings = sessions_between(
        Schedule(board.weekday, board.start_minute, board.duration_minutes, zone), date(2027, 3, 1), date(2027, 6, 30)
    )
    members = [m.id for m in board.members]
    held = db.session.execute(
        select(Appointment.start_at, Appointment.end_at)  # a session meets the visit itself, as time off does
        .select_from(Reservation)
        .join(Appointment, Appointment.id == Reservation.appointment_id)
        .where(Reservation.holding, Reservation.clinician_id.in_(members))
    ).all()
    assert held, "the demo books members' time"
    for start, end in held:
        assert not any(s.start < end and start < s.end for s in sittings), (start, end)


def test_the_demo_board_blocks_a_member_who_works_tuesday_mornings(cli, client):
    assert cli("seed-demo").exit_code == 0
    reyes = db.session.scalars(select(Clinician).where(Clinician.name == "Dr. Daniel Reyes")).one()
    follow_up = db.session.scalars(select(VisitType).where(VisitType.name == "Follow-up")).one()
    q = {"visit_type_id": follow_up.id, "from": "2027-03-09", "to": "2027-03-09", "clinician_id": reyes.id}
    q |= {"tz": "America/New_York"}
    starts = [s["start"][11:16] for s in client.get("/api/v1/slots", query_string=q).json["slots"]]
    assert starts and min(starts) == "09:00", starts  # his hours open at 07:30; the board sits 07:30-09:00
