"""Reschedule and cancel: same id, rising sequence, time held and freed, failures change nothing."""

from __future__ import annotations

from datetime import timedelta

from televisit import clock
from tests import factories as f
from tests.conftest import NOW

MON = "2027-03-08"
BOTH = ("virtual", "in_person")


def _at(hhmm: str) -> str:
    return f"{MON}T{hhmm}:00-05:00"


def _free(client, vt, doc) -> list[str]:
    q = {"visit_type_id": vt.id, "from": MON, "to": MON, "tz": "America/New_York", "clinician_id": doc.id}
    r = client.get("/api/v1/slots", query_string={**q, "mode": "in_person"})
    assert r.status_code == 200
    return [s["start"][11:16] for s in r.json["slots"]]


def _book(client, headers, p, hhmm, *, doc=None, vt=None, patient="other"):
    body = {
        "visit_type_id": (vt or p.consult).id,
        "clinician_id": (doc or p.us_doc).id,
        "location_id": p.cleveland.id,
        "mode": "in_person",
        "start": _at(hhmm),
        "patient_id": p.users[patient].patient_id,
    }
    r = client.post("/api/v1/appointments", json=body, headers=headers)
    assert r.status_code == 201, r.json
    return r.json


def _move(client, headers, appt_id, hhmm, **extra):
    return client.post(
        f"/api/v1/appointments/{appt_id}/reschedule", json={"start": _at(hhmm), **extra}, headers=headers
    )


def test_reschedule_keeps_the_id_raises_the_sequence_and_moves_the_hold(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    appt = _book(client, h, p, "09:00")
    assert appt["sequence"] == 0 and _free(client, p.consult, p.us_doc) == ["10:00", "11:00"]
    clock.freeze(NOW + timedelta(minutes=5))
    r = _move(client, h, appt["id"], "10:00")
    assert r.status_code == 200, r.json
    assert (r.json["id"], r.json["sequence"], r.json["start"]) == (appt["id"], 1, _at("10:00"))
    assert r.json["end"] == _at("11:00") and r.json["status"] == "booked"
    assert r.json["created_at"] == appt["created_at"] and r.json["updated_at"] > appt["updated_at"]
    assert _free(client, p.consult, p.us_doc) == ["09:00", "11:00"]  # old time freed, new time held
    r = _move(client, h, appt["id"], "11:00")
    assert (r.status_code, r.json["sequence"]) == (200, 2)
    assert _free(client, p.consult, p.us_doc) == ["09:00", "10:00"]
    got = client.get(f"/api/v1/appointments/{appt['id']}", headers=h).json
    assert (got["sequence"], got["start"]) == (2, _at("11:00"))
    assert len(client.get("/api/v1/appointments", headers=h).json["appointments"]) == 1
    # the freed time can be booked by someone else
    assert _book(client, h, p, "09:00", patient="patient")["start"] == _at("09:00")


def test_failed_reschedule_changes_nothing(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    appt = _book(client, h, p, "09:00")
    _book(client, h, p, "11:00", patient="patient")
    for hhmm, reason in [("11:00", "taken"), ("09:30", "outside_hours"), ("13:00", "outside_hours")]:
        r = _move(client, h, appt["id"], hhmm)
        assert r.status_code == 409, r.json
        assert (r.json["error"]["code"], r.json["error"]["reason"]) == ("slot_unavailable", reason)
    r = _move(client, h, appt["id"], "10:00", clinician_id=p.uk_doc.id)  # not at Cleveland on Mondays
    assert r.status_code == 409
    r = _move(client, h, appt["id"], "10:00", mode="virtual", patient_region="US-CA")
    assert r.status_code == 409 and r.json["error"]["reason"] == "not_licensed"
    assert _move(client, h, appt["id"], "10:00", clinician_id=999999).status_code == 422
    assert client.get(f"/api/v1/appointments/{appt['id']}", headers=h).json == appt
    assert _free(client, p.consult, p.us_doc) == ["10:00"]


def test_reschedule_into_a_slot_overlapping_its_own_old_time(client):
    p = f.program()
    # two windows give a 30-minute-offset grid for the 60-minute consult: 09:00, 10:00, 11:00 and 09:30, 10:30
    rules = [(p.cleveland, 0, 540, 720, BOTH), (p.cleveland, 0, 570, 690, BOTH)]
    doc = f.clinician("Dr. Grid", visit_types=[p.consult], rules=rules)
    h = f.token(client, "sched@example.org")
    assert _free(client, p.consult, doc) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    appt = _book(client, h, p, "09:00", doc=doc)
    assert _free(client, p.consult, doc) == ["10:00", "10:30", "11:00"]  # 09:30 overlaps the booking
    r = _move(client, h, appt["id"], "09:30")
    assert r.status_code == 200, r.json
    assert (r.json["start"], r.json["end"], r.json["sequence"]) == (_at("09:30"), _at("10:30"), 1)
    assert _free(client, p.consult, doc) == ["10:30", "11:00"]
    r = _move(client, h, appt["id"], "10:00")  # and forward again, overlapping 09:30-10:30
    assert (r.status_code, r.json["sequence"]) == (200, 2)
    assert _free(client, p.consult, doc) == ["09:00", "11:00"]


def test_reschedule_to_its_own_current_time_is_allowed(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    appt = _book(client, h, p, "10:00")
    r = _move(client, h, appt["id"], "10:00")
    assert r.status_code == 200 and (r.json["start"], r.json["sequence"]) == (_at("10:00"), 1)


def test_cancel_frees_the_time_and_twice_is_a_conflict(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    appt = _book(client, h, p, "10:00")
    assert _free(client, p.consult, p.us_doc) == ["09:00", "11:00"]
    r = client.post(f"/api/v1/appointments/{appt['id']}/cancel", json={"reason": "feeling better"}, headers=h)
    assert r.status_code == 200 and r.json["status"] == "cancelled" and r.json["id"] == appt["id"]
    assert _free(client, p.consult, p.us_doc) == ["09:00", "10:00", "11:00"]
    again = client.post(f"/api/v1/appointments/{appt['id']}/cancel", headers=h)
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"
    move = _move(client, h, appt["id"], "11:00")
    assert move.status_code == 409 and move.json["error"]["code"] == "conflict"
    got = client.get(f"/api/v1/appointments/{appt['id']}", headers=h).json
    assert (got["status"], got["start"], got["sequence"]) == ("cancelled", _at("10:00"), 0)
    assert _book(client, h, p, "10:00", patient="patient")["status"] == "booked"
    cancelled = client.get("/api/v1/appointments?status=cancelled", headers=h).json["appointments"]
    assert [a["id"] for a in cancelled] == [appt["id"]]


def test_cancel_without_a_body_works(client):
    p = f.program()
    h = f.token(client, "pat@example.org")
    body = {
        "visit_type_id": p.consult.id,
        "clinician_id": p.us_doc.id,
        "location_id": p.cleveland.id,
        "mode": "in_person",
        "start": _at("09:00"),
    }
    appt = client.post("/api/v1/appointments", json=body, headers=h).json
    r = client.post(f"/api/v1/appointments/{appt['id']}/cancel", headers=h)
    assert r.status_code == 200 and r.json["status"] == "cancelled"
