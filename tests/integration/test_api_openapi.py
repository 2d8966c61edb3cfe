"""GET /api/v1/openapi.json documents every /api/v1 route, and responses match its schemas."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from tests import factories as f

PREFIX = "/api/v1"
IGNORED = {"HEAD", "OPTIONS"}


def routed(app) -> set[tuple[str, str]]:
    """(OpenAPI path, method) for every rule the app serves under /api/v1."""
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX) :])
        out |= {(path, m.lower()) for m in rule.methods - IGNORED}
    return out


def documented(doc: dict) -> set[tuple[str, str]]:
    verbs = {"get", "put", "post", "delete", "patch"}
    return {(path, verb) for path, item in doc["paths"].items() for verb in item if verb in verbs}


def test_every_api_route_is_documented_and_nothing_else(client, app):
    r = client.get(f"{PREFIX}/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    doc = r.json
    assert doc["openapi"].startswith("3.")
    served = routed(app)
    assert len(served) >= 20  # the comparison below really covers the API
    assert ("/appointments/{appointment_id}/reschedule", "post") in served
    assert served - documented(doc) == set(), "routes missing from openapi.json"
    assert documented(doc) - served == set(), "openapi.json documents routes that do not exist"


def test_the_route_check_catches_an_undocumented_route(app):
    from televisit.web.api.openapi.document import document
    from tests.conftest import _make_app

    extra = _make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    extra.add_url_rule(f"{PREFIX}/secret/<int:thing_id>", "secret", lambda thing_id: "", methods=["PATCH"])
    assert routed(extra) - documented(document()) == {("/secret/{thing_id}", "patch")}


def test_path_parameters_are_declared(client):
    doc = client.get(f"{PREFIX}/openapi.json").json
    for path, item in doc["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for verb, op in item.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, verb)


def test_every_referenced_schema_exists(client):
    doc = client.get(f"{PREFIX}/openapi.json").json
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(doc)))
    assert refs and refs <= set(doc["components"]["schemas"])


# --- responses against the document's schemas --------------------------------------------


def _resolve(schema: dict, doc: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def conforms(value, schema: dict, doc: dict, where: str = "$") -> list[str]:
    """A small validator for the subset of JSON Schema the document uses (no jsonschema needed)."""
    schema = _resolve(schema, doc)
    if "anyOf" in schema:
        return [] if any(not conforms(value, s, doc, where) for s in schema["anyOf"]) else [f"{where}: no anyOf"]
    kind = schema.get("type")
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return [f"{where}: not an integer"]
    if kind in TYPES and not isinstance(value, TYPES[kind]):
        return [f"{where}: not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in enum"]
    problems = []
    if kind == "object":
        problems += [f"{where}.{k}: missing" for k in schema.get("required", []) if k not in value]
        props = schema.get("properties", {})
        problems += [f"{where}.{k}: undocumented" for k in value if props and k not in props]
        for k, sub in props.items():
            if k in value:
                problems += conforms(value[k], sub, doc, f"{where}.{k}")
    if kind == "array":
        for i, item in enumerate(value):
            problems += conforms(item, schema.get("items", {}), doc, f"{where}[{i}]")
    return problems


def _response_schema(doc, path, verb, status):
    content = doc["paths"][path][verb]["responses"][str(status)]["content"]
    return content["application/json"]["schema"]


def _calls(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    slots = client.get(
        f"{PREFIX}/slots", query_string={"visit_type_id": p.consult.id, "from": "2027-03-08", "to": "2027-03-08"}
    )
    body = {k: slots.json["slots"][0][k] for k in ("visit_type_id", "clinician_id", "location_id", "mode", "start")}
    appt = client.post(f"{PREFIX}/appointments", json={**body, "patient_id": p.users["other"].patient_id}, headers=h)
    return [
        ("/slots", "get", slots),
        ("/appointments", "post", appt),
        ("/appointments", "get", client.get(f"{PREFIX}/appointments", headers=h)),
        ("/appointments/{appointment_id}", "get", client.get(f"{PREFIX}/appointments/{appt.json['id']}", headers=h)),
        ("/locations", "get", client.get(f"{PREFIX}/locations")),
        ("/visit-types", "get", client.get(f"{PREFIX}/visit-types")),
        ("/clinicians", "get", client.get(f"{PREFIX}/clinicians")),
        (
            "/clinicians/{clinician_id}/availability",
            "get",
            client.get(f"{PREFIX}/clinicians/{p.us_doc.id}/availability"),
        ),
        ("/appointments", "post", client.post(f"{PREFIX}/appointments", json=body, headers=h)),  # 422
        (
            "/appointments",
            "post",
            client.post(f"{PREFIX}/appointments", json={**body, "patient_id": 1}, headers=h),
        ),  # 409
        (
            "/auth/token",
            "post",
            client.post(f"{PREFIX}/auth/token", json={"email": "x@example.org", "password": "nope"}),
        ),
    ]


def test_responses_match_the_documented_schemas(client):
    doc = client.get(f"{PREFIX}/openapi.json").json
    statuses = set()
    for path, verb, r in _calls(client):
        statuses.add(r.status_code)
        problems = conforms(r.json, _response_schema(doc, path, verb, r.status_code), doc)
        assert problems == [], (path, verb, r.status_code, problems)
    assert {200, 201, 401, 409, 422} <= statuses


def test_the_small_validator_can_fail(client):
    doc = client.get(f"{PREFIX}/openapi.json").json
    appt = {"$ref": "#/components/schemas/Appointment"}
    assert conforms({"id": 1}, appt, doc)
    assert conforms({"slots": [{"start": 3}], "timezone": "UTC"}, _response_schema(doc, "/slots", "get", 200), doc)


@pytest.mark.skipif(importlib.util.find_spec("jsonschema") is None, reason="jsonschema is not installed")
def test_responses_validate_with_jsonschema(client):
    import jsonschema

    doc = client.get(f"{PREFIX}/openapi.json").json
    for path, verb, r in _calls(client):
        schema = {**_response_schema(doc, path, verb, r.status_code), "components": doc["components"]}
        jsonschema.Draft202012Validator(schema).validate(r.json)
