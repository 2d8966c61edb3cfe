"""Booking rules on direct API calls: buffers, notice, advance, hours and grid, modes.

Each refusal is checked twice: the slot is absent from GET /slots, and POST /appointments
for it is 409 slot_unavailable with the precise `reason`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from televisit import clock
from tests import factories as f

MON = "2027-03-08"
BOTH = ("virtual", "in_person")


def _at(hhmm: str, day: str = MON, offset: str = "-05:00") -> str:
    return f"{day}T{hhmm}:00{offset}"


def _starts(client, vt, day=MON, **params) -> set[str]:
    q = {"visit_type_id": vt.id, "from": day, "to": day, "tz": "America/New_York", **params}
    r = client.get("/api/v1/slots", query_string=q)
    assert r.status_code == 200, r.json
    return {s["start"] for s in r.json["slots"]}


def _book(client, headers, p, doc, vt, start, *, loc=None, mode="in_person", **extra):
    body = {
        "visit_type_id": vt.id,
        "clinician_id": doc.id,
        "location_id": (loc or p.cleveland).id,
        "mode": mode,
        "start": start,
        "patient_id": p.users["other"].patient_id,
        **extra,
    }
    return client.post("/api/v1/appointments", json=body, headers=headers)


def _refused(r, reason: str) -> None:
    assert r.status_code == 409, r.json
    assert r.json["error"]["code"] == "slot_unavailable"
    assert r.json["error"]["reason"] == reason, r.json


def _buffered(p):
    after = f.visit_type("After buffer", after=15)
    before = f.visit_type("Before buffer", before=15)
    doc = f.clinician(
        "Dr. Buffer", visit_types=[p.consult, after, before], rules=[(p.cleveland, 0, 540, 720, BOTH)], email="b@x.org"
    )
    return doc, after, before


def test_buffer_after_keeps_the_next_visit_away(client):
    p = f.program()
    doc, after, _ = _buffered(p)
    h = f.token(client, "sched@example.org")
    assert _book(client, h, p, doc, p.consult, _at("11:00")).status_code == 201
    # a consult (no buffer) still fits at 10:00; the buffered type would run into 11:00
    assert _starts(client, p.consult, clinician_id=doc.id) == {_at("09:00"), _at("10:00")}
    assert _starts(client, after, clinician_id=doc.id) == {_at("09:00")}
    _refused(_book(client, h, p, doc, after, _at("10:00")), "taken")
    assert _book(client, h, p, doc, after, _at("09:00")).status_code == 201
    # its buffer (until 10:15) now refuses the plain consult at 10:00
    _refused(_book(client, h, p, doc, p.consult, _at("10:00")), "taken")
    assert _starts(client, p.consult, clinician_id=doc.id) == set()


def test_buffer_before_keeps_the_previous_visit_away(client):
    p = f.program()
    doc, _, before = _buffered(p)
    h = f.token(client, "sched@example.org")
    assert _book(client, h, p, doc, p.consult, _at("09:00")).status_code == 201
    assert _starts(client, p.consult, clinician_id=doc.id) == {_at("10:00"), _at("11:00")}
    assert _starts(client, before, clinician_id=doc.id) == {_at("11:00")}
    _refused(_book(client, h, p, doc, before, _at("10:00")), "taken")
    assert _book(client, h, p, doc, before, _at("11:00")).status_code == 201
    assert _starts(client, p.consult, clinician_id=doc.id) == set()  # 10:00 would end in 11:00's buffer
    _refused(_book(client, h, p, doc, p.consult, _at("10:00")), "taken")


def test_min_notice(client):
    p = f.program()
    notice = f.visit_type("Notice", notice=180)
    doc = f.clinician("Dr. Notice", visit_types=[p.consult, notice], rules=[(p.cleveland, 0, 540, 720, BOTH)])
    h = f.token(client, "sched@example.org")
    today = "2027-03-01"  # NOW is 07:00 in New York; 3 hours' notice means 10:00 at the earliest
    assert _starts(client, p.consult, today, clinician_id=doc.id) == {
        _at(t, today) for t in ("09:00", "10:00", "11:00")
    }
    assert _starts(client, notice, today, clinician_id=doc.id) == {_at("10:00", today), _at("11:00", today)}
    _refused(_book(client, h, p, doc, notice, _at("09:00", today)), "too_soon")
    assert _book(client, h, p, doc, notice, _at("10:00", today)).status_code == 201


def test_the_past_is_never_offered_or_bookable(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    today = "2027-03-01"  # London's 09:00-12:00 is over at NOW (12:00 UTC)
    assert _starts(client, p.consult, today, clinician_id=p.uk_doc.id) == set()
    r = _book(client, h, p, p.uk_doc, p.consult, _at("11:00", today, "+00:00"), loc=p.london)
    _refused(r, "too_soon")


def test_max_advance(client):
    p = f.program()
    week = f.visit_type("Week ahead", advance=7)
    doc = f.clinician("Dr. Week", visit_types=[week], rules=[(p.london, 0, 540, 720, BOTH)])
    h = f.token(client, "sched@example.org")
    clock.freeze(datetime(2027, 3, 1, 10, 0, tzinfo=timezone.utc))  # the horizon is Monday 3/8 10:00 UTC
    assert _starts(client, week, tz="UTC", clinician_id=doc.id) == {
        _at("09:00", offset="+00:00"),
        _at("10:00", offset="+00:00"),
    }
    _refused(_book(client, h, p, doc, week, _at("11:00", offset="+00:00"), loc=p.london), "too_far")
    assert _book(client, h, p, doc, week, _at("10:00", offset="+00:00"), loc=p.london).status_code == 201
    _refused(_book(client, h, p, doc, week, _at("09:00", "2027-03-15", "+00:00"), loc=p.london), "too_far")
    assert _starts(client, week, "2027-03-15", tz="UTC") == set()


def test_default_horizon_of_365_days(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    assert _starts(client, p.consult, "2028-02-28", clinician_id=p.us_doc.id)  # NOW + 364 days
    assert _starts(client, p.consult, "2028-03-06", clinician_id=p.us_doc.id) == set()
    _refused(_book(client, h, p, p.us_doc, p.consult, _at("09:00", "2028-03-06")), "too_far")


def test_outside_hours_and_off_grid_starts(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    for start in [
        _at("08:00"),  # before the window
        _at("12:00"),  # at the window's end
        _at("11:30"),  # would end after the window, and is off the grid
        _at("09:30"),  # inside the window but not a slot start
        f"{MON}T09:00:30-05:00",  # seconds off the grid
        f"{MON}T09:00:00.500000-05:00",
        _at("09:00", "2027-03-09"),  # a Tuesday
        _at("09:00", offset="+00:00"),  # 04:00 in Cleveland
    ]:
        _refused(_book(client, h, p, p.us_doc, p.consult, start), "outside_hours")
    ok = _book(client, h, p, p.us_doc, p.consult, _at("09:00"))
    assert ok.status_code == 201, ok.json
    same_instant = _book(client, h, p, p.us_doc, p.consult, "2027-03-08T14:00:00Z")
    _refused(same_instant, "taken")


def test_london_clinician_is_not_bookable_at_cleveland(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    _refused(_book(client, h, p, p.uk_doc, p.consult, _at("09:00")), "outside_hours")
    assert _starts(client, p.consult, clinician_id=p.uk_doc.id, location_id=p.cleveland.id) == set()


def test_mode_the_rule_does_not_offer(client):
    p = f.program()
    doc = f.clinician("Dr. Video", visit_types=[p.consult], rules=[(p.cleveland, 0, 540, 720, ("virtual",))])
    h = f.token(client, "sched@example.org")
    assert _starts(client, p.consult, clinician_id=doc.id, mode="in_person") == set()
    r = client.get(
        "/api/v1/slots", query_string={"visit_type_id": p.consult.id, "from": MON, "to": MON, "clinician_id": doc.id}
    )
    assert {s["mode"] for s in r.json["slots"]} == {"virtual"} and len(r.json["slots"]) == 3
    _refused(_book(client, h, p, doc, p.consult, _at("09:00")), "outside_hours")
    assert _book(client, h, p, doc, p.consult, _at("09:00"), mode="virtual").status_code == 201


def test_mode_the_visit_type_does_not_allow_is_422(client):
    p = f.program()
    video = f.visit_type("Video only", modes=("virtual",))
    doc = f.clinician("Dr. Both", visit_types=[video], rules=[(p.cleveland, 0, 540, 720, BOTH)])
    h = f.token(client, "sched@example.org")
    assert _starts(client, video, clinician_id=doc.id, mode="in_person") == set()
    r = _book(client, h, p, doc, video, _at("09:00"))
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid"
    assert "mode" in r.json["error"]["fields"]
    assert _book(client, h, p, doc, video, _at("09:00"), mode="virtual").status_code == 201
