"""The directory under /fhir over HTTP: Location, Practitioner, PractitionerRole, HealthcareService and
Schedule read and searched by each parameter, paged to the end, unknown ids and bad parameters refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from televisit.domain.roles import Actor
from tests import factories as f
from tests.support.fhir_world import entries, fhir, next_link

BASE = "http://televisit.test/fhir/CodeSystem"  # the tests' PUBLIC_URL


@pytest.fixture
def world(client):
    """program() and Weston: Dr. Weston (radiation oncology) holds video clinics at Weston and in-person ones at
    Cleveland, offering the consult and radiosurgery planning (in person only: so not at Weston)."""
    p = f.program()
    p.weston = f.location("Weston", "Weston", "US-FL", "US", "America/New_York")
    p.planning = f.visit_type("Radiosurgery planning", minutes=30, modes=("in_person",), advance=90)
    p.rad_doc = f.clinician(
        "Dr. Weston",
        visit_types=[p.consult, p.planning],
        specialty="radiation_oncology",
        licenses=("US-FL",),
        rules=[(p.weston, 1, 540, 720, ("virtual",)), (p.cleveland, 2, 540, 720, ("in_person",))],
    )
    return p


def ids(bundle) -> list[str]:
    return [r["id"] for r in entries(bundle)]


def test_reads_give_valid_linked_resources(client, world, frozen_now):
    p = world
    loc = fhir(client, "GET", f"/Location/{p.weston.id}")
    assert (loc["name"], loc["address"]["state"]) == ("Weston", "FL")
    assert loc["extension"][0]["valueCode"] == "America/New_York"

    doc = fhir(client, "GET", f"/Practitioner/{p.us_doc.id}")
    assert doc["name"] == [{"text": "Dr. Cleveland"}] and "telecom" not in doc  # work contacts are staff-only

    role = fhir(client, "GET", f"/PractitionerRole/{p.rad_doc.id}")
    assert role["practitioner"]["reference"] == f"Practitioner/{p.rad_doc.id}"
    assert role["specialty"][0]["coding"] == [
        {"system": f"{BASE}/specialty", "code": "radiation_oncology", "display": "Radiation oncology"}
    ]
    assert [r["reference"] for r in role["location"]] == [f"Location/{p.cleveland.id}", f"Location/{p.weston.id}"]
    assert [r["reference"] for r in role["healthcareService"]] == [
        f"HealthcareService/{p.consult.id}",
        f"HealthcareService/{p.planning.id}",
    ]

    service = fhir(client, "GET", f"/HealthcareService/{p.planning.id}")
    coding = service["type"][0]["coding"][0]
    assert (coding["system"], coding["code"]) == (f"{BASE}/visit-type", str(p.planning.id))
    assert [c["coding"][0]["code"] for c in service["characteristic"]] == ["in_person"]
    assert "30 minutes" in service["extraDetails"]
    assert [r["reference"] for r in service["location"]] == [f"Location/{p.cleveland.id}"]  # not Weston: video only
    consult = fhir(client, "GET", f"/HealthcareService/{p.consult.id}")
    assert len(consult["location"]) == 3

    sched = fhir(client, "GET", f"/Schedule/{p.rad_doc.id}.{p.weston.id}")
    assert sched["id"] == f"{p.rad_doc.id}.{p.weston.id}"
    assert [a["reference"] for a in sched["actor"]] == [f"Practitioner/{p.rad_doc.id}", f"Location/{p.weston.id}"]
    assert [s["coding"][0]["code"] for s in sched["serviceType"]] == [str(p.consult.id)]
    horizon = {k: datetime.fromisoformat(v) for k, v in sched["planningHorizon"].items()}
    assert horizon == {"start": frozen_now, "end": frozen_now + timedelta(days=365)}  # the consult's max advance
    both = fhir(client, "GET", f"/Schedule/{p.rad_doc.id}.{p.cleveland.id}")
    assert [s["coding"][0]["code"] for s in both["serviceType"]] == [str(p.consult.id), str(p.planning.id)]


@pytest.mark.parametrize(
    "path",
    [
        "/Location/999",
        "/Location/abc",
        "/Practitioner/999",
        "/PractitionerRole/x.1",
        "/HealthcareService/0",
        "/Schedule/999.1",
        "/Schedule/1",
        "/Schedule/{us}.{london}",  # a clinician with no rules at that site has no Schedule there
    ],
)
def test_unknown_ids_are_404(client, world, path):
    path = path.format(us=world.us_doc.id, london=world.london.id)
    body = fhir(client, "GET", path, 404)
    assert body["issue"][0]["code"] == "not-found"


def _searches(p) -> list[tuple[str, list]]:
    """(search, the ids it finds, in order)."""
    sched = lambda c, loc: f"{c.id}.{loc.id}"  # noqa: E731
    rad, us, uk = p.rad_doc, p.us_doc, p.uk_doc
    return [
        ("Location", [p.cleveland.id, p.london.id, p.weston.id]),
        (f"Location?_id={p.london.id},{p.weston.id}", [p.london.id, p.weston.id]),
        ("Location?name=lon", [p.london.id]),
        ("Location?name=ondon", []),  # a word must start with it
        ("Practitioner?name=WESTON", [rad.id]),
        (f"Practitioner?_id={us.id}", [us.id]),
        ("Practitioner?_id=nope", []),
        (f"PractitionerRole?practitioner=Practitioner/{uk.id}", [uk.id]),
        ("PractitionerRole?specialty=neurosurgery", [us.id, uk.id]),
        (f"PractitionerRole?specialty={BASE}/specialty|radiation_oncology", [rad.id]),
        ("PractitionerRole?specialty=http://other.example/cs|radiation_oncology", []),
        (f"PractitionerRole?location=Location/{p.cleveland.id}", [us.id, rad.id]),
        (f"PractitionerRole?service=HealthcareService/{p.planning.id}", [rad.id]),
        (f"PractitionerRole?location={p.cleveland.id}&specialty=neurosurgery", [us.id]),  # AND
        ("HealthcareService?name=radio", [p.planning.id]),
        (f"HealthcareService?location=Location/{p.weston.id}", [p.consult.id]),
        (f"HealthcareService?_id={p.planning.id}", [p.planning.id]),
        ("Schedule", [sched(us, p.cleveland), sched(uk, p.london), sched(rad, p.cleveland), sched(rad, p.weston)]),
        (f"Schedule?actor=Practitioner/{rad.id}", [sched(rad, p.cleveland), sched(rad, p.weston)]),
        (f"Schedule?actor=Location/{p.cleveland.id}", [sched(us, p.cleveland), sched(rad, p.cleveland)]),
        (f"Schedule?service-type={p.planning.id}", [sched(rad, p.cleveland)]),
        (f"Schedule?service-type={BASE}/visit-type|{p.planning.id}", [sched(rad, p.cleveland)]),
        (f"Schedule?_id={sched(uk, p.london)}", [sched(uk, p.london)]),
    ]


def test_search_by_each_parameter(client, world):
    for search, expected in _searches(world):
        bundle = fhir(client, "GET", f"/{search}")
        assert bundle["type"] == "searchset" and bundle["total"] == len(expected), search
        assert ids(bundle) == [str(i) for i in expected], search
        resource_type = search.split("?")[0]
        assert {r["resourceType"] for r in entries(bundle)} <= {resource_type}
        assert all(e["fullUrl"].endswith(f"/fhir/{resource_type}/{e['resource']['id']}") for e in bundle["entry"])


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path.removeprefix("/fhir") + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize(("search", "count"), [("Schedule", 1), ("Practitioner?name=dr", 1), ("Location", 2)])
def test_paging_follows_next_links_to_the_end(client, world, search, count):
    whole = ids(fhir(client, "GET", f"/{search}"))
    sep = "&" if "?" in search else "?"
    bundle, seen, pages = fhir(client, "GET", f"/{search}{sep}_count={count}"), [], 0
    while True:
        pages += 1
        assert len(entries(bundle)) <= count and bundle["total"] == len(whole)
        seen += ids(bundle)
        link = next_link(bundle)
        if link is None:
            break
        bundle = fhir(client, "GET", _path(link))
    assert seen == whole and len(whole) > count
    assert pages == -(-len(whole) // count)


def test_count_zero_gives_the_total_alone(client, world):
    bundle = fhir(client, "GET", "/Schedule?_count=0")
    assert (bundle["total"], entries(bundle), next_link(bundle)) == (4, [], None)


@pytest.mark.parametrize(
    ("search", "field"),
    [
        ("Location?colour=red", "colour"),
        ("Schedule?actor=Patient/1", "actor"),
        ("Practitioner?name:exact=Dr", "name:exact"),
        ("PractitionerRole?_count=many", "_count"),
        ("HealthcareService?_offset=-1", "_offset"),
    ],
)
def test_bad_parameters_are_422_naming_them(client, world, search, field):
    body = fhir(client, "GET", f"/{search}", 422)
    assert field in [e for issue in body["issue"] for e in issue.get("expression", [])]


def test_a_lenient_client_has_unknown_parameters_ignored(client, world):
    lenient = {"Prefer": "handling=lenient"}
    bundle = fhir(client, "GET", "/Location?colour=red&name=cleve", headers=lenient)
    assert ids(bundle) == [str(world.cleveland.id)]


def test_a_system_token_is_held_to_its_scopes_even_on_public_reads(client, world, monkeypatch):
    from televisit.web.fhir import auth

    granted = {"good": frozenset({"system/Location.read"}), "slots-only": frozenset({"system/Slot.rs"})}
    actor = Actor(world.users["scheduler"].id, "scheduler")
    monkeypatch.setattr(
        auth, "client_for_token", lambda _s, token, now: (actor, granted[token]) if token in granted else None
    )
    fhir(client, "GET", "/Location", headers={"Authorization": "Bearer good"})
    fhir(client, "GET", "/Location", 403, headers={"Authorization": "Bearer slots-only"})
    fhir(client, "GET", "/Location", 401, headers={"Authorization": "Bearer forged"})
