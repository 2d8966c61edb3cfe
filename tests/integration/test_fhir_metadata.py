"""GET /fhir/metadata: the CapabilityStatement says what the facade supports, and agrees with the routes it
serves (every /fhir route is in the statement; every interaction in the statement has a route)."""

from __future__ import annotations

import re
from datetime import datetime

from tests.support.fhir_world import fhir

IHE = "https://profiles.ihe.net/ITI/Scheduling"
# Every interaction the statement names has its route (the set is empty since every part of issue 16 landed).
PENDING: set[str] = set()
# Routes under /fhir that are not FHIR interactions: SMART's discovery document (the statement names its token
# endpoint; the discovery document is found at its well-known path).
NOT_INTERACTIONS = {".well-known/smart-configuration"}
PARAMS = {
    "Location": {"_id", "name"},
    "Practitioner": {"_id", "name"},
    "PractitionerRole": {"_id", "practitioner", "specialty", "location", "service"},
    "HealthcareService": {"_id", "name", "location"},
    "Schedule": {"_id", "actor", "service-type"},
    "Slot": {"schedule", "start", "service-type", "status"},
    "Appointment": {"patient", "date", "status"},
    "Patient": {"_id", "identifier", "name", "birthdate", "phone", "email"},
}


def served(app) -> dict[str, set[str]]:
    """Path under /fhir (`{}` for an argument) -> the methods its routes answer."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/fhir/"):
            path = re.sub(r"<[^>]+>", "{}", rule.rule.removeprefix("/fhir/"))
            if path in NOT_INTERACTIONS or path.startswith("$bulk-publish/"):  # the files its manifest lists
                continue
            found.setdefault(path, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return found


def described(statement: dict) -> dict[str, set[str] | None]:
    """Path under /fhir -> the methods the statement implies (None: an operation, which says no method)."""
    rest = statement["rest"][0]
    found: dict[str, set[str] | None] = {"metadata": {"GET"}}
    for res in rest["resource"]:
        codes = {i["code"] for i in res["interaction"]}
        found |= {f"{res['type']}/{{}}": {"GET"}} if "read" in codes else {}
        found |= {res["type"]: {"GET"}} if "search-type" in codes else {}
        found |= {f"{res['type']}/${op['name']}": None for op in res.get("operation", [])}
    found |= {f"${op['name']}": None for op in rest.get("operation", [])}
    base = statement["implementation"]["url"]
    for uris in rest["security"]["extension"]:
        found |= {u["valueUri"].removeprefix(base + "/"): {"POST"} for u in uris["extension"]}
    return found


def test_the_statement(client):
    st = fhir(client, "GET", "/metadata")  # no token: a client reads it first
    assert (st["fhirVersion"], st["kind"], st["status"], st["format"]) == ("4.0.1", "instance", "active", ["json"])
    assert st["software"]["name"] == "Televisit" and st["implementation"]["url"] == "http://localhost/fhir"
    assert datetime.fromisoformat(st["date"]).utcoffset() is not None
    assert st["instantiates"] == [f"{IHE}/CapabilityStatement/IHE.Scheduling.server"]
    rest = st["rest"][0]
    resources = {r["type"]: r for r in rest["resource"]}
    assert {t: {p["name"] for p in r["searchParam"]} - {"_count", "_offset"} for t, r in resources.items()} == PARAMS
    assert all({i["code"] for i in r["interaction"]} == {"read", "search-type"} for r in resources.values())
    ops = {op["name"]: op["definition"] for op in resources["Appointment"]["operation"]}
    assert ops == {name: f"{IHE}/OperationDefinition/appointment-{name}" for name in ("find", "hold", "book")}
    assert [op["name"] for op in rest["operation"]] == ["bulk-publish"]
    start = next(p for p in resources["Slot"]["searchParam"] if p["name"] == "start")
    assert start["type"] == "date" and "ge, gt, le or lt" in start["documentation"]


def test_the_security_section(client):
    security = fhir(client, "GET", "/metadata")["rest"][0]["security"]
    assert security["service"][0]["coding"] == [
        {"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}
    ]
    oauth = security["extension"][0]
    assert oauth["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    assert oauth["extension"] == [{"url": "token", "valueUri": "http://localhost/fhir/auth/token"}]
    for words in ("JSON API", "SMART Backend Services", "JWT", "system/Patient.read", "system/Appointment.write"):
        assert words in security["description"], words


def test_the_statement_and_the_routes_agree(app, client):
    routes, statement = served(app), described(fhir(client, "GET", "/metadata"))
    assert set(routes) - set(statement) == set(), "describe each /fhir route in televisit/web/fhir/capabilities.py"
    assert set(statement) - set(routes) == PENDING, "an interaction without a route (or PENDING is out of date)"
    for path, methods in statement.items():
        if methods and path in routes:
            assert methods <= routes[path], path


def test_the_check_catches_a_route_the_statement_does_not_name(app, client):
    app.add_url_rule("/fhir/Encounter/<encounter_id>", "fhir_encounter", lambda encounter_id: "")
    statement = described(fhir(client, "GET", "/metadata"))
    assert set(served(app)) - set(statement) == {"Encounter/{}"}
