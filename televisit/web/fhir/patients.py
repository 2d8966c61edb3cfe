"""Patient under /fhir: staff read and search (a clinician only the patients they treat, as at the desk); a
patient's token reads only themself (another record is a 404, never a 403: nothing says it exists); no token
is a 401; a system client needs `system/Patient.read` (its service user is a scheduler)."""

from __future__ import annotations

from fhir.resources.R4B.patient import Patient as FhirPatient
from flask import request

from televisit.domain.errors import NotFound
from televisit.domain.identity import query_phones
from televisit.domain.validation import normalize_email
from televisit.extensions import db
from televisit.models import Patient
from televisit.services.patients import identity
from televisit.web.fhir import codes
from televisit.web.fhir import params as p
from televisit.web.fhir.auth import allowed, current_caller
from televisit.web.fhir.blueprint import bp
from televisit.web.fhir.bundle import page_of, searchset
from televisit.web.fhir.responses import fhir_json

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier types: MR = medical record number
MRN_TYPE = {"coding": [{"system": V2_0203, "code": "MR", "display": "Medical record number"}], "text": "MRN"}
TIMEZONE = "http://hl7.org/fhir/StructureDefinition/timezone"


def patient_resource(pt: Patient) -> FhirPatient:
    """A patient record: name, date of birth, MRN, phone and email, home zone and language."""
    body = {"id": str(pt.id), "name": [{"text": pt.name}], "extension": [{"url": TIMEZONE, "valueCode": pt.timezone}]}
    if pt.date_of_birth:
        body["birthDate"] = pt.date_of_birth.isoformat()
    if pt.mrn:
        body["identifier"] = [{"use": "usual", "type": MRN_TYPE, "system": _mrn_system(), "value": pt.mrn}]
    telecom = [{"system": "phone", "value": pt.phone, "use": "mobile"}] if pt.phone else []
    body["telecom"] = telecom + ([{"system": "email", "value": pt.email}] if pt.email else [])
    if pt.locale:
        language = {"coding": [{"system": "urn:ietf:bcp:47", "code": pt.locale}]}
        body["communication"] = [{"language": language, "preferred": True}]
    return FhirPatient(**body)


def _mrn_system() -> str:
    return codes.system(codes.MRN_SYSTEM_PATH)


def _phones(values) -> list[str]:
    return [e164 for v in values for e164 in query_phones(v.rpartition("|")[2], None)]


# Each search parameter as a criterion of identity.find: (what it matches, the values wanted).
CRITERIA = {
    "_id": lambda _n, values: ("id", [n for n in map(p.number, values) if n is not None]),
    "identifier": lambda _n, values: ("mrn", [c.upper() for c in (p.token(v, _mrn_system()) for v in values) if c]),
    "name": lambda _n, values: ("name", values),
    "birthdate": lambda name, values: ("born", [p.date_span(name, v) for v in values]),
    "phone": lambda _n, values: ("phone", _phones(values)),
    "email": lambda _n, values: ("email", [normalize_email(v.rpartition("|")[2]) for v in values]),
}


@bp.get("/Patient/<patient_id>")
@allowed("Patient")
def read_patient(patient_id: str):
    number = p.number(patient_id)
    if number is None:
        raise NotFound(f"No Patient with id {patient_id!r}.")
    return fhir_json(patient_resource(identity.visible(db.session, number, actor=current_caller().actor)))


@bp.get("/Patient")
@allowed("Patient")
def search_patients():
    page = page_of(request.args)
    criteria = [CRITERIA[name](name, values) for name, values in p.occurrences("Patient")]
    actor = current_caller().actor
    found, total = identity.find(db.session, criteria, actor=actor, offset=page.offset, limit=page.count)
    return fhir_json(searchset([patient_resource(pt) for pt in found], page, total=total))
