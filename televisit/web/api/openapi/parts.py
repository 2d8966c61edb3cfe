"""The OpenAPI document's parts: shared schemas and the builders of operations, parameters and responses."""

from __future__ import annotations

INSTANT = {"type": "string", "format": "date-time", "example": "2027-03-29T09:00:00+01:00"}
ID = {"type": "integer", "minimum": 1}
MODES = {"type": "array", "items": {"type": "string", "enum": ["virtual", "in_person"]}}
STATUS = {
    "type": "string",
    "enum": ["booked", "checked_in", "in_visit", "completed", "cancelled", "no_show", "pending"],
    "description": "`pending`: a hold made through FHIR `$hold`; it keeps its time until booked or released.",
}


def obj(props: dict, required: list[str] | None = None) -> dict:
    out = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


SCHEMAS = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "reason": {"type": "string"},
                    "patient_id": {
                        "type": "integer",
                        "description": "duplicate_patient / duplicate_mrn: the record that has the email or MRN",
                    },
                    "patient_ids": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "description": "code possible_duplicate: the records that look like this patient",
                    },
                    "possible_duplicates": {"type": "array", "items": {"$ref": "#/components/schemas/Likeness"}},
                },
                ["code", "message", "fields"],
            )
        },
        ["error"],
    ),
    "Location": obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "city": {"type": "string"},
            "region": {"type": "string"},
            "country": {"type": "string"},
            "timezone": {"type": "string"},
        },
        ["id", "name", "city", "region", "country", "timezone"],
    ),
    "VisitType": obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "duration_minutes": {"type": "integer"},
            "modes": MODES,
            "buffer_before_minutes": {"type": "integer"},
            "buffer_after_minutes": {"type": "integer"},
            "min_notice_minutes": {"type": "integer"},
            "max_advance_days": {"type": "integer"},
            "resource_kinds": {"type": "array", "items": {"type": "string"}},
            "team_specialties": {"type": "array", "items": {"type": "string"}},
        },
        ["id", "name", "duration_minutes", "modes"],
    ),
    "Clinician": obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "specialty": {"type": "string"},
            "licenses": {"type": "array", "items": {"type": "string"}},
            "visit_type_ids": {"type": "array", "items": ID},
            "location_ids": {"type": "array", "items": ID},
        },
        ["id", "name", "specialty", "licenses", "visit_type_ids"],
    ),
    "Rule": obj(
        {
            "location_id": ID,
            "weekday": {"type": "integer", "minimum": 0, "maximum": 6},
            "start": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
            "end": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
            "modes": MODES,
        },
        ["location_id", "weekday", "start", "end", "modes"],
    ),
    "TimeOff": obj(
        {
            "id": ID,
            "clinician_id": ID,
            "start": INSTANT,
            "end": INSTANT,
            "location_id": nullable(ID),
            "timezone": {"type": "string"},
        }
    ),
    "Likeness": obj(
        {
            "patient_id": ID,
            "match": {
                "type": "array",
                "items": {"type": "string", "enum": ["name_and_birth_date", "phone"]},
                "description": "why the record looks alike: same name and date of birth, same phone",
            },
        },
        ["patient_id", "match"],
    ),
    "Patient": obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "date_of_birth": nullable({"type": "string", "format": "date"}),
            "mrn": nullable({"type": "string", "description": "medical record number, unique when given"}),
            "email": nullable({"type": "string"}),
            "phone": nullable({"type": "string"}),
            "timezone": {"type": "string"},
            "region": nullable({"type": "string"}),
            "sms_opt_in": {"type": "boolean"},
            "email_opt_in": {"type": "boolean"},
        },
        ["id", "name", "timezone"],
    ),
    "Slot": obj(
        {
            "clinician_id": ID,
            "location_id": ID,
            "visit_type_id": ID,
            "mode": {"type": "string", "enum": ["virtual", "in_person"]},
            "start": INSTANT,
            "end": INSTANT,
            "clinician_ids": {"type": "array", "items": ID, "description": "every attending clinician, lead first"},
            "resource_ids": {"type": "array", "items": ID, "description": "the rooms or machines it holds"},
        },
        ["clinician_id", "location_id", "visit_type_id", "mode", "start", "end"],
    ),
    "Appointment": obj(
        {
            "id": ID,
            "status": STATUS,
            "visit_type_id": ID,
            "clinician_id": ID,
            "location_id": ID,
            "mode": {"type": "string"},
            "start": INSTANT,
            "end": INSTANT,
            "timezone": {"type": "string"},
            "patient_id": ID,
            "patient_region": nullable({"type": "string"}),
            "reason": nullable({"type": "string"}),
            "sequence": {"type": "integer", "minimum": 0},
            "created_at": INSTANT,
            "updated_at": INSTANT,
            "checked_in_at": nullable(INSTANT),
            "admitted_at": nullable(INSTANT),
            "ended_at": nullable(INSTANT),
            "clinician_ids": {"type": "array", "items": ID},
            "resource_ids": {"type": "array", "items": ID},
            "itinerary_id": nullable(ID),
            "course_id": nullable(ID),
        },
        [
            "id",
            "status",
            "visit_type_id",
            "clinician_id",
            "location_id",
            "mode",
            "start",
            "end",
            "timezone",
            "patient_id",
            "reason",
            "sequence",
            "created_at",
            "updated_at",
        ],
    ),
}


def param(name: str, schema: dict, *, where: str = "query", required: bool = False, desc: str = "") -> dict:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema, "description": desc}


def errors(*codes: int) -> dict:
    text = {
        400: "Malformed body",
        401: "Not signed in",
        403: "Not allowed (code forbidden), or a write signed in by the session cookie without X-CSRFToken (code csrf)",
        404: "Not found",
        409: (
            "Conflict (code slot_unavailable for a taken or invalid slot; duplicate_patient, with patient_id, for a "
            "patient whose email another record has; duplicate_mrn, with patient_id, for an MRN another record has; "
            "possible_duplicate, with patient_ids and possible_duplicates, for a patient whose name and date of "
            "birth another record has: send confirm_new true to register them anyway)"
        ),
        413: "Request body over 1 MiB (code too_large)",
        422: "Invalid fields",
        429: "Too many requests (code rate_limited, or locked for sign-in); retry after Retry-After seconds",
        503: "Briefly unavailable (code unavailable, e.g. the database restarting); retry after Retry-After seconds",
    }
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": ref("Error")}}} for c in codes}


def ok(status: int, schema: dict, desc: str = "OK", media: str = "application/json") -> dict:
    return {str(status): {"description": desc, "content": {media: {"schema": schema}}}}


def json_body(schema: dict, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def operation(summary: str, responses: dict, *, params=(), body=None, secured=True, tag="") -> dict:
    responses = {**responses, **errors(503)}  # any operation may meet a database restart
    op = {"summary": summary, "responses": responses, "parameters": list(params), "tags": [tag] if tag else []}
    if body:
        op["requestBody"] = body
        responses |= errors(413)  # any body over 1 MiB
    if secured:
        op["security"] = [{"bearer": []}, {"session": []}]
    return op


def listing(key: str, item: str) -> dict:
    return obj({key: {"type": "array", "items": ref(item)}}, [key])


TZ = param("tz", {"type": "string"}, desc="IANA zone to render instants in")
CID = param("clinician_id", ID, where="path")
AID = param("appointment_id", ID, where="path")
DATE = {"type": "string", "format": "date"}
