"""IHE ITI Scheduling's `$find`, `$hold` and `$book` through /fhir, on SQLite and PostgreSQL: proposals from the
same engine as /api/v1/slots, holds the database keeps from every other booking, their expiry (the jobs' sweep),
booking and cancellation, and every refusal as an OperationOutcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from televisit import clock
from televisit.extensions import db
from televisit.models import AuditEvent
from tests import factories as f
from tests.support.fhir_booking import book, find, hold, outbox_of, parameters, proposals, proposed_id, system_tokens
from tests.support.fhir_world import entries, fhir, next_link, token

VISIT_TYPES = "http://televisit.test/fhir/CodeSystem/visit-type"


@pytest.fixture
def p(client):
    return f.program()


@pytest.fixture
def desk(client, p):
    return token(client, "sched@example.org")


def _api(client, path: str, headers, status: int = 200, **kw):
    r = client.open(f"/api/v1{path}", headers=headers, **kw)
    assert r.status_code == status, r.get_data(as_text=True)
    return r.get_json()


def _slot_starts(client, p, mode: str = "virtual") -> list[str]:
    q = {"visit_type_id": p.consult.id, "from": "2027-03-08", "to": "2027-03-08", "clinician_id": p.us_doc.id}
    q |= {"tz": "America/New_York", "mode": mode}
    return [s["start"][11:16] for s in _api(client, "/slots", {}, query_string=q)["slots"]]


def _api_book(client, p, headers, start: str, who: str = "patient", status: int = 201) -> dict:
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": "in_person", "start": f"2027-03-08T{start}:00-05:00", "patient_id": p.users[who].patient_id}
    return _api(client, "/appointments", headers, status, method="POST", json=body)


def _events_since(mark: int) -> list[tuple]:
    """(action, object id, patient id, role, channel) of the audit events written after `mark` (the trail
    outlives each test: it cannot be wiped)."""
    e = AuditEvent
    stmt = select(e.action, e.object_id, e.patient_id, e.role, e.channel).where(e.id > mark).order_by(e.id)
    found = [tuple(row) for row in db.session.execute(stmt)]
    db.session.commit()
    return found


def _mark() -> int:
    db.session.commit()
    mark = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
    db.session.commit()
    return mark


def _patient(p, who: str = "other") -> str:
    return f"Patient/{p.users[who].patient_id}"


# --- the round trip -----------------------------------------------------------------------------------------


def test_find_hold_book_and_read_is_one_appointment_in_fhir_and_the_json_api(client, p, desk):
    found = find(
        client,
        desk,
        ("practitioner", f"Practitioner/{p.us_doc.id}"),
        ("visit-type", {"valueCoding": {"system": VISIT_TYPES, "code": str(p.consult.id)}}),
        ("patient-reference", _patient(p)),
        ("mode", "virtual"),
    )
    offered = proposals(found)
    assert found["total"] == 3 and [a["start"] for a in offered] == [
        "2027-03-08T09:00:00-05:00",
        "2027-03-08T10:00:00-05:00",
        "2027-03-08T11:00:00-05:00",
    ]
    first = offered[0]
    assert first["id"] == proposed_id(p, "09:00") and first["status"] == "proposed"
    actors = {pa["actor"]["reference"]: pa["actor"].get("display") for pa in first["participant"]}
    assert actors == {
        _patient(p): "other",
        f"Practitioner/{p.us_doc.id}": "Dr. Cleveland",
        f"Location/{p.cleveland.id}": "Cleveland",
    }
    assert first["serviceType"][0]["coding"][0] == {
        "system": VISIT_TYPES,
        "code": str(p.consult.id),
        "display": "Consult",
    }
    assert first["appointmentType"]["coding"][0]["code"] == "virtual"

    held = hold(client, desk, first["id"], ("patient-reference", _patient(p)))
    assert held["status"] == "pending" and held["start"] == first["start"]
    assert held["extension"][0]["valueInstant"] == "2027-03-01T12:10:00Z"  # TELEVISIT_HOLD_MINUTES: 10
    appointment_id = int(held["id"])
    assert _api(client, f"/appointments/{appointment_id}", desk)["status"] == "pending"
    assert outbox_of(appointment_id) == []  # a hold plans no message

    booked = book(client, desk, ("appointment-reference", f"Appointment/{appointment_id}"))
    assert booked["id"] == str(appointment_id) and booked["status"] == "booked"
    assert "extension" not in booked
    read = fhir(client, "GET", f"/Appointment/{appointment_id}", headers=desk)
    assert read["status"] == "booked" and read["start"] == "2027-03-08T09:00:00-05:00"
    api = _api(client, f"/appointments/{appointment_id}", desk)
    assert api["status"] == "booked" and api["patient_id"] == p.users["other"].patient_id
    planned = outbox_of(appointment_id)
    assert ("confirmation", "email") in planned and len(planned) == len(set(planned))
    again = book(client, desk, ("appointment-reference", f"Appointment/{appointment_id}"), status=409)
    assert "booked already" in again["issue"][0]["diagnostics"]
    assert outbox_of(appointment_id) == planned  # planned once


def test_a_proposal_is_booked_directly_and_listed_by_the_json_api(client, p):
    mine = token(client, "other@example.org")
    booked = book(client, mine, ("appointment-reference", f"Appointment/{proposed_id(p, '10:00')}"))
    assert booked["status"] == "booked" and booked["start"] == "2027-03-08T10:00:00-05:00"
    listed = _api(client, "/appointments", mine)["appointments"]
    assert [(a["id"], a["status"], a["mode"]) for a in listed] == [(int(booked["id"]), "booked", "virtual")]
    assert ("confirmation", "email") in outbox_of(int(booked["id"]))


def test_find_is_the_slot_search_for_the_patient_s_region(client, p, desk):
    # pat@example.org is in GB: Dr. Cleveland (Ohio, Florida) may see them in person only; London offers both
    found = proposals(find(client, desk, ("patient-reference", _patient(p, "patient"))))
    cleveland = {
        a["appointmentType"]["coding"][0]["code"] for a in found if a["id"].split(".")[2] == str(p.cleveland.id)
    }
    london = {a["appointmentType"]["coding"][0]["code"] for a in found if a["id"].split(".")[2] == str(p.london.id)}
    assert cleveland == {"in_person"} and london == {"virtual", "in_person"}
    anyone = proposals(find(client, desk, ("location-reference", f"Location/{p.cleveland.id}"), ("mode", "virtual")))
    assert [a["start"][11:16] for a in anyone] == _slot_starts(client, p)  # the same engine as /api/v1/slots


def test_find_by_get_pages_with_a_total_and_next_links(client, p, desk):
    q = {"start": "2027-03-08", "end": "2027-03-08", "location-string": "cleve", "_count": "4"}
    first = fhir(client, "GET", "/Appointment/$find", headers=desk, query_string=q)
    assert first["total"] == 6 and len(proposals(first)) == 4  # 09, 10, 11 o'clock, each by video and in person
    rest = fhir(client, "GET", next_link(first).split("/fhir", 1)[1], headers=desk)
    assert len(proposals(rest)) == 2 and next_link(rest) is None
    ids = [a["id"] for a in proposals(first) + proposals(rest)]
    assert len(set(ids)) == 6 and all(i.startswith("p.") for i in ids)


def test_a_post_find_pages_through_get_links_that_keep_its_criteria(client, p, desk):
    first = find(client, desk, ("practitioner", f"Practitioner/{p.us_doc.id}"), ("_count", 2))
    link = next_link(first)
    assert "practitioner=Practitioner" in link and "start=2027-03-08" in link
    rest = fhir(client, "GET", link.split("/fhir", 1)[1], headers=desk)
    assert rest["total"] == 6 and [a["start"][11:16] for a in proposals(rest)] == ["10:00", "10:00"]


def test_find_says_which_parameters_it_did_not_use(client, p, desk):
    found = find(client, desk, ("organization", "Organization/1"), ("reason", "http://snomed.info/sct|1"))
    notes = entries(found, "OperationOutcome")
    assert notes and "organization, reason" in notes[0]["issue"][0]["diagnostics"]
    assert notes[0]["issue"][0]["severity"] == "information"


# --- a hold keeps its time from everyone ---------------------------------------------------------------------


def test_a_held_time_is_refused_to_the_json_api_and_left_out_of_every_search(client, p, desk):
    assert "10:00" in _slot_starts(client, p)
    hold(client, desk, proposed_id(p, "10:00"), ("patient-reference", _patient(p)))
    refused = _api_book(client, p, desk, "10:00", status=409)
    assert refused["error"]["reason"] == "taken"
    assert "10:00" not in _slot_starts(client, p) and "10:00" not in _slot_starts(client, p, "in_person")
    offered = [
        a["start"][11:16] for a in proposals(find(client, desk, ("location-reference", f"Location/{p.cleveland.id}")))
    ]
    assert "10:00" not in offered and "09:00" in offered
    again = hold(
        client, desk, proposed_id(p, "10:00", mode="p"), ("patient-reference", _patient(p, "patient")), status=409
    )
    assert again["issue"][0]["code"] == "conflict"


def test_an_expired_hold_is_released_by_the_jobs_sweep_with_an_audit_event(app, client, p, desk):
    from jobs.runner import run_once

    held = hold(client, desk, proposed_id(p, "10:00"), ("patient-reference", _patient(p)))
    mark = _mark()
    clock.freeze(clock.now() + timedelta(minutes=9))
    db.session.commit()
    assert dict(run_once(app))["expire_holds"] == {}  # not yet
    clock.freeze(clock.now() + timedelta(minutes=2))
    db.session.commit()
    assert dict(run_once(app))["expire_holds"] == {"expired": 1}
    read = fhir(client, "GET", f"/Appointment/{held['id']}", headers=desk)
    assert read["status"] == "cancelled" and read["cancelationReason"]["text"] == "hold expired"
    assert _api(client, f"/appointments/{held['id']}", desk)["status"] == "cancelled"
    assert "10:00" in _slot_starts(client, p)
    other = p.users["other"].patient_id
    events = [e for e in _events_since(mark) if e[0] == "appointment.hold_expired"]
    assert events == [("appointment.hold_expired", int(held["id"]), other, "system", "job")]
    assert dict(run_once(app))["expire_holds"] == {}


def test_hold_and_book_sweep_expired_holds_first(client, p, desk):
    hold(client, desk, proposed_id(p, "10:00"), ("patient-reference", _patient(p)))
    clock.freeze(clock.now() + timedelta(minutes=11))  # no jobs ran
    second = hold(client, desk, proposed_id(p, "10:00", mode="p"), ("patient-reference", _patient(p, "patient")))
    assert second["status"] == "pending"


def test_booking_an_expired_hold_books_it_when_the_time_is_still_free(app, client, p, desk):
    from jobs.runner import run_once

    held = hold(client, desk, proposed_id(p, "11:00"), ("patient-reference", _patient(p)))
    clock.freeze(clock.now() + timedelta(minutes=15))
    db.session.commit()
    assert dict(run_once(app))["expire_holds"] == {"expired": 1}
    booked = book(client, desk, ("appointment-reference", f"Appointment/{held['id']}"))
    assert booked["id"] == held["id"] and booked["status"] == "booked" and "cancelationReason" not in booked
    assert ("confirmation", "email") in outbox_of(int(held["id"]))
    assert "11:00" not in _slot_starts(client, p)


def test_booking_an_expired_hold_whose_time_was_taken_is_a_409_saying_so(app, client, p, desk):
    from jobs.runner import run_once

    held = hold(client, desk, proposed_id(p, "11:00"), ("patient-reference", _patient(p)))
    clock.freeze(clock.now() + timedelta(minutes=15))
    db.session.commit()
    assert dict(run_once(app))["expire_holds"] == {"expired": 1}
    _api_book(client, p, desk, "11:00")  # someone else takes the time, by the JSON API
    refused = book(client, desk, ("appointment-reference", f"Appointment/{held['id']}"), status=409)
    assert "hold on this time expired and the time has since been taken" in refused["issue"][0]["diagnostics"]
    assert _api(client, f"/appointments/{held['id']}", desk)["status"] == "cancelled"
    assert outbox_of(int(held["id"])) == []


def test_booking_a_hold_checks_again_time_off_taken_since_refuses_it(client, p, desk):
    held = hold(client, desk, proposed_id(p, "10:00"), ("patient-reference", _patient(p)))
    off = {"start": "2027-03-08T10:00:00-05:00", "end": "2027-03-08T11:00:00-05:00", "reason": "tumor board"}
    assert client.post(f"/api/v1/clinicians/{p.us_doc.id}/time-off", json=off, headers=desk).status_code == 201
    refused = book(client, desk, ("appointment-reference", f"Appointment/{held['id']}"), status=409)
    assert refused["issue"][0]["code"] == "conflict"
    assert _api(client, f"/appointments/{held['id']}", desk)["status"] == "pending"


def test_book_takes_an_appointment_resource_with_status_pending(client, p, desk):
    offered = proposals(find(client, desk, ("patient-reference", _patient(p)), ("mode", "in_person")))[0]
    booked = book(client, desk, ("appointment-resource", {"resource": dict(offered, status="pending")}))
    assert booked["status"] == "booked" and booked["start"] == offered["start"]
    assert _api(client, f"/appointments/{booked['id']}", desk)["patient_id"] == p.users["other"].patient_id
    no_id = {k: v for k, v in dict(offered, status="pending").items() if k != "id"}
    refused = book(client, desk, ("appointment-resource", {"resource": no_id}), status=422)
    assert refused["issue"][1]["expression"] == ["appointment-resource.id"]


# --- cancellation through $book -------------------------------------------------------------------------------


def _cancelled(appointment: dict, reason: str | None = None) -> tuple:
    resource = dict(appointment, status="cancelled") | ({"cancelationReason": {"text": reason}} if reason else {})
    return ("appointment-resource", {"resource": resource})


def test_book_with_status_cancelled_cancels_a_booking_and_tells_the_patient(client, p, desk):
    booked = book(
        client,
        desk,
        ("appointment-reference", f"Appointment/{proposed_id(p, '09:00')}"),
        ("patient-reference", _patient(p)),
    )
    mark = _mark()
    cancelled = book(client, desk, _cancelled(booked, "Patient asked"))
    assert cancelled["status"] == "cancelled" and cancelled["cancelationReason"]["text"] == "Patient asked"
    assert _api(client, f"/appointments/{booked['id']}", desk)["status"] == "cancelled"
    assert ("cancelled", "email") in outbox_of(int(booked["id"]))
    assert "09:00" in _slot_starts(client, p)
    fhir_events = [e for e in _events_since(mark) if e[4] == "fhir"]
    assert fhir_events == [("appointment.cancel", int(booked["id"]), p.users["other"].patient_id, "scheduler", "fhir")]


def test_book_with_status_cancelled_releases_a_hold_quietly(client, p):
    mine = token(client, "other@example.org")
    held = hold(client, mine, proposed_id(p, "09:00"))
    released = book(client, mine, _cancelled(held))
    assert released["status"] == "cancelled" and released["cancelationReason"]["text"] == "hold released"
    assert outbox_of(int(held["id"])) == [] and "09:00" in _slot_starts(client, p)


# --- who may, and bad input -------------------------------------------------------------------------------------


def test_who_may_find_hold_and_book(client, p, monkeypatch):
    proposal = ("appointment-reference", f"Appointment/{proposed_id(p, '09:00')}")
    fhir(client, "POST", "/Appointment/$find", 401, json={"resourceType": "Parameters"})
    fhir(client, "POST", "/Appointment/$hold", 401, json={"resourceType": "Parameters"})
    clinician = token(client, "cle@example.org")
    assert proposals(find(client, clinician))  # a clinician may look
    find(client, clinician, ("patient-reference", _patient(p)), status=403)  # but not for a patient
    hold(client, clinician, proposed_id(p, "09:00"), ("patient-reference", _patient(p)), status=403)
    patient = token(client, "other@example.org")
    hold(client, patient, proposed_id(p, "09:00"), ("patient-reference", _patient(p, "patient")), status=403)
    desk = token(client, "sched@example.org")
    refused = book(client, desk, proposal, status=422)
    assert refused["issue"][1]["expression"] == ["patient-reference"]
    system = system_tokens(monkeypatch)
    assert proposals(find(client, system("system/Slot.read")))
    hold(client, system("system/Slot.read"), proposed_id(p, "09:00"), ("patient-reference", _patient(p)), status=403)
    find(client, system("system/Patient.read"), status=403)
    held = hold(client, system("system/Appointment.write"), proposed_id(p, "09:00"), ("patient-reference", _patient(p)))
    assert held["status"] == "pending"
    assert all(
        "display" not in pa["actor"] for pa in held["participant"] if "Patient/" in pa["actor"].get("reference", "")
    )


MONDAY = (("start", "2027-03-08"), ("end", "2027-03-08"))
NONE = {"resourceType": "Parameters"}
BOOKED = {"resourceType": "Appointment", "id": "1", "status": "booked"}
BOOKED["participant"] = [{"actor": {"reference": "Patient/1"}, "status": "accepted"}]
BAD_INPUT = [
    ("$find", parameters(("end", "2027-03-08")), 422, "start"),
    ("$find", parameters(("start", {"valueString": "2027-03-08T09:00:00"}), ("end", "2027-03-09")), 422, "start"),
    ("$find", parameters(("start", "2027-03-08"), ("end", "2027-06-08")), 422, "end"),
    ("$find", parameters(("start", "2027-03-09"), ("end", "2027-03-08")), 422, "end"),
    ("$find", parameters(*MONDAY, ("practitioner", "Location/1")), 422, "practitioner"),
    ("$find", parameters(*MONDAY, ("patient-reference", "Patient/999999")), 422, "patient-reference"),
    ("$find", {"resourceType": "Appointment"}, 400, None),
    ("$find", {"resourceType": "Parameters", "parameter": [{"name": "start"}]}, 422, "start"),
    ("$find", {"resourceType": "Parameters", "parameter": "many"}, 422, "parameter"),
    ("$hold", NONE, 422, "appointment-reference"),
    ("$hold", parameters(("appointment-reference", "Appointment/12")), 422, "appointment-reference"),
    ("$hold", parameters(("appointment-reference", "Appointment/p.1.2")), 404, None),
    (
        "$hold",
        parameters(("appointment-reference", "https://x.example/fhir/Appointment/p.1")),
        422,
        "appointment-reference",
    ),
    ("$book", NONE, 422, "appointment-reference"),
    ("$book", parameters(("appointment-reference", "Appointment/abc")), 404, None),
    ("$book", parameters(("appointment-resource", {"resource": BOOKED})), 422, "appointment-resource.status"),
    ("$book", parameters(("appointment-resource", {"resource": {"resourceType": "Appointment"}})), 422, "parameter"),
]


@pytest.mark.parametrize(("path", "body", "status", "field"), BAD_INPUT)
def test_bad_input_is_a_4xx_operation_outcome_naming_the_parameter(client, p, desk, path, body, status, field):
    outcome = fhir(client, "POST", f"/Appointment/{path}", status, headers=desk, json=body)
    if field:
        assert field in [e for issue in outcome["issue"] for e in issue.get("expression", [])], outcome


def test_a_comment_is_kept_as_the_reason_and_bad_text_is_refused(client, p, desk):
    proposal = ("appointment-reference", f"Appointment/{proposed_id(p, '09:00')}")
    bad = book(client, desk, proposal, ("patient-reference", _patient(p)), ("comment", "x\u202ey"), status=422)
    assert bad["issue"][1]["expression"] == ["comment"]
    booked = book(client, desk, proposal, ("patient-reference", _patient(p)), ("comment", "Back pain since May"))
    assert _api(client, f"/appointments/{booked['id']}", desk)["reason"] == "Back pain since May"
