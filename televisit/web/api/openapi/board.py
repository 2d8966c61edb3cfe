"""The OpenAPI paths of the tumor board: boards, their sessions, cases and outcomes."""

from __future__ import annotations

from televisit.web.api.openapi.parts import (
    DATE,
    ID,
    INSTANT,
    TZ,
    errors,
    json_body,
    listing,
    nullable,
    obj,
    ok,
    operation,
    param,
    ref,
)

STR = {"type": "string"}
INT = {"type": "integer"}
HHMM = {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$", "example": "07:30"}
CASE_STATUS = {"type": "string", "enum": ["listed", "reviewed", "removed"]}
SCHEMAS = {
    "Board": obj(
        {
            "id": ID,
            "name": STR,
            "location_id": ID,
            "timezone": STR,
            "weekday": {"type": "integer", "minimum": 0, "maximum": 6},
            "start": HHMM,
            "duration_minutes": INT,
            "capacity": INT,
            "member_ids": {"type": "array", "items": ID},
        },
        ["id", "name", "location_id", "weekday", "start", "duration_minutes", "capacity", "member_ids"],
    ),
    "BoardCase": obj(
        {
            "id": ID,
            "board_id": ID,
            "date": DATE,
            "start": INSTANT,
            "end": INSTANT,
            "timezone": STR,
            "patient_id": ID,
            "presenter_id": ID,
            "question": STR,
            "status": CASE_STATUS,
            "imaging_ready": {"type": "boolean"},
            "recommendation": nullable(STR),
            "pathway_id": nullable(ID),
            "reviewed_at": nullable(INSTANT),
        },
        ["id", "board_id", "date", "start", "patient_id", "presenter_id", "status"],
    ),
}
BOARD_IN = obj(
    {
        "name": STR,
        "location_id": ID,
        "weekday": {"type": "integer", "minimum": 0, "maximum": 6},
        "start": HHMM,
        "duration_minutes": {"type": "integer", "minimum": 5, "maximum": 480},
        "capacity": {"type": "integer", "minimum": 1, "maximum": 40},
        "member_ids": {"type": "array", "items": ID},
    },
    ["name", "location_id", "weekday", "start", "duration_minutes", "capacity"],
)
SESSION = obj(
    {"date": DATE, "start": INSTANT, "end": INSTANT, "cases": INT, "capacity": INT},
    ["date", "start", "end", "cases", "capacity"],
)
CASE_IN = obj(
    {"patient_id": ID, "question": STR, "presenter_id": ID, "date": DATE},
    ["patient_id", "question", "presenter_id"],
)
CASE_OUT = {**ok(200, ref("BoardCase")), **errors(400, 401, 403, 404, 409, 422)}


def _boards() -> dict:
    bid = param("board_id", ID, where="path")
    return {
        "/boards": {
            "get": operation(
                "Tumor boards (staff)", {**ok(200, listing("boards", "Board")), **errors(401, 403)}, tag="board"
            ),
            "post": operation(
                "Set up a tumor board (admin); weekday and start are the site's wall time",
                {**ok(201, ref("Board")), **errors(400, 401, 403, 409, 422)},
                body=json_body(BOARD_IN),
                tag="board",
            ),
        },
        "/boards/{board_id}": {
            "get": operation(
                "One board (staff)", {**ok(200, ref("Board")), **errors(401, 403, 404)}, params=[bid], tag="board"
            ),
            "put": operation(
                "Change a board (admin); its cases keep their dates",
                {**ok(200, ref("Board")), **errors(400, 401, 403, 404, 409, 422)},
                params=[bid],
                body=json_body(BOARD_IN),
                tag="board",
            ),
        },
        "/boards/{board_id}/sessions": {
            "get": operation(
                "The board's sessions on its site's local dates from..to (staff), with the places taken",
                {
                    **ok(
                        200,
                        obj(
                            {"timezone": STR, "sessions": {"type": "array", "items": SESSION}}, ["timezone", "sessions"]
                        ),
                    ),
                    **errors(401, 403, 404, 422),
                },
                params=[bid, param("from", DATE, required=True), param("to", DATE, required=True), TZ],
                tag="board",
            ),
        },
    }


def _cases() -> dict:
    bid = param("board_id", ID, where="path")
    cid = param("board_case_id", ID, where="path")
    cases = obj({"timezone": STR, "cases": {"type": "array", "items": ref("BoardCase")}}, ["timezone", "cases"])
    return {
        "/boards/{board_id}/cases": {
            "post": operation(
                "List a case (scheduler, clinician, admin): into the session of `date`, else the earliest still "
                "to come with room; 409 board_full when the session named (or every one ahead) is full",
                {**ok(201, ref("BoardCase")), **errors(400, 401, 403, 404, 409, 422)},
                params=[bid, TZ],
                body=json_body(CASE_IN),
                tag="board",
            ),
            "get": operation(
                "One session's agenda (staff), in order; each case shown is recorded in the audit trail",
                {**ok(200, cases), **errors(401, 403, 404, 422)},
                params=[bid, param("date", DATE, required=True), TZ],
                tag="board",
            ),
        },
        "/board-cases/{board_case_id}": {
            "get": operation(
                "One case (staff)",
                {**ok(200, ref("BoardCase")), **errors(401, 403, 404, 422)},
                params=[cid, TZ],
                tag="board",
            ),
        },
        "/board-cases/{board_case_id}/move": {
            "post": operation(
                "Move a listed case to another session still to come (409 board_full; 409 once reviewed or removed)",
                CASE_OUT,
                params=[cid, TZ],
                body=json_body(obj({"date": DATE}, ["date"])),
                tag="board",
            ),
        },
        "/board-cases/{board_case_id}/remove": {
            "post": operation(
                "Take a listed case off the board (its place is free again)",
                {**ok(200, ref("BoardCase")), **errors(401, 403, 404, 409, 422)},
                params=[cid, TZ],
                tag="board",
            ),
        },
        "/board-cases/{board_case_id}/readiness": {
            "post": operation(
                "Tick or untick 'imaging ready' (uploaded or reviewed)",
                CASE_OUT,
                params=[cid, TZ],
                body=json_body(obj({"imaging_ready": {"type": "boolean"}}, ["imaging_ready"])),
                tag="board",
            ),
        },
        "/board-cases/{board_case_id}/outcome": {
            "post": operation(
                "Record the board's recommendation (a member clinician or an admin), once; a pathway_id tells the "
                "patient, without clinical words, that their team has a plan and how to book it",
                CASE_OUT,
                params=[cid, TZ],
                body=json_body(obj({"recommendation": STR, "pathway_id": ID}, ["recommendation"])),
                tag="board",
            ),
        },
    }


def paths() -> dict:
    """The path items of the tumor board's routes."""
    return {**_boards(), **_cases()}
