"""The path items of the OpenAPI document (kept apart so each module stays short)."""

from __future__ import annotations

from televisit.web.api.openapi import (
    AID,
    CID,
    DATE,
    ID,
    INSTANT,
    MODES,
    STATUS,
    TZ,
    _body,
    _errors,
    _list,
    _obj,
    _ok,
    _op,
    _param,
    _ref,
)

STR = {"type": "string"}


def _catalog() -> dict:
    loc_in = _obj(
        {"name": STR, "city": STR, "region": STR, "country": STR, "timezone": STR},
        ["name", "city", "region", "country", "timezone"],
    )
    vt_in = _obj(
        {
            "name": STR,
            "duration_minutes": {"type": "integer"},
            "modes": MODES,
            "buffer_before_minutes": {"type": "integer"},
            "buffer_after_minutes": {"type": "integer"},
            "min_notice_minutes": {"type": "integer"},
            "max_advance_days": {"type": "integer"},
        },
        ["name", "duration_minutes", "modes"],
    )
    cl_in = _obj(
        {
            "name": STR,
            "specialty": STR,
            "licenses": {"type": "array", "items": STR},
            "visit_type_ids": {"type": "array", "items": ID},
            "email": STR,
            "phone": STR,
        },
        ["name", "specialty", "licenses", "visit_type_ids"],
    )
    rules = _obj({"rules": {"type": "array", "items": _ref("Rule")}}, ["rules"])
    off_in = {
        "oneOf": [
            _obj({"start": INSTANT, "end": INSTANT, "reason": STR}, ["start", "end"]),
            _obj({"location_id": ID, "date": DATE, "reason": STR}, ["location_id", "date"]),
        ]
    }
    return {
        "/locations": {
            "get": _op("List sites", _ok(200, _list("locations", "Location")), secured=False, tag="catalog"),
            "post": _op(
                "Add a site (admin)",
                {**_ok(201, _ref("Location"), "Created"), **_errors(400, 401, 403, 409, 422)},
                body=_body(loc_in),
                tag="catalog",
            ),
        },
        "/visit-types": {
            "get": _op("List visit types", _ok(200, _list("visit_types", "VisitType")), secured=False, tag="catalog"),
            "post": _op(
                "Add a visit type (admin)",
                {**_ok(201, _ref("VisitType"), "Created"), **_errors(400, 401, 403, 409, 422)},
                body=_body(vt_in),
                tag="catalog",
            ),
        },
        "/clinicians": {
            "get": _op(
                "List clinicians",
                {**_ok(200, _list("clinicians", "Clinician")), **_errors(422)},
                params=[_param("specialty", STR), _param("location_id", ID)],
                secured=False,
                tag="catalog",
            ),
            "post": _op(
                "Add a clinician (admin)",
                {**_ok(201, _ref("Clinician"), "Created"), **_errors(400, 401, 403, 409, 422)},
                body=_body(cl_in),
                tag="catalog",
            ),
        },
        "/clinicians/{clinician_id}": {
            "get": _op(
                "One clinician",
                {**_ok(200, _ref("Clinician")), **_errors(404)},
                params=[CID],
                secured=False,
                tag="catalog",
            )
        },
        "/clinicians/{clinician_id}/availability": {
            "get": _op("Weekly rules", {**_ok(200, rules), **_errors(404)}, params=[CID], secured=False, tag="catalog"),
            "put": _op(
                "Replace weekly rules (local wall time at each site)",
                {**_ok(200, rules), **_errors(400, 401, 403, 404, 422)},
                params=[CID],
                body=_body(rules),
                tag="catalog",
            ),
        },
        "/clinicians/{clinician_id}/time-off": {
            "post": _op(
                "Add time off",
                {**_ok(201, _ref("TimeOff"), "Created"), **_errors(400, 401, 403, 404, 422)},
                params=[CID],
                body=_body(off_in),
                tag="catalog",
            )
        },
    }


def _people() -> dict:
    pat_in = _obj(
        {
            "name": STR,
            "email": STR,
            "phone": STR,
            "timezone": STR,
            "region": STR,
            "sms_opt_in": {"type": "boolean"},
            "email_opt_in": {"type": "boolean"},
        },
        ["name", "email", "phone", "timezone"],
    )
    token_in = _obj({"email": STR, "password": STR}, ["email", "password"])
    token_out = _obj({"token": STR, "role": STR, "expires_at": INSTANT}, ["token", "role", "expires_at"])
    return {
        "/auth/token": {
            "post": _op(
                "Sign in for a bearer token",
                {**_ok(200, token_out), **_errors(400, 401, 422, 429)},
                body=_body(token_in),
                secured=False,
                tag="auth",
            ),
            "delete": {
                **_op(
                    "Revoke the bearer token (sign out)",
                    {"204": {"description": "Revoked"}, **_errors(401)},
                    tag="auth",
                )
            },
        },
        "/patients": {
            "post": _op(
                "Register a patient (staff)",
                {**_ok(201, _ref("Patient"), "Created"), **_errors(400, 401, 403, 422)},
                body=_body(pat_in),
                tag="patients",
            )
        },
        "/patients/{patient_id}": {
            "get": _op(
                "One patient",
                {**_ok(200, _ref("Patient")), **_errors(401, 404)},
                params=[_param("patient_id", ID, where="path")],
                tag="patients",
            )
        },
    }


def _appointments() -> dict:
    slots_out = _obj(
        {
            "timezone": STR,
            "slots": {"type": "array", "items": _ref("Slot")},
            "days": {"type": "array", "items": _obj({"date": DATE, "slots": {"type": "array", "items": _ref("Slot")}})},
        },
        ["timezone", "slots"],
    )
    book_in = _obj(
        {
            "visit_type_id": ID,
            "clinician_id": ID,
            "location_id": ID,
            "mode": {"type": "string", "enum": ["virtual", "in_person"]},
            "start": INSTANT,
            "patient_id": ID,
            "patient_region": STR,
            "reason": STR,
        },
        ["visit_type_id", "clinician_id", "location_id", "mode", "start"],
    )
    move_in = _obj(
        {"start": INSTANT, "clinician_id": ID, "location_id": ID, "mode": STR, "patient_region": STR}, ["start"]
    )
    appt = {**_ok(200, _ref("Appointment")), **_errors(401, 404, 422)}
    change = {**_ok(200, _ref("Appointment")), **_errors(400, 401, 404, 409, 422)}
    slot_params = [
        _param("visit_type_id", ID, required=True),
        _param("from", DATE, required=True),
        _param("to", DATE, required=True),
        TZ,
        _param("location_id", ID),
        _param("clinician_id", ID),
        _param("mode", {"type": "string", "enum": ["virtual", "in_person"]}),
        _param("patient_region", STR),
        _param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
    ]
    list_params = [
        _param("from", DATE),
        _param("to", DATE),
        TZ,
        _param("clinician_id", ID),
        _param("location_id", ID),
        _param("patient_id", ID),
        _param("status", STATUS),
    ]
    return {
        "/slots": {
            "get": _op(
                "Free slots, sorted by start",
                {**_ok(200, slots_out), **_errors(422)},
                params=slot_params,
                secured=False,
                tag="booking",
            )
        },
        "/appointments": {
            "get": _op(
                "List appointments (staff: theirs/all; patient: own)",
                {**_ok(200, _list("appointments", "Appointment")), **_errors(401, 422)},
                params=list_params,
                tag="booking",
            ),
            "post": _op(
                "Book",
                {**_ok(201, _ref("Appointment"), "Created"), **_errors(400, 401, 403, 409, 422)},
                params=[TZ],
                body=_body(book_in),
                tag="booking",
            ),
        },
        "/appointments/{appointment_id}": {"get": _op("One appointment", appt, params=[AID, TZ], tag="booking")},
        "/appointments/{appointment_id}/reschedule": {
            "post": _op("Move (same id, sequence + 1)", change, params=[AID, TZ], body=_body(move_in), tag="booking")
        },
        "/appointments/{appointment_id}/cancel": {
            "post": _op(
                "Cancel", change, params=[AID, TZ], body=_body(_obj({"reason": STR}), required=False), tag="booking"
            )
        },
        "/appointments/{appointment_id}/calendar.ics": {
            "get": _op(
                "Calendar file",
                {**_ok(200, STR, media="text/calendar"), **_errors(401, 404)},
                params=[AID],
                tag="booking",
            )
        },
        "/appointments/{appointment_id}/waitlist": {
            "post": _op(
                "Ask for an earlier slot for this visit",
                {**_ok(201, _obj({"appointment_id": ID, "status": STR})), **_errors(401, 404, 409)},
                params=[AID],
                tag="waitlist",
            ),
            "delete": _op(
                "Stop waiting for an earlier slot",
                {"204": {"description": "Done"}, **_errors(401, 404)},
                params=[AID],
                tag="waitlist",
            ),
        },
        "/clinicians/{clinician_id}/calendar-feed": {
            "post": _op(
                "Create a private calendar subscription URL (the clinician or an admin)",
                {**_ok(201, _obj({"url": STR}, ["url"]), "Created"), **_errors(401, 403, 404)},
                params=[CID],
                tag="calendar",
            ),
            "delete": _op(
                "Revoke every calendar subscription of the clinician",
                {**_ok(200, _obj({"revoked": {"type": "integer"}})), **_errors(401, 403, 404)},
                params=[CID],
                tag="calendar",
            ),
        },
        "/openapi.json": {"get": _op("This document", _ok(200, {"type": "object"}), secured=False, tag="meta")},
    }


def paths() -> dict:
    """Every /api/v1 path."""
    return {**_catalog(), **_people(), **_appointments()}
