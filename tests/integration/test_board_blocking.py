"""A board session blocks every member's calendar, at every one of their sites, in the one slot engine: the
search does not offer a member a slot overlapping it and the booking check refuses it (the same busy-time
path), while a clinician who is not a member keeps the time. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from televisit.extensions import db
from televisit.models import AvailabilityRule, VisitType
from tests import factories as f

MON, MON_AFTER_US_CHANGE = "2027-03-08", "2027-03-15"
BOTH = ["virtual", "in_person"]


@pytest.fixture
def world(client):
    """Dr. Cleveland works Monday 09:00-12:00 in Cleveland and 14:00-17:00 in London (the same instants in
    early March); Dr. Other the same Cleveland hours. A board at Cleveland meets Mondays 10:00 for an hour
    with Dr. Cleveland as its member; a 30-minute joint visit needs a neurosurgeon and a radiation oncologist."""
    p = f.program()
    p.us_doc.rules.append(AvailabilityRule(location_id=p.london.id, weekday=0, start_minute=14 * 60,
                                           end_minute=17 * 60, modes=BOTH))  # fmt: skip
    p.us_doc.licenses = ["US-OH", "US-FL", "GB"]
    other = f.clinician("Dr. Other", visit_types=[p.consult], rules=[(p.cleveland, 0, 9 * 60, 12 * 60, BOTH)])
    db.session.commit()
    admin = f.token(client, "admin@example.org")
    body = {"name": "Board", "location_id": p.cleveland.id, "weekday": 0, "start": "10:00", "duration_minutes": 60}
    body |= {"capacity": 10, "member_ids": [p.us_doc.id]}
    r = client.post("/api/v1/boards", json=body, headers=admin)
    assert r.status_code == 201, r.json
    return p, other, r.json["id"], admin


def _starts(client, p, clinician_id, day=MON, **extra) -> list[tuple[int, str]]:
    q = {"visit_type_id": p.consult.id, "from": day, "to": day, "clinician_id": clinician_id, "tz": "UTC"}
    r = client.get("/api/v1/slots", query_string=q | extra)
    assert r.status_code == 200, r.json
    return sorted({(s["location_id"], s["start"][11:16]) for s in r.json["slots"]})


def _book(client, p, clinician_id, location_id, start):
    body = {"visit_type_id": p.consult.id, "clinician_id": clinician_id, "location_id": location_id,
            "mode": "in_person", "start": start, "patient_id": p.users["other"].patient_id}  # fmt: skip
    return client.post("/api/v1/appointments", json=body, headers=f.token(client, "sched@example.org"))


def test_a_member_is_offered_no_slot_during_the_session_at_any_site(client, world):
    p, other, _, _ = world
    cle, lon = p.cleveland.id, p.london.id
    # 10:00 EST is 15:00 UTC (and 15:00 GMT in London): the session hour
    assert _starts(client, p, p.us_doc.id) == [(cle, "14:00"), (cle, "16:00"), (lon, "14:00"), (lon, "16:00")]
    assert _starts(client, p, other.id) == [(cle, "14:00"), (cle, "15:00"), (cle, "16:00")]


def test_the_booking_check_refuses_the_member_and_books_the_non_member(client, world):
    p, other, _, _ = world
    for location_id, start in ((p.cleveland.id, "2027-03-08T10:00:00-05:00"), (p.london.id, "2027-03-08T15:00:00Z")):
        r = _book(client, p, p.us_doc.id, location_id, start)
        assert r.status_code == 409 and r.json["error"]["reason"] == "time_off", r.json
    assert _book(client, p, p.us_doc.id, p.cleveland.id, "2027-03-08T11:00:00-05:00").status_code == 201
    assert _book(client, p, other.id, p.cleveland.id, "2027-03-08T10:00:00-05:00").status_code == 201


def test_the_session_follows_cleveland_wall_time_after_the_us_clock_change(client, world):
    p, _, _, _ = world
    cle, lon = p.cleveland.id, p.london.id
    # 15 March: Cleveland is on EDT (UTC-4), London still on GMT. Cleveland 09:00-12:00 is 13:00-16:00 UTC, the
    # session 10:00 EDT is 14:00 UTC; London 14:00-17:00 GMT is 14:00-17:00 UTC.
    assert _starts(client, p, p.us_doc.id, MON_AFTER_US_CHANGE) == [
        (cle, "13:00"), (cle, "15:00"), (lon, "15:00"), (lon, "16:00")]  # fmt: skip
    r = _book(client, p, p.us_doc.id, p.london.id, "2027-03-15T14:00:00Z")
    assert r.status_code == 409 and r.json["error"]["reason"] == "time_off"


def test_a_member_is_not_taken_into_a_joint_visit_during_the_session(client, world):
    p, _, _, admin = world
    joint = VisitType(name="Joint", duration_minutes=60, modes=BOTH, buffer_before_minutes=0, buffer_after_minutes=0,
                      min_notice_minutes=0, max_advance_days=365, team_specialties=["radiation_oncology",
                      "neurosurgery"])  # fmt: skip
    db.session.add(joint)
    db.session.flush()
    rad = f.clinician("Dr. Rad", specialty="radiation_oncology", visit_types=[joint],
                      rules=[(p.cleveland, 0, 9 * 60, 12 * 60, BOTH)])  # fmt: skip
    p.us_doc.visit_types.append(joint)  # the only neurosurgeon at Cleveland, and a board member
    db.session.commit()
    q = {"visit_type_id": joint.id, "from": MON, "to": MON, "location_id": p.cleveland.id, "tz": "UTC"}
    slots = client.get("/api/v1/slots", query_string=q).json["slots"]
    assert sorted({s["start"][11:16] for s in slots}) == ["14:00", "16:00"]
    assert all(s["clinician_ids"] == [rad.id, p.us_doc.id] for s in slots)
    body = {"visit_type_id": joint.id, "clinician_id": rad.id, "location_id": p.cleveland.id, "mode": "in_person",
            "start": "2027-03-08T10:00:00-05:00", "patient_id": p.users["other"].patient_id}  # fmt: skip
    r = client.post("/api/v1/appointments", json=body, headers=admin)
    assert r.status_code == 409 and r.json["error"]["reason"] == "no_team", r.json


def test_leaving_the_board_gives_the_time_back_at_once(client, world):
    p, other, board_id, admin = world
    body = {"name": "Board", "location_id": p.cleveland.id, "weekday": 0, "start": "10:00", "duration_minutes": 60}
    r = client.put(f"/api/v1/boards/{board_id}", json=body | {"capacity": 10, "member_ids": [other.id]}, headers=admin)
    assert r.status_code == 200, r.json
    assert (p.cleveland.id, "15:00") in _starts(client, p, p.us_doc.id)
    assert (p.cleveland.id, "15:00") not in _starts(client, p, other.id)
    assert _book(client, p, p.us_doc.id, p.cleveland.id, "2027-03-08T10:00:00-05:00").status_code == 201
