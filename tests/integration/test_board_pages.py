"""The tumor board through its pages (test client, SQLite and PostgreSQL): the admin's board setup, the
agenda of a session (cases in order, readiness, move, remove, the case form, the outcome form for members),
times in the viewer's zone, the desk's "to book" queue, a member's sessions on their clinic page, and the
audit of every case a page shows. Each refusal is in words on the page, never a field key."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import AuditEvent, Board, BoardCase
from tests.support.board_world import NEXT_TUESDAYS, TUESDAY, build
from tests.support.desk_world import page, sign_in

FIELD_KEYS = re.compile(r"\b(patient_id|presenter_id|pathway_id|location_id|member_ids|duration_minutes)\b")


@pytest.fixture
def bw(client):
    return build(client)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _agenda(client, bw, day=TUESDAY, **query):
    return page(client.get(f"/board/{bw.board_id}/{day}", query_string=query))


def _case_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="board-case[^"]*" id="case-(\d+)"', html)]


def test_the_agenda_lists_cases_in_order_with_times_in_the_viewers_zone(client, bw):
    first = bw.list_case(client).json["id"]
    second = bw.list_case(client, patient_id=bw.other_patient_id, question="Stabilise first?").json["id"]
    sign_in(client, "scheduler")
    html = _agenda(client, bw)
    assert _case_ids(html) == [first, second]
    text = _text(html)
    assert "7:30 AM EST" in text and "2 of 3 cases" in text and "Stabilise first?" in text
    assert "12:30 GMT in Cleveland" not in text
    london = _text(_agenda(client, bw, tz="Europe/London"))
    assert "12:30 PM GMT · 7:30 AM EST in Cleveland" in london
    client.post("/logout")
    sign_in(client, "lon@example.org")  # a member whose own zone is London's: London time first, by default
    assert "12:30 PM GMT · 7:30 AM EST in Cleveland" in _text(_agenda(client, bw))
    after_us_change = _text(_agenda(client, bw, day=NEXT_TUESDAYS[1]))
    assert "11:30 AM GMT · 7:30 AM EDT in Cleveland" in after_us_change


def test_a_scheduler_lists_a_case_with_the_form_and_refusals_are_in_words(client, bw):
    sign_in(client, "scheduler")
    found = _agenda(client, bw, q="pat")
    assert f'value="{bw.patient_id}"' in found
    form = {"patient_id": str(bw.patient_id), "question": "Surgery first?", "presenter_id": str(bw.p.us_doc.id)}
    r = client.post(f"/board/{bw.board_id}/{TUESDAY}/cases", data=form)
    assert r.status_code == 302
    assert "The case is on the agenda." in _text(page(client.get(r.headers["Location"])))
    bad = page(client.post(f"/board/{bw.board_id}/{TUESDAY}/cases", data={"question": ""}), 422)
    said = _text(bad)
    assert "Choose the patient" in said and "Write the question" in said and "Choose who presents" in said
    assert not FIELD_KEYS.search(said), said
    for _ in range(2):
        client.post(f"/board/{bw.board_id}/{TUESDAY}/cases", data=form)
    full = page(client.post(f"/board/{bw.board_id}/{TUESDAY}/cases", data=form), 409)
    assert "That session of the board is full" in _text(full)
    assert db.session.scalar(select(func.count()).select_from(BoardCase)) == 3


def test_readiness_move_and_remove_from_the_agenda(client, bw):
    case = bw.list_case(client).json["id"]
    other = bw.list_case(client, patient_id=bw.other_patient_id).json["id"]
    sign_in(client, "clinician")
    r = client.post(f"/board/cases/{case}/readiness", data={"imaging_ready": ["0", "1"]})  # as the form sends it
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/board/{bw.board_id}/{TUESDAY}")
    html = _agenda(client, bw)
    assert f'id="ready-{case}" name="imaging_ready" value="1" checked' in html
    assert "Imaging marked ready." in _text(html)
    client.post(f"/board/cases/{case}/readiness", data={"imaging_ready": "0"})
    assert f'id="ready-{case}" name="imaging_ready" value="1" checked' not in _agenda(client, bw)
    moved = client.post(f"/board/cases/{case}/move", data={"date": NEXT_TUESDAYS[0]})
    assert moved.headers["Location"].endswith(f"/board/{bw.board_id}/{NEXT_TUESDAYS[0]}")
    assert _case_ids(_agenda(client, bw, day=NEXT_TUESDAYS[0])) == [case]
    assert _case_ids(_agenda(client, bw)) == [other]
    client.post(f"/board/cases/{other}/remove")
    html = _agenda(client, bw)
    assert _case_ids(html) == [] and "its place is free" in _text(html)
    again = client.post(f"/board/cases/{other}/remove", follow_redirects=True)
    assert "This case was removed from the board." in _text(page(again))


def test_members_record_the_outcome_and_the_desk_sees_it_to_book(client, bw):
    case = bw.list_case(client).json["id"]
    sign_in(client, "wes@example.org")  # a clinician who is not a member: no outcome form, and refused
    assert "Record the board's outcome" not in _agenda(client, bw)
    assert client.post(f"/board/cases/{case}/outcome", data={"recommendation": "x"}).status_code == 403
    client.post("/logout")
    sign_in(client, "clinician")
    html = _agenda(client, bw)
    assert "Record the board's outcome" in html
    r = client.post(f"/board/cases/{case}/outcome", data={"recommendation": "Surgery, then SBRT.",
                                                          "pathway_id": str(bw.pathway_id)})  # fmt: skip
    assert r.status_code == 302
    text = _text(_agenda(client, bw))
    assert "Reviewed" in text and "Surgery, then SBRT." in text and "To book: Surgical day" in text
    client.post("/logout")
    sign_in(client, "scheduler")
    queue = page(client.get("/board/to-book"))
    assert f'id="to-book-{case}"' in queue
    assert f"/schedule/book/{bw.patient_id}/day?pathway_id={bw.pathway_id}" in queue
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "board_case.read")).all()
    assert any(e.object_id == case and e.patient_id == bw.patient_id for e in events)


def test_an_admin_sets_up_a_board_with_the_form(client, bw):
    sign_in(client, "admin")
    assert "Spine tumor board" in page(client.get("/admin/boards"))
    assert "Members" in page(client.get("/admin/boards/new"))
    form = {"name": "London board", "location_id": str(bw.p.london.id), "weekday": "3", "start": "08:00",
            "duration_minutes": "60", "capacity": "8", "member_ids": [str(bw.p.uk_doc.id)]}  # fmt: skip
    assert client.post("/admin/boards", data=form).status_code == 302
    board = db.session.scalar(select(Board).where(Board.name == "London board"))
    assert (board.weekday, board.start_minute, [c.id for c in board.members]) == (3, 480, [bw.p.uk_doc.id])
    bad = page(client.post("/admin/boards", data=form | {"name": "x2", "start": "8 am", "capacity": "0"}), 422)
    said = _text(bad)
    assert "Give the start time as HH:MM" in said and "how many cases one session takes" in said
    assert not FIELD_KEYS.search(said), said
    edit = client.post(f"/admin/boards/{board.id}", data=form | {"capacity": "5", "member_ids": []})
    assert edit.status_code == 302
    db.session.expire_all()
    assert (board.capacity, board.members) == (5, [])


def test_a_member_sees_their_sessions_in_their_own_zone_on_their_clinic_page(client, bw):
    sign_in(client, "lon@example.org")
    text = _text(page(client.get("/clinic/today")))
    assert "Tumor board sessions" in text
    assert "Spine tumor board: Tue, Mar 2, 2027, 12:30 PM GMT · 7:30 AM EST in Cleveland" in text
    uk = _text(page(client.get("/clinic/today", headers={"Accept-Language": "en-GB"})))
    assert "Spine tumor board: Tue 2 Mar 2027, 12:30 GMT · 07:30 EST in Cleveland" in uk
    client.post("/logout")
    sign_in(client, "wes@example.org")
    assert "Tumor board sessions" not in page(client.get("/clinic/today"))


def test_patients_cannot_reach_the_board_pages(client, bw):
    case = bw.list_case(client).json["id"]
    sign_in(client, "patient")
    for url in ("/board", f"/board/{bw.board_id}/{TUESDAY}", "/board/to-book"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/board/cases/{case}/remove").status_code == 403
