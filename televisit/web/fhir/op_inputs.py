"""What `$find`, `$hold` and `$book` take from their parameters: the criteria of a search, the appointment an
operation names (a proposed one, `p.<slot id>`, or a stored one), the patient acted for, and free text.

`$find` follows IHE's definition: `start` and `end` (required), `specialty`, `visit-type` (also read as
`service-type`), `practitioner`, `location-reference`, `location-string`, `patient-reference` (also `patient`)
and `_count`/`_offset`; `mode` (`virtual` or `in_person`) is ours. Codes are tokens (`system|code`), with our
code systems (codes.py) or none; references are `Type/<id>` (or our absolute URL). IHE parameters we cannot
use (organization, reason, referral-identifier, timing, insurance-reference, patient-resource) and unknown
ones are ignored, and the answer says so in an informational OperationOutcome.
"""

from __future__ import annotations

from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from pydantic import ValidationError

from televisit.domain.errors import Forbidden, Invalid, NotFound
from televisit.domain.roles import PATIENT
from televisit.domain.validation import CONTROL_CHARACTERS, has_control_characters
from televisit.extensions import db
from televisit.services.booking.check import SlotRequest
from televisit.services.integrations import appointments as info
from televisit.services.integrations.find import FindQuery
from televisit.web.fhir import codes
from televisit.web.fhir.auth import Caller
from televisit.web.fhir.ids import SlotKey, proposed_key
from televisit.web.fhir.parameters import OpParams, first_problem, int_ref, ref_id, token, when

FIND_PARAMETERS = frozenset(
    {
        "start", "end", "specialty", "visit-type", "service-type", "practitioner", "location-reference",
        "location", "location-string", "patient-reference", "patient", "mode", "_count", "_offset",
    }
)  # fmt: skip
MODES = {"virtual": "virtual", "in_person": "in_person", "in-person": "in_person"}
BOOK_STATUSES = "pending (book a proposed or held appointment) or cancelled (cancel one); changes go through /api/v1"
MAX_COMMENT = 2000


def unused(params: OpParams) -> list[str]:
    """The parameters `$find` does not use, by name."""
    return sorted(params.names() - FIND_PARAMETERS)


def _codes(values: list[str], system_path: str) -> tuple[str, ...] | None:
    """The codes of tokens in our code system (or none named); None when no token was given."""
    if not values:
        return None
    ours = codes.system(system_path)
    return tuple(code for system, code in map(token, values) if system in (None, "", ours))


def _ids(values: list[str], resource_type: str, name: str) -> tuple[int, ...] | None:
    return tuple(int_ref(v, resource_type, name) for v in values) if values else None


def find_query(params: OpParams, *, patient_region: str | None) -> FindQuery:
    """`$find`'s criteria (422 naming a bad one)."""
    kinds = _codes(params.all("visit-type", "service-type", split=True), codes.SERVICE_TYPE_SYSTEM_PATH)
    mode = params.one("mode")
    if mode is not None and mode not in MODES:
        raise Invalid({"mode": "virtual or in_person"})
    return FindQuery(
        start=when(params.one("start", required=True), "start"),
        end=when(params.one("end", required=True), "end"),
        visit_type_ids=None if kinds is None else tuple(int(k) for k in kinds if k.isdigit() and len(k) < 10),
        clinician_ids=_ids(params.all("practitioner", split=True), "Practitioner", "practitioner"),
        location_ids=_ids(params.all("location-reference", "location", split=True), "Location", "location-reference"),
        specialties=_codes(params.all("specialty", split=True), codes.SPECIALTY_SYSTEM_PATH),
        location_texts=tuple(t.strip() for t in params.all("location-string") if t.strip()),
        mode=MODES.get(mode) if mode else None,
        patient_region=patient_region,
    )


def _resource_patient(resource: dict | None) -> str | None:
    actors = [p.get("actor") or {} for p in (resource or {}).get("participant", [])]
    found = [a["reference"] for a in actors if a.get("reference", "").rpartition("/")[0].endswith("Patient")]
    return found[0] if found else None


def patient_of(params: OpParams, caller: Caller, *, required: bool, resource: dict | None = None) -> int | None:
    """The patient acted for (`patient-reference`, or the Patient of `resource`): a patient only themself;
    schedulers, admins and systems anyone they name (Invalid when `required` and none is); clinicians nobody."""
    raw = params.one("patient-reference", "patient") or _resource_patient(resource)
    patient_id = int_ref(raw, "Patient", "patient-reference") if raw else None
    actor = caller.actor
    if actor.role == PATIENT:
        if patient_id not in (None, actor.patient_id):
            raise Forbidden("A patient can act only for themself.")
        return actor.patient_id
    if patient_id is not None and not actor.is_booker:
        raise Forbidden("Only the patient, schedulers and admins act for a patient.")
    if patient_id is None and required:
        raise Invalid({"patient-reference": "required: the patient to act for, as Patient/<id>"})
    return patient_id


def region_of(patient_id: int | None) -> str | None:
    """The patient's region (licensure of video visits); 422 when there is no such patient."""
    return info.patient_region(db.session, patient_id, "patient-reference") if patient_id else None


def proposal(text: str, name: str) -> SlotKey:
    """The slot of a proposed appointment (`$hold` holds only those); 422 for a stored one, 404 for nothing."""
    appointment_id, key = target(text, name)
    if key is None:
        raise Invalid({name: "a proposed appointment from $find (id p.<slot id>)"})
    return key


def target(text: str, name: str) -> tuple[int | None, SlotKey | None]:
    """(stored id, None) or (None, proposed slot) of the appointment `text` names; NotFound for neither."""
    if not text:
        raise Invalid({name: "the id of a proposed ($find) or held ($hold) appointment"})
    appointment_id = ref_id(text, "Appointment", name)
    if appointment_id.startswith("p."):
        return None, proposed_key(appointment_id)
    if appointment_id.isdigit() and 0 < len(appointment_id) < 10 and int(appointment_id):
        return int(appointment_id), None
    raise NotFound(f"No appointment with id {appointment_id[:80]!r}.")


def slot_request(key: SlotKey) -> SlotRequest:
    """The booking check's request for a proposed appointment's slot (the patient's region: their record's)."""
    return SlotRequest(key.visit_type_id, key.clinician_id, key.location_id, key.mode, key.start, None)


def appointment_resource(params: OpParams) -> dict | None:
    """`appointment-resource`, a valid R4 Appointment (422 otherwise)."""
    raw = params.resource("appointment-resource")
    if raw is None:
        return None
    if raw.get("resourceType") != "Appointment":
        raise Invalid({"appointment-resource": "an Appointment"})
    try:
        FhirAppointment.model_validate(raw)
    except ValidationError as exc:
        raise Invalid({"appointment-resource": first_problem(exc)}) from exc
    return raw


def _free_text(value, name: str, most: int) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    if len(value) > most:
        raise Invalid({name: f"at most {most} characters"})
    if has_control_characters(value, lines=True):
        raise Invalid({name: CONTROL_CHARACTERS})
    return value


def comment(params: OpParams, resource: dict | None = None) -> str | None:
    """The booking's note (`comment`, or the resource's), kept as the appointment's reason."""
    return _free_text(params.one("comment") or (resource or {}).get("comment"), "comment", MAX_COMMENT)


def cancel_reason(params: OpParams, resource: dict) -> str | None:
    """Why it is cancelled: the resource's `cancelationReason` text, or `comment`."""
    said = (resource.get("cancelationReason") or {}).get("text") or params.one("comment")
    return _free_text(said, "comment", 500)
