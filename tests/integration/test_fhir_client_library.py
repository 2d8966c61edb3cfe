"""An EHR's round trip through a FHIR client library from PyPI (fhirpy), against a live server on both databases:
discover the Schedule, page through its Slots, `$find` → `$hold` → `$book`, read the Appointment back, and
see the same visit in the JSON API. Every resource the library hands back is checked as valid R4."""

from __future__ import annotations

import json

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound

from televisit.extensions import db
from tests import factories as f
from tests.conftest import NOW, _make_app
from tests.support.fhir_world import valid
from tests.support.live_server import LiveServer, fresh_database

WEEK = ("ge2027-03-08", "lt2027-03-09")  # Monday 8 March, a week after the clock, before US DST


def _seed(url: str) -> dict:
    app = _make_app(url)
    with app.app_context():
        p = f.program()
        ids = {"doc": p.us_doc.id, "site": p.cleveland.id, "patient": p.users["other"].patient_id}
        db.session.remove()
        db.engine.dispose()
    return ids


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request):
    with fresh_database(request.param) as url:
        ids = _seed(url)
        server = LiveServer(url, now=NOW).start()
        try:
            yield server, ids
        finally:
            server.stop()


def _client(server) -> SyncFHIRClient:
    token = server.token("sched@example.org", f.PASSWORD)
    return SyncFHIRClient(f"{server.url}/fhir", authorization=f"Bearer {token}")


def _parameters(**values) -> dict:
    params = []
    for name, value in values.items():
        key = "valueReference" if name.endswith("reference") or name == "practitioner" else "valueDateTime"
        params.append({"name": name, key: {"reference": value} if key == "valueReference" else value})
    return {"resourceType": "Parameters", "parameter": params}


def test_an_ehr_finds_holds_books_and_reads_through_fhirpy(live):
    server, ids = live
    ehr = _client(server)
    schedules = ehr.resources("Schedule").search(actor=f"Practitioner/{ids['doc']}").fetch_all()
    assert [s.id for s in schedules] == [f"{ids['doc']}.{ids['site']}"]
    slots = ehr.resources("Slot").search(schedule=f"Schedule/{schedules[0].id}", start=list(WEEK)).limit(2).fetch_all()
    assert slots and all(valid(s.serialize())["status"] == "free" for s in slots)  # followed every next link
    first = min(slots, key=lambda s: s["start"])
    assert first["start"] == "2027-03-08T09:00:00-05:00"

    found = ehr.execute(
        "Appointment/$find",
        data=_parameters(
            start="2027-03-08T00:00:00-05:00",
            end="2027-03-08T23:59:00-05:00",
            practitioner=f"Practitioner/{ids['doc']}",
            **{"patient-reference": f"Patient/{ids['patient']}"},
        ),
    )
    proposed = [e["resource"] for e in valid(found)["entry"] if e["resource"]["resourceType"] == "Appointment"]
    assert proposed[0]["status"] == "proposed" and proposed[0]["start"] == first["start"]
    reference = f"Appointment/{proposed[0]['id']}"
    patient = f"Patient/{ids['patient']}"
    held = ehr.execute(
        "Appointment/$hold", data=_parameters(**{"appointment-reference": reference, "patient-reference": patient})
    )
    held_appt = valid(held)["entry"][0]["resource"]
    assert held_appt["status"] == "pending"
    booked = ehr.execute(
        "Appointment/$book", data=_parameters(**{"appointment-reference": f"Appointment/{held_appt['id']}"})
    )
    assert valid(booked)["entry"][0]["resource"]["status"] == "booked"

    appointment = ehr.reference("Appointment", held_appt["id"]).to_resource()
    assert valid(appointment.serialize())["status"] == "booked"
    assert {p["actor"]["reference"] for p in appointment["participant"]} >= {patient, f"Practitioner/{ids['doc']}"}
    token = server.token("sched@example.org", f.PASSWORD)
    same = server.api("GET", f"/appointments/{held_appt['id']}", token).json()
    assert (same["status"], same["start"]) == ("booked", "2027-03-08T09:00:00-05:00")
    assert first["id"] not in {
        s.id for s in ehr.resources("Slot").search(schedule=f"Schedule/{schedules[0].id}", start=list(WEEK)).fetch_all()
    }


def test_a_refusal_reaches_the_library_as_an_operation_outcome(live):
    server, _ = live
    ehr = _client(server)
    with pytest.raises(ResourceNotFound) as refused:  # the library read our 404 OperationOutcome
        ehr.reference("Appointment", "999999").to_resource()
    outcome = valid(json.loads(str(refused.value)))
    assert outcome["issue"][0]["code"] == "not-found" and outcome["issue"][0]["diagnostics"] == "No such appointment."
