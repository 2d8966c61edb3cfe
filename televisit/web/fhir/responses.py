"""FHIR answers: `application/fhir+json` bodies, and `OperationOutcome` for every error under /fhir.

Resources are built with `fhir.resources` (its R4B models: R4B's scheduling resources are R4's), so a
resource that is not valid R4 fails where it is built, not in a client. `fhir_json` takes a model or, for
hot paths that build plain dicts (the bulk Slot files), a dict that the tests validate against the same models.
"""

from __future__ import annotations

import json

from flask import Response

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"

# Our domain error codes -> FHIR issue types (http://hl7.org/fhir/issue-type).
ISSUE_TYPES = {
    "malformed": "structure",
    "invalid": "invalid",
    "unauthorized": "login",
    "forbidden": "forbidden",
    "not_found": "not-found",
    "slot_unavailable": "conflict",
    "conflict": "conflict",
    "too_large": "too-costly",
    "rate_limited": "throttled",
    "unavailable": "transient",
    "internal": "exception",
}


def as_dict(resource) -> dict:
    """A model (fhir.resources) or an already-built dict, as JSON-ready data without empty members."""
    if isinstance(resource, dict):
        return resource
    return resource.model_dump(mode="json", exclude_none=True, by_alias=True)


def fhir_json(resource, status: int = 200, headers: dict | None = None) -> Response:
    """One resource (or Bundle, Parameters, OperationOutcome) as `application/fhir+json`."""
    body = json.dumps(as_dict(resource), separators=(",", ":"), ensure_ascii=False)
    return Response(body, status=status, mimetype=FHIR_JSON, headers=headers or {})


def outcome(code: str, message: str, fields: dict | None = None) -> dict:
    """An OperationOutcome: one `error` issue for the whole, one per named field (its `expression`)."""
    kind = ISSUE_TYPES.get(code, "processing")
    issues = [{"severity": "error", "code": kind, "diagnostics": message, "details": {"text": code}}]
    for name, problem in (fields or {}).items():
        issues.append(
            {"severity": "error", "code": "invalid", "diagnostics": f"{name}: {problem}", "expression": [name]}
        )
    return {"resourceType": "OperationOutcome", "issue": issues}


def outcome_response(status: int, code: str, message: str, fields: dict | None = None) -> Response:
    """An error under /fhir, with its 4xx (or 5xx) status."""
    return fhir_json(outcome(code, message, fields), status=status)
