"""A board session's video room on a live server (SQLite and PostgreSQL), with real Socket.IO clients: members,
the session's presenters and admins join; signalling goes to one participant or to everyone else in the room,
never outside it; outsiders, patients and a closed room are refused; and the room holds at most 8 people."""

from __future__ import annotations

import time
from datetime import date

import pytest

from televisit.extensions import db
from televisit.models import Board, BoardCase
from tests import factories as f
from tests.support.waiting_world import SERVER_NOW

QUIET = 0.5  # seconds to wait for an event that must NOT come
MONDAY = date(2027, 3, 1)  # the live server's clock: Monday 09:05 in Cleveland; the board meets 09:00-10:00
MEMBERS = 9


@pytest.fixture
def room(w):
    """A Cleveland board meeting Mondays 09:00 with nine members (m0..m8), Dr. Cleveland presenting a case
    (not a member), Dr. Other neither; an admin."""
    people = []
    for i in range(MEMBERS):
        c = f.clinician(f"Dr. Member {i}", visit_types=[], rules=[], email=f"m{i}@x.org")
        f.user(f"m{i}@x.org", "clinician", name=f"Dr. Member {i}")
        people.append(c)
    f.user("admin@x.org", "admin", name="Ann Admin")
    board = Board(name="Board", location_id=w.ids["location"], weekday=0, start_minute=9 * 60, duration_minutes=60,
                  capacity=10, created_at=SERVER_NOW)  # fmt: skip
    board.members = people
    db.session.add(board)
    db.session.flush()
    db.session.add(BoardCase(board_id=board.id, day=MONDAY, patient_id=w.ids["ada"], presenter_id=w.ids["doc"],
                             question="?", status="listed", imaging_ready=False, placed_at=SERVER_NOW,
                             created_at=SERVER_NOW, updated_at=SERVER_NOW))  # fmt: skip
    db.session.commit()
    ids = {"board": board.id, "members": [c.id for c in people]}
    db.session.commit()
    return ids


def _key(room, day=MONDAY) -> dict:
    return {"board_id": room["board"], "date": day.isoformat()}


def _code(ack: dict) -> str:
    assert ack["ok"] is False, ack
    return ack["error"]["code"]


def test_members_join_and_signal_each_other_and_only_each_other(w, room):
    m0, m1, m2 = (w.peer(f"m{i}") for i in range(3))
    ack = m0.call("join_board", _key(room))
    assert ack["ok"] is True, ack
    assert ack["participant"] == f"clinician-{room['members'][0]}" and ack["max_participants"] == 8
    names = {p["id"]: p["name"] for p in ack["participants"]}
    assert names[f"clinician-{room['members'][1]}"] == "Dr. Member 1" and names[f"clinician-{w.ids['doc']}"]
    for peer in (m1, m2):
        assert peer.call("join_board", _key(room))["ok"] is True
    marks = {p: p.mark() for p in (m0, m1, m2)}
    assert m0.call("board_signal", {**_key(room), "kind": "ready", "data": {"peer": "x"}})["ok"] is True
    for peer in (m1, m2):
        got = peer.wait("board_signal", since=marks[peer])
        assert got["from"] == f"clinician-{room['members'][0]}" and got["kind"] == "ready" and "to" not in got
    time.sleep(QUIET)
    assert m0.got("board_signal", since=marks[m0]) == []  # not echoed to the sender
    marks = {p: p.mark() for p in (m1, m2)}
    to = f"clinician-{room['members'][2]}"
    assert m1.call("board_signal", {**_key(room), "kind": "offer", "data": {"sdp": "v=0"}, "to": to})["ok"] is True
    assert m2.wait("board_signal", since=marks[m2])["to"] == to
    time.sleep(QUIET)
    assert m1.got("board_signal", since=marks[m1]) == []
    assert (
        _code(m1.call("board_signal", {**_key(room), "kind": "offer", "data": {}, "to": "clinician-99999"}))
        == "invalid"
    )
    assert _code(m1.call("board_signal", {**_key(room), "kind": "shout", "data": {}})) == "invalid"


def test_presenters_and_admins_join_outsiders_and_patients_do_not(w, room):
    presenter = w.peer("doc")  # presents a case at this session, not a member
    assert presenter.call("join_board", _key(room))["participant"] == f"clinician-{w.ids['doc']}"
    admin = w.peer("admin")
    ack = admin.call("join_board", _key(room))
    assert ack["ok"] is True and ack["participant"].startswith("user-") and ack["role"] == "admin"
    assert _code(w.peer("other").call("join_board", _key(room))) == "forbidden"
    assert _code(w.peer("ada").call("join_board", _key(room))) == "forbidden"
    outsider = w.peer("other")
    assert _code(outsider.call("board_signal", {**_key(room), "kind": "ready", "data": {}})) == "forbidden"
    assert (
        _code(w.peer("m0").call("board_signal", {**_key(room), "kind": "ready", "data": {}})) == "conflict"
    )  # not joined
    assert _code(w.peer("m0").call("join_board", {"board_id": room["board"], "date": "Monday"})) == "invalid"
    assert _code(w.peer("m0").call("join_board", {"board_id": 99999, "date": "2027-03-01"})) == "not_found"


def test_the_room_is_open_only_around_the_session(w, room):
    m0 = w.peer("m0")
    assert _code(m0.call("join_board", _key(room, date(2027, 3, 8)))) == "too_early"
    assert _code(m0.call("join_board", _key(room, date(2027, 2, 22)))) == "closed"


def test_the_room_holds_eight_people_and_a_ninth_may_come_when_one_leaves(w, room):
    peers = [w.peer(f"m{i}") for i in range(MEMBERS)]
    for peer in peers[:8]:
        assert peer.call("join_board", _key(room))["ok"] is True, peer.name
    again = w.peer("m0")  # the same person on a second device is still one of the eight
    assert again.call("join_board", _key(room))["ok"] is True
    ack = peers[8].call("join_board", _key(room))
    assert _code(ack) == "conflict" and "at most 8" in ack["error"]["message"]
    peers[3].close()
    deadline = time.monotonic() + 10
    while (ack := peers[8].call("join_board", _key(room)))["ok"] is not True and time.monotonic() < deadline:
        time.sleep(0.2)  # the server forgets the closed socket on its disconnect
    assert ack["ok"] is True, ack
