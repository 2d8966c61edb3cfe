"""Helpers for the FHIR facade's tests: call /fhir over HTTP (the test client or a live server) and check that
every resource seen is valid R4, through `fhir.resources` (its R4B models: R4B's scheduling resources are R4's)."""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class

from tests.factories import PASSWORD

FHIR_JSON = "application/fhir+json"


def valid(resource: dict) -> dict:
    """`resource` validated against the R4 definitions (a Bundle's entries and a Parameters' resources too:
    the model validates what it contains); returns it for chaining. A ValidationError fails the test."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def token(client, email: str, password: str = PASSWORD) -> dict:
    """`Authorization` header of a JSON API bearer token for `email`."""
    r = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.get_data(as_text=True)
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def fhir(client, method: str, path: str, status: int = 200, *, headers=None, **kw) -> dict:
    """Call /fhir`path`; the answer has `status`, is `application/fhir+json` and valid R4; returns its JSON."""
    r = client.open(f"/fhir{path}", method=method, headers=headers or {}, **kw)
    body = r.get_data(as_text=True)
    assert r.status_code == status, f"{r.status_code}: {body[:1500]}"
    assert r.mimetype == FHIR_JSON, r.mimetype
    data = r.get_json(force=True)
    if status >= 400:
        assert data["resourceType"] == "OperationOutcome", data
    return valid(data)


def entries(bundle: dict, resource_type: str | None = None) -> list[dict]:
    """The resources of a Bundle (of one type when given)."""
    found = [e["resource"] for e in bundle.get("entry", [])]
    return [r for r in found if resource_type is None or r["resourceType"] == resource_type]


def next_link(bundle: dict) -> str | None:
    """The `next` link of a searchset Bundle, if any."""
    return next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)
