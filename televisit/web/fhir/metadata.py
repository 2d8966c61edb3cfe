"""GET /fhir/metadata: the CapabilityStatement, rendered from the table in web/fhir/capabilities.py (so it
says exactly what the routes serve: tests/integration/test_fhir_metadata.py holds the two together)."""

from __future__ import annotations

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from televisit import clock
from televisit.web.fhir import capabilities as cap
from televisit.web.fhir import codes
from televisit.web.fhir.blueprint import bp
from televisit.web.fhir.bundle import base_url
from televisit.web.fhir.responses import fhir_json

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"


@bp.get("/metadata")
def capability_statement():
    """What the facade supports (no token needed: a client reads it before it has one)."""
    return fhir_json(statement(base_url()))


def statement(base: str) -> CapabilityStatement:
    """The CapabilityStatement of the facade served at `base`."""
    return CapabilityStatement(
        status="active",
        date=clock.now().isoformat(timespec="seconds"),
        kind="instance",
        name="TelevisitFhirFacade",
        title="Televisit FHIR R4 facade",
        publisher="Televisit",
        description="Scheduling of the spine tumor program: directory, free slots, appointments (IHE ITI "
        "Scheduling's $find, $hold, $book) and SMART Scheduling Links' $bulk-publish.",
        instantiates=[cap.IHE_SERVER],
        software={"name": "Televisit"},
        implementation={"description": "Televisit FHIR R4 facade", "url": base},
        fhirVersion="4.0.1",
        format=["json"],
        rest=[
            {
                "mode": "server",
                "security": _security(base),
                "resource": [_resource(s) for s in cap.RESOURCES],
                "operation": [_operation(op) for op in cap.SYSTEM_OPERATIONS],
            }
        ],
    )


def _security(base: str) -> dict:
    return {
        "extension": [{"url": OAUTH_URIS, "extension": [{"url": "token", "valueUri": f"{base}/{cap.TOKEN_PATH}"}]}],
        "service": [{"coding": [{"system": SECURITY_SERVICE, "code": "SMART-on-FHIR"}], "text": "SMART on FHIR"}],
        "description": (
            "Send 'Authorization: Bearer <token>': a person's JSON API token (POST /api/v1/auth/token; their "
            "role's rules hold, a patient sees only their own records), or a system's token from SMART Backend "
            f"Services (client credentials with a signed JWT assertion, at {base}/{cap.TOKEN_PATH}), held to its "
            f"scopes: {', '.join(cap.scopes())} (SMART v2 spellings such as system/Slot.rs are accepted too). "
            "The directory, Slot, metadata and $bulk-publish need no token."
        ),
    }


def _resource(s: cap.Supported) -> dict:
    body = {"type": s.type, "documentation": s.doc, "interaction": [{"code": code} for code in s.interactions]}
    if cap.SEARCH in s.interactions:
        params = [*s.params, *cap.GENERAL_PARAMS.values()]
        body["searchParam"] = [{"name": p.name, "type": p.type, "documentation": p.doc} for p in params]
    if s.operations:
        body["operation"] = [_operation(op) for op in s.operations]
    return body


def _operation(op: cap.Operation) -> dict:
    definition = codes.system(op.definition) if op.definition.startswith("/") else op.definition
    return {"name": op.name, "definition": definition, "documentation": op.doc}
