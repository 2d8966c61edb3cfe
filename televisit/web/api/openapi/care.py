"""The OpenAPI paths of care as the program gives it: resources, closures, pathways, itineraries, courses."""

from __future__ import annotations

from televisit.web.api.openapi.parts import (
    DATE,
    ID,
    INSTANT,
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
INT = {"type": "integer"}
IDS = {"type": "array", "items": ID}
MODE = {"type": "string", "enum": ["virtual", "in_person"]}
PATTERN = {"type": "string", "enum": ["weekdays", "alternate"]}
HOURS = obj(
    {"weekday": {"type": "integer", "minimum": 0, "maximum": 6}, "start": STR, "end": STR}, ["weekday", "start", "end"]
)
SCHEMAS = {
    "Resource": obj({"id": ID, "name": STR, "kind": STR, "location_id": ID}, ["id", "name", "kind", "location_id"]),
    "Pathway": obj(
        {
            "id": ID,
            "name": STR,
            "steps": {
                "type": "array",
                "items": obj({"visit_type_id": ID, "mode": {"anyOf": [MODE, {"type": "null"}]}}),
            },
            "min_gap_minutes": INT,
            "max_gap_minutes": INT,
            "self_bookable": {"type": "boolean"},
        },
        ["id", "name", "steps", "min_gap_minutes", "max_gap_minutes"],
    ),
    "Itinerary": obj(
        {
            "id": ID,
            "pathway_id": ID,
            "patient_id": ID,
            "status": {"type": "string", "enum": ["booked", "cancelled"]},
            "sequence": INT,
            "appointments": {"type": "array", "items": ref("Appointment")},
        },
        ["id", "pathway_id", "patient_id", "status", "appointments"],
    ),
    "Course": obj(
        {
            "id": ID,
            "status": {"type": "string", "enum": ["booked", "cancelled"]},
            "patient_id": ID,
            "visit_type_id": ID,
            "clinician_id": ID,
            "location_id": ID,
            "count": INT,
            "pattern": PATTERN,
            "appointments": {"type": "array", "items": ref("Appointment")},
        },
        ["id", "status", "appointments"],
    ),
}
STEP_IN = obj(
    {"start": INSTANT, "clinician_id": ID, "clinician_ids": IDS, "location_id": ID, "mode": MODE, "resource_ids": IDS},
    ["start", "clinician_id", "location_id", "mode"],
)
STEPS_IN = obj({"steps": {"type": "array", "items": STEP_IN}}, ["steps"])
REASON_IN = obj({"reason": STR})
TIME_OFF_IN = obj(
    {
        "start": INSTANT,
        "end": INSTANT,
        "date": DATE,
        "reason": STR,
        "affected": {"type": "string", "enum": ["keep", "cancel"]},
    }
)
RANGE = [param("from", DATE, required=True), param("to", DATE, required=True), TZ]


def _resources() -> dict:
    rid = param("resource_id", ID, where="path")
    hours = obj({"rules": {"type": "array", "items": HOURS}}, ["rules"])
    off_out = obj({"id": ID, "resource_id": ID, "start": INSTANT, "end": INSTANT, "affected": IDS})
    return {
        "/resources": {
            "get": operation(
                "Rooms and machines (staff)",
                {**ok(200, listing("resources", "Resource")), **errors(401, 403, 422)},
                params=[param("location_id", ID), param("kind", STR)],
                tag="care",
            ),
            "post": operation(
                "Add a room or machine (admin)",
                {**ok(201, ref("Resource")), **errors(400, 401, 403, 409, 422)},
                body=json_body(obj({"name": STR, "kind": STR, "location_id": ID}, ["name", "kind", "location_id"])),
                tag="care",
            ),
        },
        "/resources/{resource_id}/availability": {
            "get": operation(
                "Weekly hours (site wall time)", {**ok(200, hours), **errors(401, 403, 404)}, params=[rid], tag="care"
            ),
            "put": operation(
                "Replace weekly hours",
                {**ok(200, hours), **errors(400, 401, 403, 404, 422)},
                params=[rid],
                body=json_body(hours),
                tag="care",
            ),
        },
        "/resources/{resource_id}/time-off": {
            "post": operation(
                "Out of service (409 conflicts over booked visits unless affected: keep or cancel)",
                {**ok(201, off_out), **errors(400, 401, 403, 404, 409, 422)},
                params=[rid],
                body=json_body(TIME_OFF_IN),
                tag="care",
            ),
        },
        "/locations/{location_id}/closures": {
            "post": operation(
                "Close a site for a local day (a holiday)",
                {
                    **ok(201, obj({"id": ID, "location_id": ID, "date": DATE, "appointments": IDS})),
                    **errors(400, 401, 403, 404, 409, 422),
                },
                params=[param("location_id", ID, where="path")],
                body=json_body(obj({"date": DATE, "reason": STR}, ["date"])),
                tag="care",
            ),
        },
    }


def _pathways() -> dict:
    pid = param("pathway_id", ID, where="path")
    iid = param("itinerary_id", ID, where="path")
    option = obj(
        {"date": DATE, "location_id": ID, "steps": {"type": "array", "items": ref("Slot")}},
        ["date", "location_id", "steps"],
    )
    pathway_in = obj(
        {
            "name": STR,
            "steps": {"type": "array", "items": obj({"visit_type_id": ID, "mode": MODE}, ["visit_type_id"])},
            "min_gap_minutes": INT,
            "max_gap_minutes": INT,
            "self_bookable": {"type": "boolean"},
            "description": STR,
        },
        ["name", "steps"],
    )
    book_in = obj(
        {"pathway_id": ID, "patient_id": ID, "patient_region": STR, "steps": {"type": "array", "items": STEP_IN}},
        ["pathway_id", "steps"],
    )
    change = {**ok(200, ref("Itinerary")), **errors(400, 401, 404, 409, 422)}
    ics = {**ok(200, STR, media="text/calendar"), **errors(401, 404)}
    return {
        "/pathways": {
            "get": operation(
                "Pathways (clinic days)", ok(200, listing("pathways", "Pathway")), secured=False, tag="care"
            ),
            "post": operation(
                "Add a pathway (admin)",
                {**ok(201, ref("Pathway")), **errors(400, 401, 403, 409, 422)},
                body=json_body(pathway_in),
                tag="care",
            ),
        },
        "/pathways/{pathway_id}": {
            "get": operation(
                "One pathway", {**ok(200, ref("Pathway")), **errors(404)}, params=[pid], secured=False, tag="care"
            ),
        },
        "/pathways/{pathway_id}/options": {
            "get": operation(
                "Clinic-day options: the shortest same-day chain per date and site",
                {
                    **ok(
                        200,
                        obj({"timezone": STR, "options": {"type": "array", "items": option}}, ["timezone", "options"]),
                    ),
                    **errors(404, 422),
                },
                params=[
                    pid,
                    *RANGE,
                    param("location_id", ID),
                    param("patient_region", STR),
                    param("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
                ],
                secured=False,
                tag="care",
            ),
        },
        "/itineraries": {
            "post": operation(
                "Book a clinic day whole (409 names the step that cannot be had)",
                {**ok(201, ref("Itinerary")), **errors(400, 401, 403, 404, 409, 422)},
                params=[TZ],
                body=json_body(book_in),
                tag="care",
            ),
        },
        "/itineraries/{itinerary_id}": {
            "get": operation(
                "One clinic day", {**ok(200, ref("Itinerary")), **errors(401, 404, 422)}, params=[iid, TZ], tag="care"
            ),
        },
        "/itineraries/{itinerary_id}/reschedule": {
            "post": operation(
                "Move a clinic day whole", change, params=[iid, TZ], body=json_body(STEPS_IN), tag="care"
            ),
        },
        "/itineraries/{itinerary_id}/cancel": {
            "post": operation(
                "Cancel a clinic day whole",
                change,
                params=[iid, TZ],
                body=json_body(REASON_IN, required=False),
                tag="care",
            ),
        },
        "/itineraries/{itinerary_id}/calendar.ics": {
            "get": operation("Calendar file, one event per step", ics, params=[iid], tag="care"),
        },
    }


def _courses() -> dict:
    cid = param("course_id", ID, where="path")
    spec = [
        param("visit_type_id", ID, required=True),
        param("clinician_id", ID, required=True),
        param("location_id", ID, required=True),
        param("count", {"type": "integer", "minimum": 1, "maximum": 10}, required=True),
        param("pattern", PATTERN),
    ]
    options = obj(
        {
            "timezone": STR,
            "options": {"type": "array", "items": obj({"starts": {"type": "array", "items": INSTANT}}, ["starts"])},
        },
        ["timezone", "options"],
    )
    book_in = obj(
        {
            "visit_type_id": ID,
            "clinician_id": ID,
            "location_id": ID,
            "patient_id": ID,
            "count": INT,
            "pattern": PATTERN,
            "first_start": INSTANT,
            "resource_ids": IDS,
        },
        ["visit_type_id", "clinician_id", "location_id", "patient_id", "count", "first_start"],
    )
    change = {**ok(200, ref("Course")), **errors(400, 401, 403, 404, 409, 422)}
    return {
        "/courses/options": {
            "get": operation(
                "The earliest courses (staff)",
                {**ok(200, options), **errors(401, 403, 422)},
                params=[*spec, *RANGE, param("limit", {"type": "integer", "minimum": 1, "maximum": 100})],
                tag="care",
            ),
        },
        "/courses": {
            "post": operation(
                "Book a course whole (409 slot_unavailable with the dates that failed)",
                {**ok(201, ref("Course")), **errors(400, 401, 403, 404, 409, 422)},
                params=[TZ],
                body=json_body(book_in),
                tag="care",
            ),
        },
        "/courses/{course_id}": {
            "get": operation(
                "One course", {**ok(200, ref("Course")), **errors(401, 404, 422)}, params=[cid, TZ], tag="care"
            ),
        },
        "/courses/{course_id}/reschedule": {
            "post": operation(
                "Move the fractions still to come to a new first start",
                change,
                params=[cid, TZ],
                body=json_body(obj({"first_start": INSTANT}, ["first_start"])),
                tag="care",
            ),
        },
        "/courses/{course_id}/cancel": {
            "post": operation(
                "Cancel the fractions still to come",
                change,
                params=[cid, TZ],
                body=json_body(REASON_IN, required=False),
                tag="care",
            ),
        },
        "/courses/{course_id}/calendar.ics": {
            "get": operation(
                "Calendar file, one event per fraction",
                {**ok(200, STR, media="text/calendar"), **errors(401, 404)},
                params=[cid],
                tag="care",
            ),
        },
    }


def paths() -> dict:
    """The path items of the care routes."""
    return {**_resources(), **_pathways(), **_courses()}
