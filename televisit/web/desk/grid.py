"""The desk's time grid (docs/desk-pages.md): the JSON the calendar component on /schedule reads, and a move made
on it (checked and worded first, then saved once the scheduler confirms). Session-cookie pages for the desk only;
every answer is JSON, a refusal too, in words."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import jsonify, request, url_for

from televisit import clock
from televisit.domain.errors import DomainError, Invalid, Malformed
from televisit.domain.timezones import BadInstant, NaiveDatetime, get_zone, parse_instant, to_local
from televisit.extensions import db
from televisit.services.booking import appointments as booking
from televisit.services.desk import grid, moves
from televisit.services.desk.calendar import MODE_TEXT
from televisit.web import audit as audit_trail
from televisit.web.api.catalog import SPECIALTIES
from televisit.web.api.parse import Fields, boolean, day, ident, one_of, zone_name
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, bp
from televisit.web.staff import desk_roles, problem, viewer_locale

SITE, NONE = "site", "none"  # each site's own clock; no free time
DATES = {
    "start": "the first day as a date such as 2027-03-08",
    "end": "the day after the last as a date such as 2027-03-09",
}


def _zone(raw):
    return None if raw in (None, "", SITE) else zone_name(raw)


def free_choice(raw):
    """'' or absent: the view's first that fits; 'none': no free time; else a visit type's id."""
    return NONE if raw == NONE else ident(raw)


def grid_query(args) -> grid.GridQuery:
    """The grid's filters (the page's own names) and the dates `start`..`end` (end exclusive, as the calendar
    component asks); Invalid in words when one is wrong."""
    f = Fields(args, query=True)
    start, end = f.get("start", day, required=True), f.get("end", day, required=True)
    q = dict(
        zone=f.get("tz", _zone),
        by=f.get("by", one_of(*grid.BY), default=grid.BY_CLINICIAN),
        location_id=f.get("location_id", ident),
        specialty=f.get("specialty", one_of(*SPECIALTIES)),
        clinician_id=f.get("clinician_id", ident),
        show_cancelled=f.get("cancelled", boolean, default=False),
    )
    free = f.get("visit_type_id", free_choice)
    for name in set(DATES) & set(f.errors):
        f.errors[name] = f"Please give {DATES[name]}."
    f.done()
    if not (start < end <= start + timedelta(days=grid.MAX_DAYS)):
        raise Invalid({"end": f"Ask for one to {grid.MAX_DAYS} days at a time: the end comes after the start."})
    last, chosen = end - timedelta(days=1), None if free == NONE else free
    return grid.GridQuery(start, last, locale=viewer_locale(), **q, visit_type_id=chosen, show_free=free != NONE)


def refusal(exc: DomainError, status: int | None = None):
    """A refusal as JSON, in words: the message a scheduler reads, each field's message a sentence."""
    trouble = problem(exc)
    message = " ".join(trouble.fields.values()) if isinstance(exc, Invalid) else trouble.message
    body = {"code": exc.code, "message": message, "fields": trouble.fields} | exc.details()
    for part_of in ("itinerary", "course"):
        if f"{part_of}_id" in body:
            body["whole_url"] = _whole_url(part_of, body[f"{part_of}_id"])
    return jsonify({"error": body}), status or trouble.status


def _whole_url(part_of: str, whole_id: int) -> str:
    if part_of == "itinerary":
        return url_for("scheduler.itinerary", itinerary_id=whole_id)
    return url_for("scheduler.course", course_id=whole_id)


def _resource(c: grid.Column) -> dict:
    return {"id": c.id, "title": c.title, "extendedProps": {"detail": c.detail}}


def _visit(v: grid.GridVisit) -> dict:
    classes = ["visit", f"mode-{v.mode}", f"status-{v.status}"] + (["is-part"] if v.part_of else [])
    props = {
        "kind": "visit",
        "patient": v.patient,
        "visit_type": v.visit_type,
        "clinician": v.clinician,
        "location": v.location,
        "mode": MODE_TEXT.get(v.mode, v.mode),
        "status": v.status_text,
        "time": v.time_text,
        "when": v.when_text,
        "patient_time": v.patient_time,
        "patient_clock": v.patient_clock,
        "movable": v.movable,
        "url": url_for("scheduler.appointment", appointment_id=v.id),
        "check_url": url_for("scheduler.move_check", appointment_id=v.id),
        "move_url": url_for("scheduler.move", appointment_id=v.id),
    }
    if v.part_of:
        props |= {"part_of": grid.PART_OF[v.part_of], "whole_url": _whole_url(v.part_of, v.whole_id)}
    return {
        "id": f"a{v.id}",
        "resourceIds": list(v.columns),
        "start": v.start,
        "end": v.end,
        "title": f"{v.patient} · {v.visit_type}",
        "classNames": classes,
        "editable": v.movable,
        "startEditable": v.movable,
        "durationEditable": False,
        "extendedProps": props,
    }


def _free(t: grid.FreeTime, visit_type: str) -> dict:
    day_ = t.at[:10]
    book = url_for(
        "scheduler.find_patient",
        visit_type_id=t.visit_type_id,
        clinician_id=t.clinician_id,
        location_id=t.location_id,
        at=t.at,
        **({"mode": t.modes[0]} if len(t.modes) == 1 else {}),
    )
    label = f"Free {t.time_text}: book {visit_type} ({' or '.join(MODE_TEXT[m] for m in t.modes)})"
    return {
        "id": f"f{t.column}-{t.start}",
        "resourceIds": [t.column],
        "start": t.start,
        "end": t.end,
        "display": "background",
        "classNames": ["free"],
        "extendedProps": {"kind": "free", "book_url": book, "label": label, "day": day_},
    }


@bp.get("/calendar.json")
@desk_roles(*DESK)
def calendar_data():
    try:
        q = grid_query(request.args)
    except DomainError as exc:
        return refusal(exc, 400)
    shown = grid.columns(db.session, q)
    now, actor = clock.now(), current_actor()
    vt = grid.free_time_type(db.session, q, shown)
    free = grid.free_time(db.session, q, shown, vt.id if vt else None, now=now)
    return jsonify(
        {
            "zone": q.zone,
            "by": q.by,
            "resources": [_resource(c) for c in shown],
            "events": [_visit(v) for v in grid.visits(db.session, q, shown, actor=actor, now=now)]
            + [_free(t, vt.name) for t in free],
            "free_for": {"id": vt.id, "name": vt.name, "minutes": vt.duration_minutes} if vt else None,
        }
    )


def _body() -> dict:
    """The move's fields: a JSON object, or a form (the CSRF token travels in the header or the form)."""
    if request.method == "GET":
        return request.args.to_dict()
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise Malformed("Send the move as a JSON object.")
        return data
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def _wall_or_instant(raw) -> datetime:
    """A wall time as the grid reads it ('2027-03-08T10:30', no offset), or an instant with its offset."""
    try:
        return parse_instant(raw)
    except NaiveDatetime:
        try:
            return datetime.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError("expected a date and time such as 2027-03-08T10:30") from exc
    except BadInstant as exc:
        raise ValueError("expected a date and time such as 2027-03-08T10:30") from exc


def _move(appointment_id: int) -> tuple[booking.MoveRequest, str | None, bool]:
    """The move asked for, the zone its wall time is read in (None: the visit's site's) and the confirmation."""
    f = Fields(_body(), query=request.method == "GET" or not request.is_json)
    start = f.get("start", _wall_or_instant, required=True)
    zone = f.get("tz", _zone)
    clinician_id = f.get("clinician_id", ident)
    confirmed = f.get("confirmed", _yes, default=False)
    f.done()
    if start.tzinfo is None:
        appt = booking.get_visible(db.session, appointment_id, current_actor())
        start = grid.wall_instant(start, zone or appt.location.timezone)
    return booking.MoveRequest(start=start, clinician_id=clinician_id), zone, confirmed


def _yes(raw) -> bool:
    """A confirmation: JSON true, or a form's 1 / on / yes / true."""
    if raw is True or raw == 1 or (isinstance(raw, str) and raw.lower() in ("1", "on", "yes", "true")):
        return True
    return boolean(raw)


def _plan_json(p: moves.MovePlan) -> dict:
    return {
        "patient": p.patient,
        "from": p.was,
        "to": p.becomes,
        "patient_to": p.patient_becomes,
        "from_with": p.was_with,
        "to_with": p.becomes_with,
        "location": p.location,
        "mode": p.mode,
        "notice": p.notice,
    }


@bp.get("/appointments/<int:appointment_id>/move")
@desk_roles(*DESK)
def move_check(appointment_id: int):
    """What the move would be, in words, for the scheduler to confirm; nothing is saved."""
    try:
        move, zone, _ = _move(appointment_id)
        p = moves.plan(
            db.session,
            appointment_id,
            move,
            zone_name=zone,
            actor=current_actor(),
            now=clock.now(),
            locale=viewer_locale(),
        )
    except DomainError as exc:
        return refusal(exc)
    return jsonify({"confirm": _plan_json(p), "saved": False})


@bp.post("/appointments/<int:appointment_id>/move")
@desk_roles(*DESK)
def move(appointment_id: int):
    """The confirmed move: saved through `booking.reschedule` (the patient's message planned with it)."""
    try:
        req, zone, confirmed = _move(appointment_id)
        if not confirmed:
            raise Invalid({"confirmed": "Confirm the move first: nothing was saved."})
        appt = booking.reschedule(
            db.session,
            appointment_id,
            req,
            actor=current_actor(),
            now=clock.now(),
            before_commit=audit_trail.staged(200),
        )
    except DomainError as exc:
        return refusal(exc)
    shown = to_local(appt.start_at, get_zone(zone or appt.location.timezone))
    message = f"Moved. {appt.patient.name} will get a message with the new time."
    return jsonify({"saved": True, "message": message, "id": appt.id, "start": shown.isoformat(timespec="seconds")})
