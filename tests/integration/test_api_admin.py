"""Admin endpoints: locations, visit types, clinicians, weekly availability."""

from __future__ import annotations

from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import AvailabilityRule, Clinician, Location, User, VisitType
from tests import factories as f

WESTON = {"name": "Weston", "city": "Weston", "region": "US-FL", "country": "US", "timezone": "America/New_York"}
FOLLOW_UP = {"name": "Follow-up", "duration_minutes": 30, "modes": ["virtual"]}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _invalid(r, *fields):
    assert r.status_code == 422, (r.status_code, r.json)
    assert r.json["error"]["code"] == "invalid"
    assert set(fields) <= set(r.json["error"]["fields"]), r.json


def test_create_location(client):
    f.program()
    h = f.token(client, "admin@example.org")
    r = client.post("/api/v1/locations", json=WESTON, headers=h)
    assert r.status_code == 201, r.json
    assert {k: r.json[k] for k in WESTON} == WESTON and isinstance(r.json["id"], int)
    listed = client.get("/api/v1/locations").json["locations"]
    assert r.json in listed and len(listed) == 3


def test_location_validation_duplicates_and_roles(client):
    f.program()
    h = f.token(client, "admin@example.org")
    _invalid(client.post("/api/v1/locations", json={}, headers=h), "name", "city", "region", "country", "timezone")
    for field, value in [("timezone", "Florida/Weston"), ("region", "Florida"), ("country", "usa"), ("country", "us")]:
        _invalid(client.post("/api/v1/locations", json={**WESTON, field: value}, headers=h), field)
    _invalid(client.post("/api/v1/locations", json={**WESTON, "name": "x" * 500}, headers=h), "name")
    assert client.post("/api/v1/locations", json=WESTON, headers=h).status_code == 201
    dup = client.post("/api/v1/locations", json={**WESTON, "city": "Elsewhere"}, headers=h)
    assert dup.status_code == 409 and dup.json["error"]["code"] == "conflict"
    for who in ("sched@example.org", "pat@example.org", "cle@example.org"):
        r = client.post("/api/v1/locations", json={**WESTON, "name": who}, headers=f.token(client, who))
        assert r.status_code == 403
    assert _count(Location) == 3


def test_create_visit_type_with_defaults(client):
    f.program()
    h = f.token(client, "admin@example.org")
    r = client.post("/api/v1/visit-types", json=FOLLOW_UP, headers=h)
    assert r.status_code == 201, r.json
    assert r.json["modes"] == ["virtual"] and r.json["duration_minutes"] == 30
    assert (r.json["buffer_before_minutes"], r.json["buffer_after_minutes"], r.json["min_notice_minutes"]) == (0, 0, 0)
    assert r.json["max_advance_days"] >= 1
    assert r.json in client.get("/api/v1/visit-types").json["visit_types"]


def test_visit_type_validation_duplicates_and_roles(client):
    f.program()
    h = f.token(client, "admin@example.org")
    _invalid(client.post("/api/v1/visit-types", json={}, headers=h), "name", "duration_minutes", "modes")
    for field, value in [
        ("modes", []),
        ("modes", ["video"]),
        ("modes", "virtual"),
        ("duration_minutes", 0),
        ("duration_minutes", ""),
        ("duration_minutes", 30.5),
        ("duration_minutes", 10**12),
        ("buffer_after_minutes", -5),
        ("max_advance_days", 0),
        ("min_notice_minutes", True),
    ]:
        _invalid(client.post("/api/v1/visit-types", json={**FOLLOW_UP, field: value}, headers=h), field)
    assert client.post("/api/v1/visit-types", json=FOLLOW_UP, headers=h).status_code == 201
    dup = client.post("/api/v1/visit-types", json={**FOLLOW_UP, "duration_minutes": 45}, headers=h)
    assert dup.status_code == 409
    sched = client.post(
        "/api/v1/visit-types", json={**FOLLOW_UP, "name": "S"}, headers=f.token(client, "sched@example.org")
    )
    assert sched.status_code == 403
    assert _count(VisitType) == 2


def test_create_clinician(client):
    p = f.program()
    h = f.token(client, "admin@example.org")
    body = {
        "name": "Dr. New",
        "specialty": "radiation_oncology",
        "licenses": ["US-FL", "GB"],
        "visit_type_ids": [p.consult.id],
        "email": "New@Example.org",
        "phone": "+13055550123",
    }
    r = client.post("/api/v1/clinicians", json=body, headers=h)
    assert r.status_code == 201, r.json
    assert (r.json["licenses"], r.json["visit_type_ids"]) == (["US-FL", "GB"], [p.consult.id])
    assert r.json in client.get("/api/v1/clinicians?specialty=radiation_oncology").json["clinicians"]
    assert client.get(f"/api/v1/clinicians/{r.json['id']}").json == r.json


def test_clinician_validation_duplicates_and_roles(client):
    p = f.program()
    h = f.token(client, "admin@example.org")
    ok = {"name": "Dr. New", "specialty": "neurology", "licenses": ["US-OH"], "visit_type_ids": [p.consult.id]}
    _invalid(client.post("/api/v1/clinicians", json={}, headers=h), "name", "specialty", "licenses", "visit_type_ids")
    for field, value in [
        ("specialty", "astrology"),
        ("licenses", ["Ohio"]),
        ("licenses", "US-OH"),
        ("visit_type_ids", [424242]),
        ("visit_type_ids", ["one"]),
        ("email", "not-an-email"),
        ("phone", "216-555-0123"),
    ]:
        _invalid(client.post("/api/v1/clinicians", json={**ok, field: value}, headers=h), field)
    dup = client.post("/api/v1/clinicians", json={**ok, "email": "cle@example.org"}, headers=h)
    assert dup.status_code == 409 and dup.json["error"]["code"] == "conflict"
    assert client.post("/api/v1/clinicians", json=ok, headers=f.token(client, "sched@example.org")).status_code == 403
    assert _count(Clinician) == 2


def test_a_clinician_user_made_first_is_linked_when_the_clinician_is_added(client):
    p = f.program()
    f.user("late@example.org", "clinician")
    h = f.token(client, "admin@example.org")
    body = {"name": "Dr. Late", "specialty": "neurology", "licenses": ["US-OH"], "visit_type_ids": [p.consult.id]}
    r = client.post("/api/v1/clinicians", json={**body, "email": "late@example.org"}, headers=h)
    assert r.status_code == 201
    user = db.session.scalars(select(User).where(User.email == "late@example.org")).one()
    assert user.clinician_id == r.json["id"]


def _rule(loc, weekday=1, start="09:00", end="12:00", modes=("in_person",)):
    return {"location_id": loc.id, "weekday": weekday, "start": start, "end": end, "modes": list(modes)}


def test_put_availability_replaces_rules_and_drives_slots(client):
    p = f.program()
    h = f.token(client, "admin@example.org")
    rules = [_rule(p.cleveland, 1, "20:00", "24:00"), _rule(p.london, 2, "08:30", "10:30", ("virtual", "in_person"))]
    r = client.put(f"/api/v1/clinicians/{p.us_doc.id}/availability", json={"rules": rules}, headers=h)
    assert r.status_code == 200, r.json
    assert r.json == {"rules": rules}
    assert client.get(f"/api/v1/clinicians/{p.us_doc.id}/availability").json == {"rules": rules}
    q = {"visit_type_id": p.consult.id, "from": "2027-03-09", "to": "2027-03-09", "tz": "America/New_York"}
    slots = client.get("/api/v1/slots", query_string={**q, "clinician_id": p.us_doc.id}).json["slots"]
    assert [s["start"][11:16] for s in slots] == ["20:00", "21:00", "22:00", "23:00"]
    q = {**q, "from": "2027-03-08", "to": "2027-03-08"}
    assert client.get("/api/v1/slots", query_string={**q, "clinician_id": p.us_doc.id}).json["slots"] == []
    assert _count(AvailabilityRule) == 3  # 2 new + the London surgeon's own


def test_scheduler_can_put_availability_but_others_cannot(client):
    p = f.program()
    rules = {"rules": [_rule(p.cleveland)]}
    url = f"/api/v1/clinicians/{p.uk_doc.id}/availability"
    r = client.put(url, json=rules, headers=f.token(client, "sched@example.org"))
    assert r.status_code == 200 and r.json == rules
    for who in ("pat@example.org", "cle@example.org"):
        assert client.put(url, json={"rules": []}, headers=f.token(client, who)).status_code == 403
    assert client.put(url, json={"rules": []}).status_code == 401
    assert client.get(url).json == rules


def test_bad_availability_is_422_and_keeps_the_old_rules(client):
    p = f.program()
    h = f.token(client, "admin@example.org")
    url = f"/api/v1/clinicians/{p.us_doc.id}/availability"
    before = client.get(url).json
    cases = [
        ([_rule(p.cleveland, start="12:00", end="12:00")], "rules[0].end"),
        ([_rule(p.cleveland, start="13:00", end="09:00")], "rules[0].end"),
        ([_rule(p.cleveland, end="24:30")], "rules[0].end"),
        ([_rule(p.cleveland, end="25:00")], "rules[0].end"),
        ([_rule(p.cleveland, start="9:00")], "rules[0].start"),
        ([_rule(p.cleveland), _rule(p.cleveland, weekday=7)], "rules[1].weekday"),
        ([_rule(p.cleveland, modes=())], "rules[0].modes"),
        ([_rule(p.cleveland, modes=("phone",))], "rules[0].modes"),
        ([{**_rule(p.cleveland), "location_id": 424242}], "rules[0].location_id"),
        ([{**_rule(p.cleveland), "location_id": "x"}], "rules[0].location_id"),
        (["09:00-12:00"], "rules[0]"),
        ("all week", "rules"),
    ]
    for rules, field in cases:
        _invalid(client.put(url, json={"rules": rules}, headers=h), field)
    _invalid(client.put(url, json={}, headers=h), "rules")
    assert client.put("/api/v1/clinicians/424242/availability", json={"rules": []}, headers=h).status_code == 404
    assert client.get(url).json == before
    assert client.put(url, json={"rules": []}, headers=h).json == {"rules": []}
