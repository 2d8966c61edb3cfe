"""Rooms and machines, their hours and time out of service; site closures."""

from flask import jsonify, request

from televisit import clock
from televisit.domain.errors import Invalid
from televisit.domain.roles import ADMIN, CLINICIAN, SCHEDULER
from televisit.extensions import db
from televisit.services.pathways import resources
from televisit.web.api.blueprint import bp
from televisit.web.api.catalog import kind
from televisit.web.api.parse import Fields, bounded, day, hhmm, ident, instant, json_body, list_of, text
from televisit.web.api.serialize import resource_hours_json, resource_json, resource_time_off_json
from televisit.web.auth import roles_required


@bp.post("/resources")
@roles_required(ADMIN)
def create_resource():
    f = Fields(json_body())
    data = {
        "name": f.get("name", text(120), required=True),
        "kind": f.get("kind", kind, required=True),
        "location_id": f.get("location_id", ident, required=True),
    }
    f.done()
    return jsonify(resource_json(resources.create_resource(db.session, **data))), 201


@bp.get("/resources")
@roles_required(ADMIN, SCHEDULER, CLINICIAN)
def list_resources():
    f = Fields(request.args, query=True)
    location_id, kind_ = f.get("location_id", ident), f.get("kind", kind)
    f.done()
    found = resources.list_resources(db.session, location_id=location_id, kind=kind_)
    return jsonify({"resources": [resource_json(r) for r in found]})


@bp.get("/resources/<int:resource_id>/availability")
@roles_required(ADMIN, SCHEDULER, CLINICIAN)
def get_resource_hours(resource_id: int):
    res = resources.get_resource(db.session, resource_id)
    return jsonify({"rules": [resource_hours_json(r) for r in res.rules]})


@bp.put("/resources/<int:resource_id>/availability")
@roles_required(ADMIN, SCHEDULER)
def put_resource_hours(resource_id: int):
    f = Fields(json_body())
    raw = f.get("rules", list_of(lambda r: r, max_len=100, unique=False), required=True)
    f.done()
    res = resources.set_hours(db.session, resource_id, [parse_hours(i, r) for i, r in enumerate(raw)])
    return jsonify({"rules": [resource_hours_json(r) for r in res.rules]})


def parse_hours(i: int, raw) -> resources.HoursInput:
    """One weekly window of PUT /resources/<id>/availability (shared with the admin's hours form)."""
    if not isinstance(raw, dict):
        raise Invalid({f"rules[{i}]": "expected an object"})
    f = Fields(raw)
    hours = resources.HoursInput(
        weekday=f.get("weekday", bounded(0, 6), required=True),
        start_minute=f.get("start", hhmm, required=True),
        end_minute=f.get("end", hhmm, required=True),
    )
    if not f.errors and hours.start_minute >= hours.end_minute:
        f.errors["end"] = "must be after start (use 24:00 for midnight)"
    if f.errors:
        raise Invalid({f"rules[{i}].{k}": v for k, v in f.errors.items()})
    return hours


@bp.post("/resources/<int:resource_id>/time-off")
@roles_required(ADMIN, SCHEDULER)
def post_resource_time_off(resource_id: int):
    body = json_body()
    f = Fields(body)
    reason = f.get("reason", text(200))
    affected = f.get("affected", _affected)
    if "date" in body:
        date_ = f.get("date", day, required=True)
        f.done()
        start, end = resources.day_span(db.session, resource_id, date_)
    else:
        start, end = f.get("start", instant, required=True), f.get("end", instant, required=True)
        f.done()
    off, ids = resources.take_out_of_service(
        db.session, resource_id, start, end, now=clock.now(), reason=reason, affected=affected
    )
    return jsonify(resource_time_off_json(off) | {"affected": ids}), 201


def _affected(raw) -> str:
    if raw not in ("keep", "cancel"):
        raise ValueError("one of keep, cancel")
    return raw


@bp.post("/locations/<int:location_id>/closures")
@roles_required(ADMIN, SCHEDULER)
def post_closure(location_id: int):
    f = Fields(json_body())
    date_, reason = f.get("date", day, required=True), f.get("reason", text(200))
    f.done()
    closure = resources.add_closure(db.session, location_id, date_, reason)
    booked = [a.id for a in resources.booked_on(db.session, location_id, date_)]
    body = {"id": closure.id, "location_id": location_id, "date": date_.isoformat(), "reason": reason}
    return jsonify(body | {"appointments": booked}), 201
