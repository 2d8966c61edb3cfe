"""The tumor board through the JSON API, on SQLite and PostgreSQL: boards, sessions in the site's wall time
across DST, cases listed into the earliest session with room or a chosen one, capacity (409 board_full),
moves, removal, readiness, outcomes by members only, and who may see what."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import AuditEvent, BoardSeats
from tests.support.board_world import NEXT_TUESDAYS, TUESDAY, build


@pytest.fixture
def bw(client):
    return build(client)


def _cases(client, bw, day, who="scheduler"):
    r = client.get(f"/api/v1/boards/{bw.board_id}/cases?date={day}", headers=bw.headers[who])
    assert r.status_code == 200, r.json
    return r.json["cases"]


def _seats(bw, day) -> int:
    db.session.expire_all()
    from datetime import date

    row = db.session.get(BoardSeats, (bw.board_id, date.fromisoformat(day)))
    return row.taken if row else 0


def test_admin_sets_up_a_board_and_others_may_not(client, bw):
    r = client.get(f"/api/v1/boards/{bw.board_id}", headers=bw.headers["scheduler"])
    assert r.status_code == 200
    assert r.json | {"id": 0} == {
        "id": 0,
        "name": "Spine tumor board",
        "location_id": bw.p.cleveland.id,
        "timezone": "America/New_York",
        "weekday": 1,
        "start": "07:30",
        "duration_minutes": 90,
        "capacity": 3,
        "member_ids": sorted([bw.p.us_doc.id, bw.p.uk_doc.id]),
    }
    body = {"name": "B2", "location_id": bw.p.london.id, "weekday": 3, "start": "08:00", "duration_minutes": 60}
    body |= {"capacity": 5, "member_ids": []}
    assert client.post("/api/v1/boards", json=body, headers=bw.headers["scheduler"]).status_code == 403
    assert client.post("/api/v1/boards", json=body, headers=bw.headers["patient"]).status_code == 403
    assert client.get("/api/v1/boards", headers=bw.headers["patient"]).status_code == 403
    bad = client.post(
        "/api/v1/boards", json=body | {"start": "24:00", "weekday": 7, "member_ids": [999]}, headers=bw.headers["admin"]
    )
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"start", "weekday"}
    unknown = client.post("/api/v1/boards", json=body | {"member_ids": [999]}, headers=bw.headers["admin"])
    assert unknown.status_code == 422 and "member_ids" in unknown.json["error"]["fields"]
    taken = client.post("/api/v1/boards", json=body | {"name": "Spine tumor board"}, headers=bw.headers["admin"])
    assert taken.status_code == 409


def test_sessions_keep_cleveland_wall_time_and_move_in_london_between_the_clock_changes(client, bw):
    r = client.get(
        f"/api/v1/boards/{bw.board_id}/sessions?from=2027-03-08&to=2027-04-04&tz=Europe/London",
        headers=bw.headers["member"],
    )
    assert r.status_code == 200, r.json
    assert r.json["timezone"] == "Europe/London"
    got = [(s["date"], s["start"], s["end"], s["cases"], s["capacity"]) for s in r.json["sessions"]]
    assert got == [
        ("2027-03-09", "2027-03-09T12:30:00+00:00", "2027-03-09T14:00:00+00:00", 0, 3),
        ("2027-03-16", "2027-03-16T11:30:00+00:00", "2027-03-16T13:00:00+00:00", 0, 3),
        ("2027-03-23", "2027-03-23T11:30:00+00:00", "2027-03-23T13:00:00+00:00", 0, 3),
        ("2027-03-30", "2027-03-30T12:30:00+01:00", "2027-03-30T14:00:00+01:00", 0, 3),
    ]
    site = client.get(
        f"/api/v1/boards/{bw.board_id}/sessions?from=2027-03-08&to=2027-03-31", headers=bw.headers["admin"]
    )
    assert site.json["timezone"] == "America/New_York"
    assert [s["start"][11:] for s in site.json["sessions"]] == ["07:30:00-05:00"] + ["07:30:00-04:00"] * 3
    bad = client.get(f"/api/v1/boards/{bw.board_id}/sessions?from=2027-03-08", headers=bw.headers["admin"])
    assert bad.status_code == 422 and "to" in bad.json["error"]["fields"]
    assert client.get(f"/api/v1/boards/{bw.board_id}/sessions?from=2027-03-08&to=2027-03-09").status_code == 401


def test_without_a_date_a_case_goes_to_the_earliest_session_with_room(client, bw):
    r = bw.list_case(client)
    assert r.status_code == 201, r.json
    assert {k: r.json[k] for k in ("board_id", "date", "start", "patient_id", "presenter_id", "status")} == {
        "board_id": bw.board_id,
        "date": TUESDAY,
        "start": "2027-03-02T07:30:00-05:00",
        "patient_id": bw.patient_id,
        "presenter_id": bw.p.us_doc.id,
        "status": "listed",
    }
    assert r.json["imaging_ready"] is False and r.json["question"] == "Surgery or radiosurgery first?"
    for _ in range(2):
        assert bw.list_case(client, patient_id=bw.other_patient_id).json["date"] == TUESDAY
    fourth = bw.list_case(client, who="member")  # a clinician may list too; the first Tuesday is full
    assert fourth.status_code == 201 and fourth.json["date"] == NEXT_TUESDAYS[0]
    assert (_seats(bw, TUESDAY), _seats(bw, NEXT_TUESDAYS[0])) == (3, 1)


def test_a_named_session_that_is_full_is_409_board_full_and_nothing_is_written(client, bw):
    for _ in range(3):
        assert bw.list_case(client, date=NEXT_TUESDAYS[1]).status_code == 201
    r = bw.list_case(client, date=NEXT_TUESDAYS[1])
    assert r.status_code == 409 and r.json["error"]["code"] == "board_full", r.json
    assert len(_cases(client, bw, NEXT_TUESDAYS[1])) == 3 and _seats(bw, NEXT_TUESDAYS[1]) == 3


def test_a_case_needs_a_session_day_still_to_come_and_real_people(client, bw):
    wednesday = bw.list_case(client, date="2027-03-10")
    assert wednesday.status_code == 422 and wednesday.json["error"]["fields"] == {"date": "the board meets on Tuesdays"}
    past = bw.list_case(client, date="2027-02-23")
    assert past.status_code == 422 and "date" in past.json["error"]["fields"]
    nobody = bw.list_case(client, patient_id=99999, presenter_id=99999)
    assert nobody.status_code == 422 and set(nobody.json["error"]["fields"]) == {"patient_id", "presenter_id"}
    blank = bw.list_case(client, question="  ")
    assert blank.status_code == 422 and "question" in blank.json["error"]["fields"]
    assert bw.list_case(client, who="patient").status_code == 403
    missing = client.post("/api/v1/boards/9999/cases", json={"patient_id": bw.patient_id, "question": "q",
                          "presenter_id": bw.p.us_doc.id}, headers=bw.headers["scheduler"])  # fmt: skip
    assert missing.status_code == 404


def test_agenda_lists_cases_in_order_only_to_staff_and_each_view_is_audited(client, bw):
    first = bw.list_case(client).json
    second = bw.list_case(client, patient_id=bw.other_patient_id, question="Stabilise before RT?").json
    mark = db.session.scalar(select(func.max(AuditEvent.id)))
    db.session.commit()
    listed = _cases(client, bw, TUESDAY, who="outsider")  # any clinician (staff) sees the agenda
    assert [c["id"] for c in listed] == [first["id"], second["id"]]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "board_case", AuditEvent.id > mark)
    ).all()
    assert {(e.object_id, e.patient_id, e.action) for e in events} == {
        (first["id"], bw.patient_id, "board_case.read"),
        (second["id"], bw.other_patient_id, "board_case.read"),
    }
    for path in (f"/api/v1/boards/{bw.board_id}/cases?date={TUESDAY}", f"/api/v1/board-cases/{first['id']}"):
        assert client.get(path, headers=bw.headers["patient"]).status_code == 403
        assert client.get(path).status_code == 401
    one = client.get(f"/api/v1/board-cases/{first['id']}?tz=Europe/London", headers=bw.headers["scheduler"])
    assert one.status_code == 200 and one.json["start"] == "2027-03-02T12:30:00+00:00"
    read = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "board_case.read")).all()
    assert (first["id"], bw.patient_id) in {(e.object_id, e.patient_id) for e in read if e.outcome == 200}
    assert client.get("/api/v1/board-cases/99999", headers=bw.headers["scheduler"]).status_code == 404


def test_moving_a_case_takes_a_place_there_and_frees_one_here(client, bw):
    case = bw.list_case(client).json
    for _ in range(3):
        bw.list_case(client, date=NEXT_TUESDAYS[0])
    full = client.post(f"/api/v1/board-cases/{case['id']}/move", json={"date": NEXT_TUESDAYS[0]},
                       headers=bw.headers["scheduler"])  # fmt: skip
    assert full.status_code == 409 and full.json["error"]["code"] == "board_full"
    assert (_seats(bw, TUESDAY), _seats(bw, NEXT_TUESDAYS[0])) == (1, 3)
    moved = client.post(f"/api/v1/board-cases/{case['id']}/move", json={"date": NEXT_TUESDAYS[2]},
                        headers=bw.headers["member"])  # fmt: skip
    assert moved.status_code == 200 and moved.json["date"] == NEXT_TUESDAYS[2] and moved.json["id"] == case["id"]
    assert (_seats(bw, TUESDAY), _seats(bw, NEXT_TUESDAYS[2])) == (0, 1)
    assert [c["id"] for c in _cases(client, bw, NEXT_TUESDAYS[2])] == [case["id"]] and not _cases(client, bw, TUESDAY)
    wrong_day = client.post(f"/api/v1/board-cases/{case['id']}/move", json={"date": "2027-03-24"},
                            headers=bw.headers["scheduler"])  # fmt: skip
    assert wrong_day.status_code == 422
    assert client.post(f"/api/v1/board-cases/{case['id']}/move", json={"date": TUESDAY},
                       headers=bw.headers["patient"]).status_code == 403  # fmt: skip


def test_removing_a_case_frees_its_place_and_a_removed_case_stays_removed(client, bw):
    cases = [bw.list_case(client).json for _ in range(3)]
    r = client.post(f"/api/v1/board-cases/{cases[0]['id']}/remove", headers=bw.headers["scheduler"])
    assert r.status_code == 200 and r.json["status"] == "removed"
    assert _seats(bw, TUESDAY) == 2
    assert [c["id"] for c in _cases(client, bw, TUESDAY)] == [cases[1]["id"], cases[2]["id"]]
    assert bw.list_case(client).json["date"] == TUESDAY  # the freed place is taken again
    again = client.post(f"/api/v1/board-cases/{cases[0]['id']}/remove", headers=bw.headers["scheduler"])
    assert again.status_code == 409 and _seats(bw, TUESDAY) == 3
    move = client.post(f"/api/v1/board-cases/{cases[0]['id']}/move", json={"date": NEXT_TUESDAYS[0]},
                       headers=bw.headers["scheduler"])  # fmt: skip
    assert move.status_code == 409 and _seats(bw, NEXT_TUESDAYS[0]) == 0


def test_imaging_ready_is_a_checkbox_per_case(client, bw):
    case = bw.list_case(client).json
    url = f"/api/v1/board-cases/{case['id']}/readiness"
    r = client.post(url, json={"imaging_ready": True}, headers=bw.headers["member"])
    assert r.status_code == 200 and r.json["imaging_ready"] is True
    assert _cases(client, bw, TUESDAY)[0]["imaging_ready"] is True
    assert client.post(url, json={"imaging_ready": "yes"}, headers=bw.headers["member"]).status_code == 422
    assert client.post(url, json={"imaging_ready": False}, headers=bw.headers["patient"]).status_code == 403
    assert (
        client.post(url, json={"imaging_ready": False}, headers=bw.headers["scheduler"]).json["imaging_ready"] is False
    )


def test_only_a_member_or_an_admin_records_the_outcome_once(client, bw):
    case = bw.list_case(client).json
    url = f"/api/v1/board-cases/{case['id']}/outcome"
    body = {"recommendation": "Separation surgery, then SBRT.", "pathway_id": bw.pathway_id}
    for who in ("outsider", "scheduler", "patient"):
        assert client.post(url, json=body, headers=bw.headers[who]).status_code == 403, who
    assert client.post(url, json=body | {"pathway_id": 9999}, headers=bw.headers["london"]).status_code == 422
    r = client.post(url, json=body, headers=bw.headers["london"])  # a member at another site
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["recommendation"], r.json["pathway_id"]) == (
        "reviewed", body["recommendation"], bw.pathway_id)  # fmt: skip
    again = client.post(url, json=body, headers=bw.headers["admin"])
    assert again.status_code == 409
    frozen = client.post(f"/api/v1/board-cases/{case['id']}/move", json={"date": NEXT_TUESDAYS[0]},
                         headers=bw.headers["scheduler"])  # fmt: skip
    assert frozen.status_code == 409 and _seats(bw, TUESDAY) == 1
    assert client.post(f"/api/v1/board-cases/{case['id']}/remove", headers=bw.headers["admin"]).status_code == 409
    other = bw.list_case(client).json
    by_admin = client.post(f"/api/v1/board-cases/{other['id']}/outcome", json={"recommendation": "Observe."},
                           headers=bw.headers["admin"])  # fmt: skip
    assert by_admin.status_code == 200 and by_admin.json["pathway_id"] is None
