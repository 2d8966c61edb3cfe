"""Time off, visit types a clinician does not offer, and video licensure, through the API."""

from __future__ import annotations

from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import TimeOff
from tests import factories as f

MON = "2027-03-08"


def _at(hhmm: str, day: str = MON, offset: str = "-05:00") -> str:
    return f"{day}T{hhmm}:00{offset}"


def _starts(client, vt, day=MON, **params) -> list[str]:
    q = {"visit_type_id": vt.id, "from": day, "to": day, "tz": "America/New_York", "mode": "in_person", **params}
    r = client.get("/api/v1/slots", query_string=q)
    assert r.status_code == 200, r.json
    return [s["start"] for s in r.json["slots"]]


def _book(client, headers, p, start, *, doc=None, loc=None, mode="in_person", patient="other", vt=None, **extra):
    body = {
        "visit_type_id": (vt or p.consult).id,
        "clinician_id": (doc or p.us_doc).id,
        "location_id": (loc or p.cleveland).id,
        "mode": mode,
        "start": start,
        **extra,
    }
    if patient:
        body["patient_id"] = p.users[patient].patient_id
    return client.post("/api/v1/appointments", json=body, headers=headers)


def _refused(r, reason: str) -> None:
    assert r.status_code == 409, r.json
    assert (r.json["error"]["code"], r.json["error"]["reason"]) == ("slot_unavailable", reason)


def test_partial_time_off_removes_overlapping_slots(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    off = {"start": _at("09:30"), "end": _at("10:30"), "reason": "tumor board"}
    r = client.post(f"/api/v1/clinicians/{p.us_doc.id}/time-off", json=off, headers=h)
    assert r.status_code == 201, r.json
    assert (r.json["start"], r.json["end"]) == ("2027-03-08T14:30:00+00:00", "2027-03-08T15:30:00+00:00")
    assert _starts(client, p.consult, clinician_id=p.us_doc.id) == [_at("11:00")]
    _refused(_book(client, h, p, _at("09:00")), "time_off")
    _refused(_book(client, h, p, _at("10:00")), "time_off")
    assert _book(client, h, p, _at("11:00")).status_code == 201
    assert len(_starts(client, p.consult, "2027-03-15", clinician_id=p.us_doc.id)) == 3


def test_time_off_ending_at_a_slot_start_leaves_that_slot(client):
    p = f.program()
    h = f.token(client, "admin@example.org")
    off = {"start": _at("08:00"), "end": _at("09:00")}
    assert client.post(f"/api/v1/clinicians/{p.us_doc.id}/time-off", json=off, headers=h).status_code == 201
    assert _starts(client, p.consult, clinician_id=p.us_doc.id) == [_at("09:00"), _at("10:00"), _at("11:00")]
    assert _book(client, h, p, _at("09:00")).status_code == 201


def test_whole_day_off_at_a_location(client):
    p = f.program()
    h = f.token(client, "admin@example.org")
    r = client.post(
        f"/api/v1/clinicians/{p.us_doc.id}/time-off", json={"location_id": p.cleveland.id, "date": MON}, headers=h
    )
    assert r.status_code == 201, r.json
    assert (r.json["start"], r.json["end"]) == ("2027-03-08T05:00:00+00:00", "2027-03-09T05:00:00+00:00")
    assert r.json["location_id"] == p.cleveland.id
    assert _starts(client, p.consult, clinician_id=p.us_doc.id) == []
    for hhmm in ("09:00", "10:00", "11:00"):
        _refused(_book(client, h, p, _at(hhmm)), "time_off")
    assert len(_starts(client, p.consult, clinician_id=p.uk_doc.id)) == 3  # only that clinician is away
    assert _book(client, h, p, _at("09:00", "2027-03-15", "-04:00")).status_code == 201


def test_whole_day_off_on_the_short_dst_day_is_23_hours(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    body = {"location_id": p.cleveland.id, "date": "2027-03-14"}
    r = client.post(f"/api/v1/clinicians/{p.us_doc.id}/time-off", json=body, headers=h)
    assert (r.json["start"], r.json["end"]) == ("2027-03-14T05:00:00+00:00", "2027-03-15T04:00:00+00:00")


def test_time_off_input_is_checked_and_staff_only(client):
    p = f.program()
    h, pat = f.token(client, "sched@example.org"), f.token(client, "pat@example.org")
    url = f"/api/v1/clinicians/{p.us_doc.id}/time-off"
    bad = [
        ({"start": _at("10:00"), "end": _at("09:00")}, "end"),
        ({"start": _at("10:00"), "end": _at("10:00")}, "end"),
        ({"start": "2027-03-08T09:00:00", "end": _at("10:00")}, "start"),
        ({"start": _at("09:00")}, "end"),
        ({"location_id": p.cleveland.id, "date": "2027-02-30"}, "date"),
        ({"location_id": 424242, "date": MON}, "location_id"),
        ({"date": MON}, "location_id"),
        ({"location_id": p.cleveland.id, "date": 20270308}, "date"),
    ]
    for body, field in bad:
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422 and field in r.json["error"]["fields"], (body, r.json)
    assert client.post(url, json={"location_id": p.cleveland.id, "date": MON}, headers=pat).status_code == 403
    missing = client.post(
        "/api/v1/clinicians/424242/time-off", json={"start": _at("09:00"), "end": _at("10:00")}, headers=h
    )
    assert missing.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(TimeOff)) == 0


def test_visit_type_the_clinician_does_not_offer(client):
    p = f.program()
    follow_up = f.visit_type("Follow-up", minutes=30)
    p.uk_doc.visit_types.append(follow_up)
    db.session.commit()
    h = f.token(client, "sched@example.org")
    assert _starts(client, follow_up, clinician_id=p.us_doc.id) == []
    assert len(_starts(client, follow_up, clinician_id=p.uk_doc.id)) == 6
    _refused(_book(client, h, p, _at("09:00"), vt=follow_up), "not_offered")
    assert (
        _book(client, h, p, _at("09:00", offset="+00:00"), vt=follow_up, doc=p.uk_doc, loc=p.london).status_code == 201
    )


def test_video_needs_a_licence_where_the_patient_will_be(client):
    p = f.program()
    pat = f.token(client, "pat@example.org")  # stored region GB
    # no patient_region: falls back to the stored GB, which the Cleveland surgeon is not licensed for
    _refused(_book(client, pat, p, _at("09:00"), mode="virtual", patient=None), "not_licensed")
    _refused(_book(client, pat, p, _at("09:00"), mode="virtual", patient=None, patient_region="US-CA"), "not_licensed")
    r = _book(client, pat, p, _at("09:00"), mode="virtual", patient=None, patient_region="US-OH")
    assert r.status_code == 201 and r.json["patient_region"] == "US-OH"
    r = _book(client, pat, p, _at("09:00", offset="+00:00"), doc=p.uk_doc, loc=p.london, mode="virtual", patient=None)
    assert r.status_code == 201 and r.json["patient_region"] == "GB"
    sub = _book(
        client,
        pat,
        p,
        _at("10:00", offset="+00:00"),
        doc=p.uk_doc,
        loc=p.london,
        mode="virtual",
        patient=None,
        patient_region="GB-ENG",
    )
    assert sub.status_code == 201, sub.json  # a country-wide licence covers its subdivisions


def test_stored_region_of_a_us_patient_is_used(client):
    p = f.program()
    other = f.token(client, "other@example.org")  # stored region US-OH
    r = _book(client, other, p, _at("10:00"), mode="virtual", patient=None)
    assert r.status_code == 201 and r.json["patient_region"] == "US-OH"
    _refused(
        _book(
            client, other, p, _at("10:00", offset="+00:00"), doc=p.uk_doc, loc=p.london, mode="virtual", patient=None
        ),
        "not_licensed",
    )


def test_video_without_any_region_is_422_but_in_person_is_fine(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    body = {"name": "No Region", "email": "nr@example.org", "phone": "+12165550123", "timezone": "America/New_York"}
    made = client.post("/api/v1/patients", json=body, headers=h)
    assert made.status_code == 201 and made.json["region"] is None
    base = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    video = {**base, "mode": "virtual", "start": _at("09:00"), "patient_id": made.json["id"]}
    r = client.post("/api/v1/appointments", json=video, headers=h)
    assert r.status_code == 422 and "patient_region" in r.json["error"]["fields"]
    assert client.post("/api/v1/appointments", json={**video, "mode": "in_person"}, headers=h).status_code == 201


def test_slot_search_honours_patient_region_for_video_only(client):
    p = f.program()

    def doctors(**params):
        q = {"visit_type_id": p.consult.id, "from": MON, "to": MON, **params}
        return {s["clinician_id"] for s in client.get("/api/v1/slots", query_string=q).json["slots"]}

    assert doctors(mode="virtual", patient_region="GB") == {p.uk_doc.id}
    assert doctors(mode="virtual", patient_region="US-FL") == {p.us_doc.id}
    assert doctors(mode="virtual", patient_region="US-CA") == set()
    assert doctors(mode="in_person", patient_region="US-CA") == {p.us_doc.id, p.uk_doc.id}
