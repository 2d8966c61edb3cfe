"""The OpenAPI path of GET /audit (kept apart so each module stays short)."""

from __future__ import annotations

from televisit.web.api.openapi import DATE, ID, INSTANT, _errors, _nullable, _obj, _ok, _op, _param

STR = {"type": "string"}
INT = {"type": "integer"}

EVENT = _obj(
    {
        "id": INT,
        "at": INSTANT,
        "user_id": _nullable(INT),
        "role": STR,
        "action": STR,
        "object_type": STR,
        "object_id": _nullable(INT),
        "patient_id": _nullable(INT),
        "outcome": INT,
        "channel": {"type": "string", "enum": ["api", "page", "link", "feed", "socket"]},
        "ip": _nullable(STR),
        "user_agent": _nullable(STR),
        "request_id": _nullable(STR),
    },
    ["id", "at", "user_id", "role", "action", "object_type", "object_id", "patient_id", "outcome", "channel"],
)
PAGE = _obj(
    {"events": {"type": "array", "items": EVENT}, "page": INT, "per_page": INT, "total": INT},
    ["events", "page", "per_page", "total"],
)


def paths() -> dict:
    """GET /audit."""
    params = [
        _param("user_id", ID, desc="who acted"),
        _param("patient_id", ID, desc="whose data"),
        _param("appointment_id", ID, desc="events on this appointment"),
        _param("action", STR, desc="e.g. appointment.read, appointment.cancel, waiting_room.admit"),
        _param("from", DATE, desc="first UTC day (inclusive)"),
        _param("to", DATE, desc="last UTC day (inclusive)"),
        _param("page", {"type": "integer", "minimum": 1}),
        _param("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
    ]
    return {
        "/audit": {
            "get": _op(
                "The audit trail of reads and changes of patient data, newest first (admins)",
                {**_ok(200, PAGE), **_errors(401, 403, 422)},
                params=params,
                tag="audit",
            )
        }
    }
