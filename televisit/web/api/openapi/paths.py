"""The path items of the OpenAPI document (kept apart so each module stays short)."""

from __future__ import annotations

from televisit.web.api.openapi.parts import (
    AID,
    CID,
    DATE,
    ID,
    INSTANT,
    MODES,
    STATUS,
    TZ,
    errors,
    json_body,
    listing,
    obj,
    ok,
    operation,
    param,
    ref,
)

STR = {"type": "string"}


def _catalog() -> dict:
    loc_in = obj(
        {"name": STR, "city": STR, "region": STR, "country": STR, "timezone": STR},
        ["name", "city", "region", "country", "timezone"],
    )
    vt_in = obj(
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
    cl_in = obj(
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
    rules = obj({"rules": {"type": "array", "items": ref("Rule")}}, ["rules"])
    affected = {
        "type": "string",
        "enum": ["keep", "cancel"],
        "description": "What becomes of active visits (booked, checked in, in the visit) inside the time off: "
        "keep them, or cancel each (its patient told). Without it such visits make the request a 409.",
    }
    off_in = {
        "oneOf": [
            obj(
                {"start": INSTANT, "end": INSTANT, "location_id": ID, "reason": STR, "affected": affected},
                ["start", "end"],
            ),
            obj({"location_id": ID, "date": DATE, "reason": STR, "affected": affected}, ["location_id", "date"]),
        ]
    }
    off_out = {"allOf": [ref("TimeOff"), obj({"affected": {"type": "array", "items": ID}}, ["affected"])]}
    off_conflicts = {
        "409": {
            "description": "Code conflicts: the time off covers active visits, listed in `appointments`, and no "
            "`affected` was given; nothing is written. Code conflict: a visit already under way cannot be cancelled.",
            "content": {
                "application/json": {
                    "schema": {"allOf": [ref("Error"), obj({"appointments": {"type": "array", "items": ID}})]}
                }
            },
        }
    }
    return {
        "/locations": {
            "get": operation("List sites", ok(200, listing("locations", "Location")), secured=False, tag="catalog"),
            "post": operation(
                "Add a site (admin)",
                {**ok(201, ref("Location"), "Created"), **errors(400, 401, 403, 409, 422)},
                body=json_body(loc_in),
                tag="catalog",
            ),
        },
        "/visit-types": {
            "get": operation(
                "List visit types", ok(200, listing("visit_types", "VisitType")), secured=False, tag="catalog"
            ),
            "post": operation(
                "Add a visit type (admin)",
                {**ok(201, ref("VisitType"), "Created"), **errors(400, 401, 403, 409, 422)},
                body=json_body(vt_in),
                tag="catalog",
            ),
        },
        "/clinicians": {
            "get": operation(
                "List clinicians",
                {**ok(200, listing("clinicians", "Clinician")), **errors(422)},
                params=[param("specialty", STR), param("location_id", ID)],
                secured=False,
                tag="catalog",
            ),
            "post": operation(
                "Add a clinician (admin)",
                {**ok(201, ref("Clinician"), "Created"), **errors(400, 401, 403, 409, 422)},
                body=json_body(cl_in),
                tag="catalog",
            ),
        },
        "/clinicians/{clinician_id}": {
            "get": operation(
                "One clinician",
                {**ok(200, ref("Clinician")), **errors(404)},
                params=[CID],
                secured=False,
                tag="catalog",
            )
        },
        "/clinicians/{clinician_id}/availability": {
            "get": operation(
                "Weekly rules", {**ok(200, rules), **errors(404)}, params=[CID], secured=False, tag="catalog"
            ),
            "put": operation(
                "Replace weekly rules (local wall time at each site)",
                {**ok(200, rules), **errors(400, 401, 403, 404, 422)},
                params=[CID],
                body=json_body(rules),
                tag="catalog",
            ),
        },
        "/clinicians/{clinician_id}/time-off": {
            "post": operation(
                "Add time off (visits inside it: 409, or kept or cancelled as `affected` says)",
                {
                    **ok(201, off_out, "Created; `affected` lists the visits inside it"),
                    **errors(400, 401, 403, 404, 422),
                }
                | off_conflicts,
                params=[CID],
                body=json_body(off_in),
                tag="catalog",
            )
        },
    }


def _people() -> dict:
    pat_in = obj(
        {
            "name": STR,
            "email": STR,
            "phone": {**STR, "description": "E.164, any form with + and the country code, or national for region"},
            "timezone": STR,
            "region": STR,
            "date_of_birth": {**DATE, "description": "YYYY-MM-DD, not in the future"},
            "mrn": {**STR, "description": "1 to 20 letters, digits or hyphens; unique"},
            "confirm_new": {"type": "boolean", "description": "register even when a record has the same name and DOB"},
            "sms_opt_in": {"type": "boolean"},
            "email_opt_in": {"type": "boolean"},
        },
        ["name", "email", "phone", "timezone"],
    )
    created = {
        "allOf": [
            ref("Patient"),
            obj({"possible_duplicates": {"type": "array", "items": ref("Likeness")}}, ["possible_duplicates"]),
        ]
    }
    found = obj({"patients": {"type": "array", "items": ref("Patient")}, "more": {"type": "boolean"}}, ["patients"])
    query = "part of a name, an MRN, a date of birth (YYYY-MM-DD, or the locale's short form) or a phone number"
    token_in = obj({"email": STR, "password": STR}, ["email", "password"])
    token_out = obj({"token": STR, "role": STR, "expires_at": INSTANT}, ["token", "role", "expires_at"])
    return {
        "/auth/token": {
            "post": operation(
                "Sign in for a bearer token",
                {**ok(200, token_out), **errors(400, 401, 403, 422, 429)},  # 403 unconfirmed: sign-up not confirmed yet
                body=json_body(token_in),
                secured=False,
                tag="auth",
            ),
            "delete": {
                **operation(
                    "Revoke the bearer token (sign out)",
                    {"204": {"description": "Revoked"}, **errors(401)},
                    tag="auth",
                )
            },
        },
        "/patients": {
            "post": operation(
                "Register a patient (staff)",
                {**ok(201, created, "Created"), **errors(400, 401, 403, 409, 422)},
                body=json_body(pat_in),
                tag="patients",
            ),
            "get": operation(
                "Find patients (desk: all; clinician: the patients they treat)",
                {**ok(200, found), **errors(401, 403, 422)},
                params=[param("q", {"type": "string", "minLength": 2, "maxLength": 100}, required=True, desc=query)],
                tag="patients",
            ),
        },
        "/patients/{patient_id}": {
            "get": operation(
                "One patient",
                {**ok(200, ref("Patient")), **errors(401, 404)},
                params=[param("patient_id", ID, where="path")],
                tag="patients",
            )
        },
    }


def _appointments() -> dict:
    slots_out = obj(
        {
            "timezone": STR,
            "slots": {"type": "array", "items": ref("Slot")},
            "days": {"type": "array", "items": obj({"date": DATE, "slots": {"type": "array", "items": ref("Slot")}})},
            "more": {"type": "boolean", "description": "true when more slots matched than shown (limit, at most 1000)"},
        },
        ["timezone", "slots", "more"],
    )
    book_in = obj(
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
    move_in = obj(
        {"start": INSTANT, "clinician_id": ID, "location_id": ID, "mode": STR, "patient_region": STR}, ["start"]
    )
    appt = {**ok(200, ref("Appointment")), **errors(401, 404, 422)}
    change = {**ok(200, ref("Appointment")), **errors(400, 401, 404, 409, 422)}
    slot_params = [
        param("visit_type_id", ID, required=True),
        param("from", DATE, required=True),
        param("to", DATE, required=True),
        TZ,
        param("location_id", ID),
        param("clinician_id", ID),
        param("mode", {"type": "string", "enum": ["virtual", "in_person"]}),
        param("patient_region", STR),
        param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
    ]
    list_params = [
        param("from", DATE),
        param("to", DATE),
        TZ,
        param("clinician_id", ID),
        param("location_id", ID),
        param("patient_id", ID),
        param("status", STATUS),
    ]
    return {
        "/slots": {
            "get": operation(
                "Free slots, sorted by start: the earliest `limit` (at most 1000); anonymous searches are rate-limited",
                {**ok(200, slots_out), **errors(422, 429)},
                params=slot_params,
                secured=False,
                tag="booking",
            )
        },
        "/appointments": {
            "get": operation(
                "List appointments (staff: theirs/all; patient: own)",
                {**ok(200, listing("appointments", "Appointment")), **errors(401, 422)},
                params=list_params,
                tag="booking",
            ),
            "post": operation(
                "Book",
                {**ok(201, ref("Appointment"), "Created"), **errors(400, 401, 403, 409, 422)},
                params=[TZ],
                body=json_body(book_in),
                tag="booking",
            ),
        },
        "/appointments/{appointment_id}": {"get": operation("One appointment", appt, params=[AID, TZ], tag="booking")},
        "/appointments/{appointment_id}/reschedule": {
            "post": operation(
                "Move (same id, sequence + 1)", change, params=[AID, TZ], body=json_body(move_in), tag="booking"
            )
        },
        "/appointments/{appointment_id}/cancel": {
            "post": operation(
                "Cancel", change, params=[AID, TZ], body=json_body(obj({"reason": STR}), required=False), tag="booking"
            )
        },
        "/appointments/{appointment_id}/calendar.ics": {
            "get": operation(
                "Calendar file",
                {**ok(200, STR, media="text/calendar"), **errors(401, 404)},
                params=[AID],
                tag="booking",
            )
        },
        "/appointments/{appointment_id}/waitlist": {
            "post": operation(
                "Ask for an earlier slot for this visit",
                {**ok(201, obj({"appointment_id": ID, "status": STR})), **errors(401, 404, 409)},
                params=[AID],
                tag="waitlist",
            ),
            "delete": operation(
                "Stop waiting for an earlier slot",
                {"204": {"description": "Done"}, **errors(401, 404)},
                params=[AID],
                tag="waitlist",
            ),
        },
        "/clinicians/{clinician_id}/calendar-feed": {
            "post": operation(
                "Create a private calendar subscription URL (the clinician or an admin)",
                {**ok(201, obj({"url": STR}, ["url"]), "Created"), **errors(401, 403, 404)},
                params=[CID],
                tag="calendar",
            ),
            "delete": operation(
                "Revoke every calendar subscription of the clinician",
                {**ok(200, obj({"revoked": {"type": "integer"}})), **errors(401, 403, 404)},
                params=[CID],
                tag="calendar",
            ),
        },
        "/openapi.json": {"get": operation("This document", ok(200, {"type": "object"}), secured=False, tag="meta")},
    }


def paths() -> dict:
    """Every /api/v1 path."""
    return {**_catalog(), **_people(), **_appointments()}
