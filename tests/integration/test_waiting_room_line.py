"""Checking in and the line, on a live server with real clients: rules, order, updates, reconnecting."""

from __future__ import annotations


def _code(ack: dict) -> str:
    assert ack["ok"] is False, ack
    return ack["error"]["code"]


def _patients(listing: dict) -> list[int]:
    return [p["appointment_id"] for p in listing["patients"]]


def test_check_in_rules(w):
    early, over = w.book("ada", "10:30"), w.book("bob", "08:40")  # opens at 10:00; ended at 08:50
    cancelled, in_person, ok = w.book("cy", "09:40"), w.book("eve", "09:50", mode="in_person"), w.book("ada", "09:30")
    assert w.server.api("POST", f"/appointments/{cancelled}/cancel", w.token("sched"), json={}).status_code == 200
    ada, bob, cy, dee, eve = (w.peer(n) for n in ("ada", "bob", "cy", "dee", "eve"))
    assert _code(ada.call("check_in", {"appointment_id": early})) == "too_early"
    assert _code(bob.call("check_in", {"appointment_id": over})) == "closed"
    assert _code(cy.call("check_in", {"appointment_id": cancelled})) == "cancelled"
    assert _code(eve.call("check_in", {"appointment_id": in_person})) == "not_virtual"
    assert _code(dee.call("check_in", {"appointment_id": ok})) == "not_found"  # another patient's: no hint
    for staff in ("doc", "sched"):
        assert _code(w.peer(staff).call("check_in", {"appointment_id": ok})) == "forbidden"
    for appt in (early, over, cancelled, in_person, ok):
        assert w.appointment(appt)["checked_in_at"] is None
    ack = ada.call("check_in", {"appointment_id": ok})
    assert ack["ok"] is True and ack["queue"]["appointment_id"] == ok and ack["queue"]["position"] == 1
    body = w.appointment(ok)
    assert body["status"] == "checked_in" and body["checked_in_at"] == ack["checked_in_at"]
    assert body["checked_in_at"].startswith("2027-03-01T09:0") and body["checked_in_at"].endswith("-05:00")


def test_the_line_is_by_start_and_every_change_reaches_everyone(w):
    a, b, c = w.book("ada", "09:20"), w.book("bob", "09:10"), w.book("cy", "09:30")
    clinic = w.peer("doc")
    assert clinic.call("join_clinic", {})["waiting_list"]["patients"] == []
    ada, bob, cy = w.peer("ada"), w.peer("bob"), w.peer("cy")

    first = ada.call("check_in", {"appointment_id": a})["queue"]
    assert first["position"] == 1 and 14 <= first["eta_minutes"] <= 15  # alone: waits for 09:20
    assert first["clinician_status"] == "available" and first["late_minutes"] == 0
    assert _patients(clinic.wait("waiting_list", lambda d: len(d["patients"]) == 1)) == [a]

    mark = ada.mark()
    assert bob.call("check_in", {"appointment_id": b})["queue"]["position"] == 1  # 09:10 goes before 09:20
    assert ada.wait("queue", lambda d: d["position"] == 2, since=mark)["appointment_id"] == a
    listing = clinic.wait("waiting_list", lambda d: len(d["patients"]) == 2)
    assert _patients(listing) == [b, a]
    item = listing["patients"][0]
    assert item["name"] == "Bob" and item["start"] == "2027-03-01T09:10:00-05:00" and item["connected"] is True
    assert item["status"] == "checked_in" and item["licensed"] is True and item["region"] == "US-OH"
    assert item["mode"] == "virtual" and item["location_id"] == w.ids["location"] and item["waiting_minutes"] == 0

    assert cy.call("check_in", {"appointment_id": c})["queue"]["position"] == 3
    assert _patients(clinic.wait("waiting_list", lambda d: len(d["patients"]) == 3)) == [b, a, c]

    marks = {p: p.mark() for p in (ada, bob, cy)}
    ack = clinic.call("admit", {"appointment_id": b})
    assert ack["ok"] is True
    admitted = bob.wait("admitted", since=marks[bob])
    assert admitted == {"appointment_id": b, "visit_url": f"{w.server.url}/waiting-room/{b}?view=visit"}
    assert ada.wait("queue", lambda d: d["position"] == 1, since=marks[ada])["clinician_status"] == "in_visit"
    cy_queue = cy.wait("queue", lambda d: d["position"] == 2, since=marks[cy])
    assert 19 <= cy_queue["eta_minutes"] <= 25  # after Bob's visit (10) and Ada's (10), or 09:30, whichever later
    for p in (ada, cy):
        assert p.wait("clinician_status", lambda d: d == {"status": "in_visit"}, since=marks[p])
    listing = clinic.wait("waiting_list", lambda d: d["in_visit"] is not None)
    assert _patients(listing) == [a, c] and listing["in_visit"]["appointment_id"] == b
    assert w.appointment(b)["status"] == "in_visit" and w.appointment(b)["admitted_at"]


def test_reconnecting_keeps_the_place_and_the_check_in_time(w):
    a, b = w.book("ada", "09:10"), w.book("bob", "09:20")
    clinic = w.peer("doc")
    clinic.call("join_clinic", {})
    ada, bob = w.peer("ada"), w.peer("bob")
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    before = bob.call("check_in", {"appointment_id": b})
    assert before["queue"]["position"] == 2

    mark = clinic.mark()
    bob.close()
    away = lambda d: [p["connected"] for p in d["patients"]] == [True, False]  # noqa: E731
    dropped = clinic.wait("waiting_list", away, since=mark)
    assert _patients(dropped) == [a, b]  # still in line while away

    mark, mine = clinic.mark(), bob.mark()
    bob.reconnect()
    again = bob.call("check_in", {"appointment_id": b})
    assert again["ok"] is True
    assert again["queue"]["position"] == 2 and again["checked_in_at"] == before["checked_in_at"]
    assert bob.wait("queue", since=mine)["position"] == 2  # on the new socket
    assert clinic.wait("waiting_list", lambda d: all(p["connected"] for p in d["patients"]), since=mark)
    assert w.appointment(b)["checked_in_at"] == before["checked_in_at"]


def test_a_join_link_checks_in_and_the_precheck_records_region_and_consent(w):
    a = w.book("ada", "09:30")
    peer = w.join_peer(a)
    ack = peer.call("precheck", {"appointment_id": a, "region": "US-FL", "consent": True})
    assert ack == {"ok": True, "licensed": True, "message": "You're all set."}
    ack = peer.call("check_in", {"appointment_id": a})
    assert ack["ok"] is True and ack["licensed"] is True and ack["queue"]["position"] == 1
    clinic = w.peer("doc")
    item = clinic.call("join_clinic", {})["waiting_list"]["patients"][0]
    assert item["region"] == "US-FL" and item["licensed"] is True and item["connected"] is True


def test_a_patient_who_was_admitted_while_away_goes_straight_back_to_the_visit(w):
    a = w.book("ada", "09:10")
    ada, clinic = w.peer("ada"), w.peer("doc")
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    ada.close()
    assert clinic.call("admit", {"appointment_id": a})["ok"] is True
    ada.reconnect()
    ack = ada.call("check_in", {"appointment_id": a})
    assert ack["ok"] is True and ack["status"] == "in_visit"
    assert ack["visit_url"] == f"{w.server.url}/waiting-room/{a}?view=visit"
    assert ada.wait("admitted")["appointment_id"] == a
