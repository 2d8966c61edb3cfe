"""Appointment through /fhir, on SQLite and PostgreSQL: the same rows as /api/v1 (read and search, who sees
what), joint visits and clinic days as Appointments with all their participants, and a hold (`pending`) as
the rest of the app sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment
from tests import factories as f
from tests.integration.test_care_api import _options, _pathway, _slots, _steps, care  # noqa: F401  (fixture)
from tests.support.desk_world import book as api_book
from tests.support.desk_world import page, sign_in
from tests.support.fhir_booking import book, hold, outbox_of, proposed_id, system_tokens
from tests.support.fhir_world import entries, fhir, next_link, token

MON_9, MON_10, MON_11 = (f"2027-03-08T{h}:00:00-05:00" for h in ("09", "10", "11"))


@pytest.fixture
def p(client):
    return f.program()


def _set_status(appointment_id: int, status: str) -> None:
    db.session.get(Appointment, appointment_id).status = status
    db.session.commit()


def _ids(bundle: dict) -> list[int]:
    return [int(a["id"]) for a in entries(bundle, "Appointment")]


# --- the same appointment as /api/v1 -------------------------------------------------------------------------------


def test_an_api_booking_reads_as_a_fhir_appointment(client, p):
    appointment_id = api_book(client, p, "other", MON_9, mode="virtual")
    desk = token(client, "sched@example.org")
    a = fhir(client, "GET", f"/Appointment/{appointment_id}", headers=desk)
    assert a["id"] == str(appointment_id) and a["status"] == "booked"
    assert (a["start"], a["end"], a["minutesDuration"]) == (MON_9, MON_10, 60)
    assert a["serviceType"][0]["coding"][0]["code"] == str(p.consult.id)
    assert a["appointmentType"]["coding"][0]["code"] == "virtual" and a["appointmentType"]["text"] == "Video visit"
    assert a["created"].startswith("2027-03-01T12:00:00") and a["meta"]["lastUpdated"].startswith("2027-03-01T12:00:00")
    actors = [(x["actor"]["reference"], x["actor"].get("display"), x["status"]) for x in a["participant"]]
    assert actors == [
        (f"Patient/{p.users['other'].patient_id}", "other", "accepted"),
        (f"Practitioner/{p.us_doc.id}", "Dr. Cleveland", "accepted"),
        (f"Location/{p.cleveland.id}", "Cleveland", "accepted"),
    ]


def test_statuses_map_to_fhir_codes(client, p):
    desk = token(client, "sched@example.org")
    appointment_id = api_book(client, p, "other", MON_9, mode="virtual")
    for ours, theirs in (
        ("checked_in", "checked-in"),
        ("in_visit", "arrived"),
        ("completed", "fulfilled"),
        ("no_show", "noshow"),
        ("cancelled", "cancelled"),
        ("pending", "pending"),
    ):
        _set_status(appointment_id, ours)
        assert fhir(client, "GET", f"/Appointment/{appointment_id}", headers=desk)["status"] == theirs, ours


def test_search_by_patient_date_and_status_pages_like_fhir(client, p):
    desk = token(client, "sched@example.org")
    nine = api_book(client, p, "other", MON_9, mode="virtual")
    ten = api_book(client, p, "patient", MON_10, mode="in_person")
    eleven = api_book(client, p, "other", MON_11, mode="in_person")
    later = api_book(client, p, "other", "2027-03-15T09:00:00-04:00", mode="in_person")
    _set_status(eleven, "cancelled")
    other = p.users["other"].patient_id

    def search(**q) -> dict:
        return fhir(client, "GET", "/Appointment", headers=desk, query_string=q)

    assert _ids(search(patient=f"Patient/{other}")) == [nine, eleven, later]
    assert _ids(search(patient=str(other), status="booked")) == [nine, later]
    assert _ids(search(status="cancelled,checked-in")) == [eleven]
    assert _ids(search(date=["ge2027-03-08T10:00:00-05:00", "lt2027-03-15"])) == [ten, eleven]
    assert _ids(search(date="2027-03-15")) == [later]
    first = search(_count="2")
    assert first["total"] == 4 and _ids(first) == [nine, ten]
    rest = fhir(client, "GET", next_link(first).split("/fhir", 1)[1], headers=desk)
    assert _ids(rest) == [eleven, later] and next_link(rest) is None
    for bad in (
        {"date": "ne2027-03-08"},
        {"date": "2027-03-08T09:00"},
        {"status": "booked,nope"},
        {"patient": "Location/1"},
    ):
        outcome = fhir(client, "GET", "/Appointment", 422, headers=desk, query_string=bad)
        assert outcome["issue"][1]["expression"] == list(bad), bad


def test_who_sees_what_is_what_the_json_api_shows(client, p):
    mine = api_book(client, p, "other", MON_9, mode="virtual")
    london = api_book(client, p, "patient", "2027-03-08T10:00:00+00:00", mode="in_person", doc=p.uk_doc)
    fhir(client, "GET", f"/Appointment/{mine}", 401)
    fhir(client, "GET", "/Appointment", 401)
    seen = {}
    for who in ("other@example.org", "pat@example.org", "cle@example.org", "sched@example.org", "admin@example.org"):
        headers = token(client, who)
        seen[who] = _ids(fhir(client, "GET", "/Appointment", headers=headers))
        api = client.get("/api/v1/appointments", headers=headers).get_json()["appointments"]
        assert seen[who] == [a["id"] for a in api], who
    assert seen["other@example.org"] == [mine] and seen["pat@example.org"] == [london]
    assert seen["cle@example.org"] == [mine] and seen["sched@example.org"] == [london, mine]  # by start
    outsider = token(client, "pat@example.org")
    fhir(client, "GET", f"/Appointment/{mine}", 404, headers=outsider)
    crafted = fhir(
        client, "GET", "/Appointment", headers=outsider, query_string={"patient": p.users["other"].patient_id}
    )
    assert crafted["total"] == 0
    fhir(client, "GET", "/Appointment/999999", 404, headers=token(client, "sched@example.org"))


def test_a_system_client_needs_appointment_read_and_patient_read_for_names(client, p, monkeypatch):
    appointment_id = api_book(client, p, "other", MON_9, mode="virtual")
    system = system_tokens(monkeypatch)
    fhir(client, "GET", f"/Appointment/{appointment_id}", 403, headers=system("system/Slot.read"))
    bare = fhir(client, "GET", f"/Appointment/{appointment_id}", headers=system("system/Appointment.read"))
    assert bare["participant"][0]["actor"] == {"reference": f"Patient/{p.users['other'].patient_id}"}
    named = fhir(
        client, "GET", f"/Appointment/{appointment_id}", headers=system("system/Appointment.rs system/Patient.read")
    )
    assert named["participant"][0]["actor"]["display"] == "other"


# --- care as the program gives it ----------------------------------------------------------------------------------


def test_a_joint_visit_with_a_machine_reads_with_every_participant(client, care):  # noqa: F811
    slot = _slots(client, care.joint, mode="in_person")[0]
    body = {k: slot[k] for k in ("visit_type_id", "clinician_id", "location_id", "mode", "start")}
    r = client.post("/api/v1/appointments", json=body | {"patient_id": care.patient_id}, headers=care.desk)
    assert r.status_code == 201, r.json
    a = fhir(client, "GET", f"/Appointment/{r.json['id']}", headers=care.radonc_headers)  # the attending clinician
    refs = [x["actor"].get("reference") for x in a["participant"]]
    assert refs == [
        f"Patient/{care.patient_id}",
        f"Practitioner/{care.neuro}",
        f"Practitioner/{care.radonc}",
        f"Location/{care.site}",
    ]
    mri = api_mri = _slots(client, care.mri_type)[0]
    body = {k: mri[k] for k in ("visit_type_id", "clinician_id", "location_id", "mode", "start")}
    scan = client.post("/api/v1/appointments", json=body | {"patient_id": care.patient_id}, headers=care.desk).json
    device = fhir(client, "GET", f"/Appointment/{scan['id']}", headers=care.desk)["participant"][-1]
    assert device == {"actor": {"type": "Device", "display": "MRI 1"}, "required": "required", "status": "accepted"}
    assert api_mri["resource_ids"] == [care.mri]


def test_a_clinic_day_reads_as_one_appointment_per_step_linked_to_the_others(client, care):  # noqa: F811
    pathway = _pathway(client, care)
    option = _options(client, pathway)[0]
    body = {"pathway_id": pathway, "patient_id": care.patient_id, "steps": _steps(option)}
    it = client.post("/api/v1/itineraries", json=body, headers=care.desk).json
    ids = [a["id"] for a in it["appointments"]]
    found = fhir(client, "GET", "/Appointment", headers=care.desk, query_string={"patient": care.patient_id})
    steps = entries(found, "Appointment")
    assert [int(s["id"]) for s in steps] == ids
    for step, appointment_id in zip(steps, ids, strict=True):
        linked = [int(x["reference"].split("/")[1]) for x in step["supportingInformation"]]
        assert linked == [i for i in ids if i != appointment_id]
        assert step["supportingInformation"][0]["display"] == "Another step of the same clinic day"
    assert steps[0]["participant"][-1]["actor"] == {"type": "Device", "display": "MRI 1"}
    assert all(any("Practitioner/" in x["actor"].get("reference", "") for x in s["participant"]) for s in steps)


# --- a hold, as the rest of the app sees it -------------------------------------------------------------------------


def test_a_hold_is_listed_by_the_json_api_as_pending(client, p):
    desk = token(client, "sched@example.org")
    held = hold(client, desk, proposed_id(p, "10:00"), ("patient-reference", f"Patient/{p.users['other'].patient_id}"))
    listed = client.get("/api/v1/appointments?status=pending", headers=desk).get_json()["appointments"]
    assert [(a["id"], a["status"]) for a in listed] == [(int(held["id"]), "pending")]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "pending" in spec["components"]["schemas"]["Appointment"]["properties"]["status"]["enum"]


def test_staff_see_a_hold_as_held_until_its_expiry(client, p):
    desk = token(client, "sched@example.org")
    hold(client, desk, proposed_id(p, "10:00"), ("patient-reference", f"Patient/{p.users['other'].patient_id}"))
    sign_in(client, "scheduler")
    assert "held until 7:10 AM EST" in page(client.get("/schedule?date=2027-03-08"))
    grid = client.get("/schedule/calendar.json?start=2027-03-08&end=2027-03-09", headers={"Accept": "application/json"})
    statuses = [e["extendedProps"]["status"] for e in grid.json["events"] if e["extendedProps"]["kind"] == "visit"]
    assert statuses == ["held until 7:10 AM EST"]
    client.post("/logout")
    sign_in(client, "clinician")
    assert "held until 7:10 AM EST" in page(client.get("/clinic/today?date=2027-03-08"))


def test_a_hold_is_not_in_the_clinician_s_calendar_feed_until_booked(client, p):
    api_book(client, p, "patient", MON_9, mode="in_person")
    feed = client.post(f"/api/v1/clinicians/{p.us_doc.id}/calendar-feed", headers=token(client, "cle@example.org"))
    path = feed.get_json()["url"].removeprefix("http://televisit.test")
    desk = token(client, "sched@example.org")
    held = hold(client, desk, proposed_id(p, "10:00"), ("patient-reference", f"Patient/{p.users['other'].patient_id}"))
    assert client.get(path).get_data(as_text=True).count("BEGIN:VEVENT") == 1
    book(client, desk, ("appointment-reference", f"Appointment/{held['id']}"))
    assert client.get(path).get_data(as_text=True).count("BEGIN:VEVENT") == 2


def test_a_hold_is_not_the_patient_s_visit_until_booked(client, p):
    mine = token(client, "other@example.org")
    held = hold(client, mine, proposed_id(p, "10:00"))
    sign_in(client, "other")
    assert "Consult" not in page(client.get("/appointments"))
    book(client, mine, ("appointment-reference", f"Appointment/{held['id']}"))
    assert "Consult" in page(client.get("/appointments"))


def test_a_hold_does_not_count_against_the_patient_s_cap_but_the_booking_does(app, client, p):
    app.config["PATIENT_MAX_UPCOMING"] = 1
    mine = token(client, "other@example.org")
    held = hold(client, mine, proposed_id(p, "09:00"))
    book(client, mine, ("appointment-reference", f"Appointment/{held['id']}"))  # the hold is not a second visit
    refused = hold(client, mine, proposed_id(p, "11:00"), status=409)
    assert "upcoming visits that you booked yourself" in refused["issue"][0]["diagnostics"]


def test_a_patient_holds_at_most_three_times_at_once(client, p):
    mine = token(client, "other@example.org")
    for hhmm in ("09:00", "10:00", "11:00"):
        hold(client, mine, proposed_id(p, hhmm))
    monday_after = proposed_id(p, "08:00", day="20270315")  # 13:00 UTC: 09:00 EDT (the helper counts in EST)
    refused = hold(client, mine, monday_after, status=409)
    assert "holding 3 times already" in refused["issue"][0]["diagnostics"]
    hold(
        client,
        token(client, "sched@example.org"),
        monday_after,
        ("patient-reference", f"Patient/{p.users['other'].patient_id}"),  # staff are not limited
    )


def test_a_hold_is_never_checked_in_nor_reminded(app, client, p):
    from televisit.extensions import socketio

    app.config["HOLD_MINUTES"] = 600
    mine = token(client, "other@example.org")
    today_nine = f"p.{p.us_doc.id}.{p.cleveland.id}.{p.consult.id}.v.202703011400"  # today, 09:00 EST
    held = hold(client, mine, today_nine)
    assert outbox_of(int(held["id"])) == []
    clock.freeze(clock.now() + timedelta(hours=1, minutes=45))  # 08:45 EST: the room would be open
    db.session.commit()
    sock = socketio.test_client(
        app, namespace="/waiting-room", auth={"token": mine["Authorization"].split()[1]}, flask_test_client=client
    )
    ack = sock.emit(
        "check_in",
        {"appointment_id": int(held["id"]), "region": "US-OH", "consent": True},
        namespace="/waiting-room",
        callback=True,
    )
    assert ack["ok"] is False and "not booked yet" in ack["error"]["message"], ack
    sock.disconnect("/waiting-room")
    db.session.expire_all()
    assert db.session.get(Appointment, int(held["id"])).status == "pending"
    db.session.commit()
