"""Who may book, see and change which appointments."""

from __future__ import annotations

from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import Appointment
from tests import factories as f

MON = "2027-03-08"


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment))


def _body(p, clinician=None, hour=9, **extra):
    """An in-person booking at Cleveland (or London) on Monday 2027-03-08, local `hour`."""
    clinician = clinician or p.us_doc
    if clinician is p.uk_doc:
        loc, start = p.london, f"{MON}T{hour:02d}:00:00+00:00"
    else:
        loc, start = p.cleveland, f"{MON}T{hour:02d}:00:00-05:00"
    return {
        "visit_type_id": p.consult.id,
        "clinician_id": clinician.id,
        "location_id": loc.id,
        "mode": "in_person",
        "start": start,
        **extra,
    }


def test_patient_books_for_themself(client):
    p = f.program()
    headers = f.token(client, "pat@example.org")
    r = client.post("/api/v1/appointments", json=_body(p), headers=headers)
    assert r.status_code == 201, r.json
    assert r.json["patient_id"] == p.users["patient"].patient_id
    assert r.json["status"] == "booked" and r.json["sequence"] == 0
    own = client.post("/api/v1/appointments", json=_body(p, hour=10, patient_id=r.json["patient_id"]), headers=headers)
    assert own.status_code == 201, own.json


def test_patient_cannot_book_for_another_patient(client):
    p = f.program()
    headers = f.token(client, "pat@example.org")
    r = client.post("/api/v1/appointments", json=_body(p, patient_id=p.users["other"].patient_id), headers=headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert _count() == 0


def test_patient_sees_and_changes_only_their_own(client):
    p = f.program()
    pat, other, sched = (f.token(client, e) for e in ("pat@example.org", "other@example.org", "sched@example.org"))
    mine = client.post("/api/v1/appointments", json=_body(p), headers=pat).json
    theirs = client.post("/api/v1/appointments", json=_body(p, hour=10), headers=other).json
    listed = client.get("/api/v1/appointments", headers=pat).json["appointments"]
    assert [a["id"] for a in listed] == [mine["id"]]
    filtered = client.get(f"/api/v1/appointments?patient_id={theirs['patient_id']}", headers=pat)
    assert filtered.status_code == 200 and filtered.json["appointments"] == []
    base = f"/api/v1/appointments/{theirs['id']}"
    assert client.get(base, headers=pat).status_code == 404
    assert client.get(f"{base}/calendar.ics", headers=pat).status_code == 404
    move = client.post(f"{base}/reschedule", json={"start": f"{MON}T11:00:00-05:00"}, headers=pat)
    assert move.status_code == 404 and move.json["error"]["code"] == "not_found"
    assert client.post(f"{base}/cancel", headers=pat).status_code == 404
    # a missing id and a foreign id look the same to a patient
    assert client.get("/api/v1/appointments/999999", headers=pat).json == client.get(base, headers=pat).json
    after = client.get(base, headers=sched).json
    assert (after["status"], after["start"], after["sequence"]) == ("booked", theirs["start"], 0)
    assert client.get(f"/api/v1/appointments/{mine['id']}", headers=pat).status_code == 200


def test_scheduler_books_for_a_named_patient_only(client):
    p = f.program()
    headers = f.token(client, "sched@example.org")
    r = client.post("/api/v1/appointments", json=_body(p), headers=headers)
    assert r.status_code == 422 and "patient_id" in r.json["error"]["fields"]
    r = client.post("/api/v1/appointments", json=_body(p, patient_id=987654), headers=headers)
    assert r.status_code == 422 and "patient_id" in r.json["error"]["fields"]
    assert _count() == 0
    pid = p.users["other"].patient_id
    r = client.post("/api/v1/appointments", json=_body(p, patient_id=pid), headers=headers)
    assert r.status_code == 201 and r.json["patient_id"] == pid
    listed = client.get("/api/v1/appointments", headers=headers).json["appointments"]
    assert [a["id"] for a in listed] == [r.json["id"]]


def test_admin_books_and_staff_see_everything(client):
    p = f.program()
    admin, sched = f.token(client, "admin@example.org"), f.token(client, "sched@example.org")
    a = client.post("/api/v1/appointments", json=_body(p, patient_id=p.users["patient"].patient_id), headers=admin)
    b = client.post(
        "/api/v1/appointments", json=_body(p, p.uk_doc, patient_id=p.users["other"].patient_id), headers=sched
    )
    assert a.status_code == b.status_code == 201
    for headers in (admin, sched):
        ids = {x["id"] for x in client.get("/api/v1/appointments", headers=headers).json["appointments"]}
        assert ids == {a.json["id"], b.json["id"]}
        assert client.get(f"/api/v1/appointments/{b.json['id']}", headers=headers).status_code == 200


def test_clinician_cannot_book_and_sees_only_their_own_visits(client):
    p = f.program()
    cle, sched = f.token(client, "cle@example.org"), f.token(client, "sched@example.org")
    r = client.post("/api/v1/appointments", json=_body(p, patient_id=p.users["patient"].patient_id), headers=cle)
    assert r.status_code == 403 and _count() == 0
    ours = client.post("/api/v1/appointments", json=_body(p, patient_id=p.users["patient"].patient_id), headers=sched)
    uk = client.post(
        "/api/v1/appointments", json=_body(p, p.uk_doc, patient_id=p.users["other"].patient_id), headers=sched
    )
    assert ours.status_code == uk.status_code == 201
    listed = client.get("/api/v1/appointments", headers=cle).json["appointments"]
    assert [a["id"] for a in listed] == [ours.json["id"]]
    other = client.get(f"/api/v1/appointments?clinician_id={p.uk_doc.id}", headers=cle)
    assert other.status_code == 200 and other.json["appointments"] == []
    assert client.get(f"/api/v1/appointments/{uk.json['id']}", headers=cle).status_code == 404
    assert client.get(f"/api/v1/appointments/{ours.json['id']}", headers=cle).status_code == 200


def test_patient_can_reschedule_and_cancel_their_own(client):
    p = f.program()
    pat = f.token(client, "pat@example.org")
    appt = client.post("/api/v1/appointments", json=_body(p), headers=pat).json
    moved = client.post(
        f"/api/v1/appointments/{appt['id']}/reschedule", json={"start": f"{MON}T10:00:00-05:00"}, headers=pat
    )
    assert moved.status_code == 200 and moved.json["start"] == f"{MON}T10:00:00-05:00"
    cancelled = client.post(f"/api/v1/appointments/{appt['id']}/cancel", json={"reason": "better"}, headers=pat)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"


def test_anonymous_caller_sees_nothing_private(client):
    p = f.program()
    client.post("/api/v1/appointments", json=_body(p), headers=f.token(client, "pat@example.org"))
    assert client.get("/api/v1/appointments").status_code == 401
    assert client.get("/api/v1/appointments/1").status_code == 401
    assert client.get("/api/v1/appointments/1/calendar.ics").status_code == 401
    assert client.post("/api/v1/appointments", json=_body(p)).status_code == 401
    assert _count() == 1
