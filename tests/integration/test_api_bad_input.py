"""Bad input gets a clear 4xx, never a 500, and writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import Appointment
from tests import factories as f

MON = "2027-03-08"


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment))


def _valid(p) -> dict:
    return {
        "visit_type_id": p.consult.id,
        "clinician_id": p.us_doc.id,
        "location_id": p.cleveland.id,
        "mode": "in_person",
        "start": f"{MON}T09:00:00-05:00",
        "patient_id": p.users["other"].patient_id,
    }


def _invalid(r, *fields: str) -> None:
    assert r.status_code == 422, (r.status_code, r.json)
    assert r.json["error"]["code"] == "invalid"
    assert set(fields) <= set(r.json["error"]["fields"]), r.json


def test_booking_with_bad_fields_is_422_naming_the_field_and_writes_nothing(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    cases = [
        ("start", f"{MON}T09:00:00"),  # naive
        ("start", f"{MON} 09:00"),
        ("start", "next monday"),
        ("start", ""),
        ("start", 1804510800),
        ("start", ["2027-03-08T09:00:00-05:00"]),
        ("start", "9999-12-31T00:00:00+00:00"),
        ("start", "0001-01-01T00:00:00+00:00"),
        ("visit_type_id", "consult"),
        ("visit_type_id", str(p.consult.id)),  # a JSON body must carry ids as JSON numbers
        ("clinician_id", str(p.us_doc.id)),
        ("visit_type_id", "1.0"),
        ("visit_type_id", True),
        ("clinician_id", False),
        ("visit_type_id", 1.5),
        ("location_id", 10**30),
        ("location_id", 2**31),
        ("patient_id", -1),
        ("clinician_id", 0),
        ("clinician_id", {"id": 1}),
        ("mode", "telepathy"),
        ("mode", ["virtual"]),
        ("patient_region", "Ohio"),
        ("patient_region", 44),
        ("reason", 12),
        ("reason", "x" * 5000),
        ("visit_type_id", 424242),  # unknown ids
        ("clinician_id", 424242),
        ("location_id", 424242),
        ("patient_id", 424242),
    ]
    for field, value in cases:
        r = client.post("/api/v1/appointments", json={**_valid(p), field: value}, headers=h)
        _invalid(r, field)
    assert _count() == 0
    assert client.post("/api/v1/appointments", json=_valid(p), headers=h).status_code == 201


def test_booking_with_no_fields_names_every_required_one(client):
    f.program()
    h = f.token(client, "sched@example.org")
    r = client.post("/api/v1/appointments", json={}, headers=h)
    _invalid(r, "visit_type_id", "clinician_id", "location_id", "mode", "start")
    r = client.post("/api/v1/appointments", json=dict.fromkeys(["visit_type_id", "start"]), headers=h)
    _invalid(r, "visit_type_id", "start")
    assert _count() == 0


def test_malformed_bodies_are_400(client):
    p = f.program()
    h = f.token(client, "admin@example.org")
    bodies = [
        ("{not json", "application/json"),
        ('{"start": ', "application/json"),
        ("[1, 2]", "application/json"),
        ("null", "application/json"),
        ('"text"', "application/json"),
        ("", "application/json"),
        ("[" * 100_000 + "]" * 100_000, "application/json"),
        ('{"visit_type_id": 1}', "text/plain"),
        (b"\xff\xfe{}", "application/json"),
    ]
    appt = client.post("/api/v1/appointments", json=_valid(p), headers=h).json
    for data, ctype in bodies:
        for url in (
            "/api/v1/appointments",
            f"/api/v1/appointments/{appt['id']}/reschedule",
            "/api/v1/locations",
            "/api/v1/auth/token",
        ):
            r = client.post(url, data=data, content_type=ctype, headers=h)
            assert r.status_code == 400, (url, data[:20], r.status_code)
            assert r.json["error"]["code"] == "malformed"
    bad_cancel = client.post(
        f"/api/v1/appointments/{appt['id']}/cancel", data="{oops", content_type="application/json", headers=h
    )
    assert bad_cancel.status_code == 400
    assert _count() == 1
    assert client.get(f"/api/v1/appointments/{appt['id']}", headers=h).json == appt


def test_bad_reschedule_and_cancel_input_leaves_the_appointment_alone(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    appt = client.post("/api/v1/appointments", json=_valid(p), headers=h).json
    url = f"/api/v1/appointments/{appt['id']}"
    _invalid(client.post(f"{url}/reschedule", json={"start": f"{MON}T10:00:00"}, headers=h), "start")
    _invalid(client.post(f"{url}/reschedule", json={}, headers=h), "start")
    _invalid(
        client.post(f"{url}/reschedule", json={"start": f"{MON}T10:00:00-05:00", "mode": "fax"}, headers=h), "mode"
    )
    moved = client.post(f"{url}/reschedule?tz=Mars/Olympus", json={"start": f"{MON}T10:00:00-05:00"}, headers=h)
    _invalid(moved, "tz")
    _invalid(client.post(f"{url}/cancel", json={"reason": ["no"]}, headers=h), "reason")
    _invalid(client.post(f"{url}/cancel?tz=Nowhere", headers=h), "tz")
    assert client.get(url, headers=h).json == appt


def test_a_bad_tz_on_booking_writes_nothing(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    _invalid(client.post("/api/v1/appointments?tz=Not/AZone", json=_valid(p), headers=h), "tz")
    assert _count() == 0
    r = client.post("/api/v1/appointments?tz=Asia/Tokyo", json=_valid(p), headers=h)
    assert r.status_code == 201 and r.json["timezone"] == "Asia/Tokyo"


def test_bad_slot_queries_are_422(client):
    p = f.program()
    ok = {"visit_type_id": p.consult.id, "from": MON, "to": MON}
    assert client.get("/api/v1/slots", query_string=ok).status_code == 200
    cases = [
        ({"visit_type_id": None, "from": None, "to": None}, ("visit_type_id", "from", "to")),
        ({"visit_type_id": None}, ("visit_type_id",)),
        ({"from": None}, ("from",)),
        ({"to": None}, ("to",)),
        ({"from": "2027-03-09", "to": "2027-03-08"}, ("to",)),
        ({"to": "2028-06-01"}, ("to",)),  # more than a year at once
        ({"from": "2027-02-30"}, ("from",)),
        ({"from": "08/03/2027"}, ("from",)),
        ({"from": "9999-12-30", "to": "9999-12-31"}, ("from",)),
        ({"from": "0001-01-01", "to": "0001-01-02", "tz": "Asia/Tokyo"}, ("from",)),
        ({"tz": "Mars/Olympus"}, ("tz",)),
        ({"tz": "../../etc/passwd"}, ("tz",)),
        ({"tz": "localtime"}, ("tz",)),
        ({"visit_type_id": "abc"}, ("visit_type_id",)),
        ({"visit_type_id": "99999999999999999999"}, ("visit_type_id",)),
        ({"visit_type_id": "424242"}, ("visit_type_id",)),
        ({"location_id": "424242"}, ("location_id",)),
        ({"location_id": "424242", "tz": "UTC"}, ("location_id",)),
        ({"clinician_id": "x"}, ("clinician_id",)),
        ({"mode": "hologram"}, ("mode",)),
        ({"patient_region": "ohio"}, ("patient_region",)),
        ({"limit": "0"}, ("limit",)),
        ({"limit": "many"}, ("limit",)),
        ({"limit": "100000"}, ("limit",)),
    ]
    for change, fields in cases:
        q = {k: v for k, v in {**ok, **change}.items() if v is not None}
        _invalid(client.get("/api/v1/slots", query_string=q), *fields)


def test_bad_appointment_queries_are_422(client):
    f.program()
    h = f.token(client, "sched@example.org")
    cases = [
        ({"from": "2027-03-09", "to": "2027-03-08"}, "to"),
        ({"from": "2027-13-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "0001-01-01", "tz": "Asia/Tokyo"}, "from"),
        ({"tz": "Nowhere/Special"}, "tz"),
        ({"status": "lost"}, "status"),
        ({"clinician_id": "-3"}, "clinician_id"),
        ({"location_id": "424242"}, "location_id"),
        ({"patient_id": "1e3"}, "patient_id"),
    ]
    for q, field in cases:
        _invalid(client.get("/api/v1/appointments", query_string=q, headers=h), field)
    _invalid(client.get("/api/v1/appointments/1?tz=Nowhere", headers=h), "tz")


def test_ids_in_the_path_that_no_row_can_have_are_404(client):
    f.program()
    h = f.token(client, "admin@example.org")
    for huge in ("9999999999", "99999999999999999999", "0"):
        for method, path in [
            ("get", f"/api/v1/appointments/{huge}"),
            ("get", f"/api/v1/appointments/{huge}/calendar.ics"),
            ("post", f"/api/v1/appointments/{huge}/cancel"),
            ("post", f"/api/v1/appointments/{huge}/reschedule"),
            ("get", f"/api/v1/clinicians/{huge}"),
            ("get", f"/api/v1/clinicians/{huge}/availability"),
            ("put", f"/api/v1/clinicians/{huge}/availability"),
            ("post", f"/api/v1/clinicians/{huge}/time-off"),
            ("get", f"/api/v1/patients/{huge}"),
        ]:
            body = {"start": f"{MON}T09:00:00-05:00", "end": f"{MON}T10:00:00-05:00", "rules": []}
            r = getattr(client, method)(path, json=body, headers=h)
            assert r.status_code == 404, (method, path, r.status_code)
            assert r.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/appointments/-1", headers=h).status_code == 404
