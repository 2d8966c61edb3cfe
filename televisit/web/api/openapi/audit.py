"""The OpenAPI path of GET /audit (kept apart so each module stays short)."""

from __future__ import annotations

from televisit.web.api.openapi.parts import DATE, ID, INSTANT, errors, nullable, obj, ok, operation, param

STR = {"type": "string"}
INT = {"type": "integer"}

EVENT = obj(
    {
        "id": INT,
        "at": INSTANT,
        "user_id": nullable(INT),
        "role": STR,
        "action": STR,
        "object_type": STR,
        "object_id": nullable(INT),
        "patient_id": nullable(INT),
        "outcome": INT,
        # fhir: the FHIR facade; job: the jobs' own changes (a hold released when it expired)
        "channel": {"type": "string", "enum": ["api", "page", "link", "feed", "socket", "fhir", "job"]},
        "ip": nullable(STR),
        "user_agent": nullable(STR),
        "request_id": nullable(STR),
    },
    ["id", "at", "user_id", "role", "action", "object_type", "object_id", "patient_id", "outcome", "channel"],
)
PAGE = obj(
    {"events": {"type": "array", "items": EVENT}, "page": INT, "per_page": INT, "total": INT},
    ["events", "page", "per_page", "total"],
)


def paths() -> dict:
    """GET /audit."""
    params = [
        param("user_id", ID, desc="who acted"),
        param("patient_id", ID, desc="whose data"),
        param("appointment_id", ID, desc="events on this appointment"),
        param("action", STR, desc="e.g. appointment.read, appointment.cancel, waiting_room.admit"),
        param("from", DATE, desc="first UTC day (inclusive)"),
        param("to", DATE, desc="last UTC day (inclusive)"),
        param("page", {"type": "integer", "minimum": 1}),
        param("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
    ]
    return {
        "/audit": {
            "get": operation(
                "The audit trail of reads and changes of patient data, newest first (admins)",
                {**ok(200, PAGE), **errors(401, 403, 422)},
                params=params,
                tag="audit",
            )
        }
    }
