"""Patient under /fhir over HTTP: staff search by each parameter (paged to the end), a clinician sees the
patients they treat, a patient only themself (another record is a 404), no token is a 401, and a system
client needs system/Patient.read."""

from __future__ import annotations

from datetime import date

import pytest

from televisit import clock
from televisit.domain.roles import Actor
from televisit.extensions import db
from televisit.services.patients.records import create_patient
from tests import factories as f
from tests.integration.test_fhir_directory import _path, ids
from tests.support.fhir_world import entries, fhir, next_link, token

MRN_SYSTEM = "http://televisit.test/fhir/CodeSystem/mrn"
EMAILS = {"admin": "admin@example.org", "scheduler": "sched@example.org", "patient": "pat@example.org"}
EMAILS |= {"clinician": "cle@example.org"}  # Dr. Cleveland


@pytest.fixture
def world(client):
    """program(); Pat (London) and Olive (Ohio, a visit with Dr. Cleveland) with MRNs, birth dates and phones;
    José Núñez, registered at the desk."""
    p = f.program()
    pat, olive = p.users["patient"].patient, p.users["other"].patient
    pat.name, pat.mrn, pat.date_of_birth, pat.phone = "Pat Jones", "LON-001", date(1958, 3, 14), "+447700900123"
    olive.name, olive.mrn, olive.date_of_birth, olive.phone = "Olive Smith", "CLE-002", date(1960, 7, 1), "+12165550123"
    db.session.commit()
    data = {"name": "José Núñez", "email": "jose@example.org", "phone": "+12165550199", "timezone": "America/New_York"}
    jose = create_patient(db.session, data | {"date_of_birth": date(1958, 11, 2), "mrn": "CLE-003"}, now=clock.now())
    p.ids = {"pat": pat.id, "olive": olive.id, "jose": jose.id}
    p.headers = {who: token(client, email) for who, email in EMAILS.items()}
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": "virtual", "start": "2027-03-08T09:00:00-05:00", "patient_region": "US-OH", "patient_id": olive.id}
    r = client.post("/api/v1/appointments", json=body, headers=p.headers["scheduler"])
    assert r.status_code == 201, r.json
    return p


def test_a_patient_record_as_fhir(client, world):
    body = fhir(client, "GET", f"/Patient/{world.ids['pat']}", headers=world.headers["scheduler"])
    assert body["name"] == [{"text": "Pat Jones"}] and body["birthDate"] == "1958-03-14"
    assert [(i["system"], i["value"]) for i in body["identifier"]] == [(MRN_SYSTEM, "LON-001")]
    assert {(t["system"], t["value"]) for t in body["telecom"]} == {
        ("phone", "+447700900123"),
        ("email", "pat@example.org"),
    }
    assert body["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/timezone", "valueCode": "Europe/London"}
    ]


def _searches(w) -> list[tuple[str, list[str]]]:
    pat, olive, jose = (str(w.ids[k]) for k in ("pat", "olive", "jose"))
    return [
        ("", sorted([pat, olive, jose], key=int)),
        (f"_id={jose}", [jose]),
        ("_id=abc", []),
        ("identifier=lon-001", [pat]),
        (f"identifier={MRN_SYSTEM}|CLE-002", [olive]),
        ("identifier=http://elsewhere.example/mrn|CLE-002", []),
        ("name=jose", [jose]),  # accents aside
        ("name=NUN", [jose]),  # any word's start
        ("name=ones", []),
        ("name=smith,jones", sorted([pat, olive], key=int)),  # a comma: either
        ("birthdate=1958-03-14", [pat]),
        ("birthdate=1958", sorted([pat, jose], key=int)),
        ("birthdate=ge1958-04&birthdate=lt1960", [jose]),  # repeated: both
        ("birthdate=le1958-03-14", [pat]),
        ("phone=%28216%29%20555-0123", [olive]),  # a national number, as typed
        ("phone=%2B447700900123", [pat]),
        ("email=JOSE@example.org", [jose]),
        ("name=pat&birthdate=1960", []),  # parameters are ANDed
    ]


def test_staff_search_by_each_parameter(client, world):
    for query, expected in _searches(world):
        bundle = fhir(client, "GET", f"/Patient?{query}", headers=world.headers["admin"])
        assert (ids(bundle), bundle["total"]) == (expected, len(expected)), query


def test_staff_search_pages_to_the_end(client, world):
    headers = world.headers["scheduler"]
    bundle, seen = fhir(client, "GET", "/Patient?_count=2", headers=headers), []
    while bundle:
        assert bundle["total"] == 3 and len(entries(bundle)) <= 2
        seen += ids(bundle)
        link = next_link(bundle)
        bundle = link and fhir(client, "GET", _path(link), headers=headers)
    assert seen == sorted((str(i) for i in world.ids.values()), key=int)


def test_a_patient_sees_only_themself(client, world):
    mine = world.headers["patient"]
    assert fhir(client, "GET", f"/Patient/{world.ids['pat']}", headers=mine)["id"] == str(world.ids["pat"])
    fhir(client, "GET", f"/Patient/{world.ids['olive']}", 404, headers=mine)  # as if it did not exist
    fhir(client, "GET", "/Patient/999999", 404, headers=mine)
    assert ids(fhir(client, "GET", "/Patient", headers=mine)) == [str(world.ids["pat"])]
    assert fhir(client, "GET", f"/Patient?_id={world.ids['olive']}", headers=mine)["total"] == 0


def test_a_clinician_sees_the_patients_they_treat(client, world):
    doc = world.headers["clinician"]
    fhir(client, "GET", f"/Patient/{world.ids['olive']}", headers=doc)
    fhir(client, "GET", f"/Patient/{world.ids['jose']}", 404, headers=doc)
    assert ids(fhir(client, "GET", "/Patient?birthdate=ge1900", headers=doc)) == [str(world.ids["olive"])]


def test_no_token_is_401_and_a_bad_id_404(client, world):
    fhir(client, "GET", f"/Patient/{world.ids['pat']}", 401)
    fhir(client, "GET", "/Patient", 401)
    fhir(client, "GET", "/Patient/abc", 404, headers=world.headers["admin"])


@pytest.mark.parametrize(
    ("query", "field"),
    [("birthdate=14/03/1958", "birthdate"), ("birthdate=1958-02-30", "birthdate"), ("gender=f", "gender")],
)
def test_bad_parameters_are_422(client, world, query, field):
    body = fhir(client, "GET", f"/Patient?{query}", 422, headers=world.headers["admin"])
    assert field in [e for issue in body["issue"] for e in issue.get("expression", [])]


def test_a_system_client_needs_the_patient_scope(client, world, monkeypatch):
    from televisit.web.fhir import auth

    granted = {"ehr": frozenset({"system/Patient.read"}), "slots": frozenset({"system/Slot.read"})}
    service_user = Actor(world.users["scheduler"].id, "scheduler")
    monkeypatch.setattr(
        auth, "client_for_token", lambda _s, t, now: (service_user, granted[t]) if t in granted else None
    )
    assert fhir(client, "GET", "/Patient", headers={"Authorization": "Bearer ehr"})["total"] == 3
    fhir(client, "GET", f"/Patient/{world.ids['pat']}", 403, headers={"Authorization": "Bearer slots"})
