"""Every slot GET /slots offers can be booked, and a clinician's visits never overlap."""

from __future__ import annotations

from tests import factories as f

MON = "2027-03-08"
BOTH = ("virtual", "in_person")
KEYS = ("visit_type_id", "clinician_id", "location_id", "mode", "start")


def _slots(client, vt, day=MON, **params) -> list[dict]:
    q = {"visit_type_id": vt.id, "from": day, "to": day, **params}
    r = client.get("/api/v1/slots", query_string=q)
    assert r.status_code == 200, r.json
    return r.json["slots"]


def _book(client, headers, slot, patient_id, **extra):
    body = {**{k: slot[k] for k in KEYS}, "patient_id": patient_id, **extra}
    return client.post("/api/v1/appointments", json=body, headers=headers)


def test_every_in_person_slot_of_a_day_books(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    pid = p.users["other"].patient_id
    offered = _slots(client, p.consult, mode="in_person")
    assert len(offered) == 6 and {s["clinician_id"] for s in offered} == {p.us_doc.id, p.uk_doc.id}
    for slot in offered:
        r = _book(client, h, slot, pid)
        assert r.status_code == 201, (slot, r.json)
        assert (r.json["clinician_id"], r.json["mode"]) == (slot["clinician_id"], "in_person")
    assert _slots(client, p.consult) == []  # both modes of every time are gone
    booked = client.get("/api/v1/appointments", headers=h).json["appointments"]
    assert len(booked) == 6


def test_every_video_slot_for_a_region_books(client):
    p = f.program()
    pat = f.token(client, "pat@example.org")
    offered = _slots(client, p.consult, "2027-03-15", mode="virtual", patient_region="US-OH")
    assert len(offered) == 3 and {s["clinician_id"] for s in offered} == {p.us_doc.id}
    for slot in offered:
        r = _book(client, pat, slot, p.users["patient"].patient_id, patient_region="US-OH")
        assert r.status_code == 201, (slot, r.json)
    assert _slots(client, p.consult, "2027-03-15", patient_region="US-OH", mode="virtual") == []


def test_each_slot_on_a_dst_day_with_buffers_books_on_its_own(client):
    """Sunday 2027-03-14 in New York is 23 hours long; a 45-minute visit with buffers, all day."""
    p = f.program()
    vt = f.visit_type("Odd", minutes=45, before=5, after=10)
    doc = f.clinician("Dr. Night", visit_types=[vt], rules=[(p.cleveland, 6, 0, 1440, BOTH)])
    h = f.token(client, "sched@example.org")
    pid = p.users["other"].patient_id
    offered = _slots(client, vt, "2027-03-14", tz="America/New_York", mode="in_person", clinician_id=doc.id)
    assert len(offered) == 23 * 60 // 45
    assert offered[0]["start"] == "2027-03-14T00:00:00-05:00"
    assert any(s["start"].endswith("-04:00") for s in offered)
    for slot in offered:
        r = _book(client, h, slot, pid)
        assert r.status_code == 201, (slot, r.json)
        assert client.post(f"/api/v1/appointments/{r.json['id']}/cancel", headers=h).status_code == 200


def test_booking_the_first_offered_slot_until_none_remain(client):
    p = f.program()
    vt = f.visit_type("Odd", minutes=45, before=5, after=10)
    doc = f.clinician("Dr. Busy", visit_types=[vt, p.consult], rules=[(p.cleveland, 0, 8 * 60, 17 * 60, BOTH)])
    h = f.token(client, "sched@example.org")
    pid = p.users["other"].patient_id
    booked = []
    for turn in range(40):
        kind = vt if turn % 2 else p.consult
        offered = _slots(client, kind, mode="in_person", clinician_id=doc.id)
        if not offered:
            offered = _slots(client, vt if kind is p.consult else p.consult, mode="in_person", clinician_id=doc.id)
        if not offered:
            break
        slot = offered[len(offered) // 2]
        r = _book(client, h, slot, pid)
        assert r.status_code == 201, (slot, r.json)
        booked.append(r.json)
        assert slot["start"] not in {s["start"] for s in _slots(client, vt, clinician_id=doc.id)}
    assert len(booked) >= 5
    blocks = sorted((a["start"], a["end"], a["visit_type_id"]) for a in booked)
    assert all(a[1] <= b[0] for a, b in zip(blocks, blocks[1:], strict=False))  # no two visits overlap


def _two_lengths(p):
    follow = f.visit_type("Follow-up", minutes=30)
    doc = f.clinician("Dr. Mixed", visit_types=[p.consult, follow], rules=[(p.cleveland, 0, 540, 720, BOTH)])
    return doc, follow


def _starts(client, vt, doc):
    return [s["start"][11:16] for s in _slots(client, vt, tz="America/New_York", mode="in_person", clinician_id=doc.id)]


def test_a_long_visit_blocks_the_short_visits_it_overlaps(client):
    p = f.program()
    doc, follow = _two_lengths(p)
    h = f.token(client, "sched@example.org")
    pid = p.users["other"].patient_id
    first = _slots(client, p.consult, mode="in_person", clinician_id=doc.id)[0]
    assert _book(client, h, first, pid).status_code == 201  # 09:00-10:00
    assert _starts(client, follow, doc) == ["10:00", "10:30", "11:00", "11:30"]
    clash = {**first, "visit_type_id": follow.id, "start": "2027-03-08T09:30:00-05:00"}
    r = _book(client, h, clash, pid)
    assert r.status_code == 409 and r.json["error"]["reason"] == "taken"


def test_a_short_visit_blocks_the_long_visits_it_overlaps(client):
    p = f.program()
    doc, follow = _two_lengths(p)
    h = f.token(client, "sched@example.org")
    pid = p.users["other"].patient_id
    short = next(
        s
        for s in _slots(client, follow, tz="America/New_York", mode="in_person", clinician_id=doc.id)
        if "T10:30" in s["start"]
    )
    assert _book(client, h, short, pid).status_code == 201  # 10:30-11:00
    assert _starts(client, p.consult, doc) == ["09:00", "11:00"]
    clash = {**short, "visit_type_id": p.consult.id, "start": "2027-03-08T10:00:00-05:00"}
    r = _book(client, h, clash, pid)
    assert r.status_code == 409 and r.json["error"]["reason"] == "taken"
    other_doc = {**clash, "clinician_id": p.us_doc.id}  # another clinician at the same time is fine
    assert _book(client, h, other_doc, pid).status_code == 201
