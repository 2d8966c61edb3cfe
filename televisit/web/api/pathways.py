"""Pathways and clinic days: the options for a day, and itineraries booked, moved and cancelled whole."""

from flask import Response, current_app, jsonify, request

from televisit import clock
from televisit.domain.availability import MODES
from televisit.domain.errors import Invalid
from televisit.domain.roles import ADMIN, PATIENT, SCHEDULER
from televisit.domain.timezones import get_zone
from televisit.extensions import db
from televisit.services.messaging.invites import itinerary_ics
from televisit.services.pathways import catalog as pathways
from televisit.services.pathways import itineraries
from televisit.services.pathways.options import OptionsQuery, day_options
from televisit.web import audit as audit_trail
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import (
    Fields,
    boolean,
    bounded,
    cancel_reason,
    day,
    ident,
    instant,
    json_body,
    list_of,
    one_of,
    region,
    text,
    tz_query,
    zone_name,
)
from televisit.web.api.serialize import itinerary_json, pathway_json, slot_json
from televisit.web.api.slots import view_zone
from televisit.web.auth import current_actor, roles_required

MAX_OPTION_DAYS = 92


@bp.post("/pathways")
@roles_required(ADMIN)
def create_pathway():
    f = Fields(json_body())
    raw = f.get("steps", list_of(lambda s: s, min_len=1, max_len=8, unique=False), required=True)
    data = {
        "name": f.get("name", text(120), required=True),
        "min_gap_minutes": f.get("min_gap_minutes", bounded(0, 480), default=0),
        "max_gap_minutes": f.get("max_gap_minutes", bounded(0, 720), default=120),
        "self_bookable": f.get("self_bookable", boolean, default=False),
        "description": f.get("description", text(500)),
    }
    f.done()
    steps = [_step(i, s) for i, s in enumerate(raw)]
    return jsonify(pathway_json(pathways.create_pathway(db.session, steps=steps, **data))), 201


def _step(i: int, raw) -> pathways.StepInput:
    if not isinstance(raw, dict):
        raise Invalid({f"steps[{i}]": "expected an object"})
    f = Fields(raw)
    step = pathways.StepInput(f.get("visit_type_id", ident, required=True), f.get("mode", one_of(*MODES)))
    if f.errors:
        raise Invalid({f"steps[{i}].{k}": v for k, v in f.errors.items()})
    return step


@bp.get("/pathways")
def list_pathways():
    return jsonify({"pathways": [pathway_json(p) for p in pathways.list_pathways(db.session)]})


@bp.get("/pathways/<int:pathway_id>")
def get_pathway(pathway_id: int):
    return jsonify(pathway_json(pathways.get_pathway(db.session, pathway_id)))


@bp.get("/pathways/<int:pathway_id>/options")
def pathway_options(pathway_id: int):
    f = Fields(request.args, query=True)
    first, last = f.get("from", day, required=True), f.get("to", day, required=True)
    tz, location_id = f.get("tz", zone_name), f.get("location_id", ident)
    patient_region, limit = f.get("patient_region", region), f.get("limit", bounded(1, 100), default=20)
    if first and last and not 0 <= (last - first).days <= MAX_OPTION_DAYS:
        f.errors["to"] = f"must be on or after 'from' and at most {MAX_OPTION_DAYS} days later"
    f.done()
    pathway = pathways.get_pathway(db.session, pathway_id)
    zone = get_zone(view_zone(tz, location_id))
    q = OptionsQuery(first, last, zone, location_id, patient_region, limit)
    found = day_options(db.session, pathway, q, now=clock.now())
    options = [
        {"date": o.date.isoformat(), "location_id": o.location_id, "steps": [slot_json(s, zone) for s in o.steps]}
        for o in found
    ]
    return jsonify({"timezone": zone.key, "options": options})


def _step_requests(f: Fields) -> list[itineraries.StepRequest]:
    raw = f.get("steps", list_of(lambda s: s, min_len=1, max_len=8, unique=False), required=True)
    f.done()
    return [_step_request(i, s) for i, s in enumerate(raw)]


def _step_request(i: int, raw) -> itineraries.StepRequest:
    if not isinstance(raw, dict):
        raise Invalid({f"steps[{i}]": "expected an object"})
    f = Fields(raw)
    ids = list_of(ident, max_len=6, unique=False)
    step = itineraries.StepRequest(
        start=f.get("start", instant, required=True),
        clinician_id=f.get("clinician_id", ident, required=True),
        location_id=f.get("location_id", ident, required=True),
        mode=f.get("mode", one_of(*MODES), required=True),
        clinician_ids=_tuple(f.get("clinician_ids", ids)),
        resource_ids=_tuple(f.get("resource_ids", ids)),
    )
    if f.errors:
        raise Invalid({f"steps[{i}].{k}": v for k, v in f.errors.items()})
    return step


def _tuple(found):
    return None if found is None else tuple(found)


def _itinerary_json(it, zone):
    return itinerary_json(it, itineraries.steps_of(db.session, it.id), zone)


@bp.post("/itineraries")
@roles_required(PATIENT, SCHEDULER, ADMIN)
def create_itinerary():
    zone = tz_query()
    f = Fields(json_body())
    pathway_id = f.get("pathway_id", ident, required=True)
    patient_id, patient_region = f.get("patient_id", ident), f.get("patient_region", region)
    steps = _step_requests(f)
    it = itineraries.book(
        db.session,
        pathway_id,
        steps,
        actor=current_actor(),
        now=clock.now(),
        patient_id=patient_id,
        patient_region=patient_region,
        before_commit=audit_trail.staged(201),
        max_upcoming=current_app.config["PATIENT_MAX_UPCOMING"],
    )
    return jsonify(_itinerary_json(it, zone)), 201


@bp.get("/itineraries/<int:itinerary_id>")
@roles_required()
def get_itinerary(itinerary_id: int):
    zone = tz_query()
    return jsonify(_itinerary_json(itineraries.get_visible(db.session, itinerary_id, current_actor()), zone))


@bp.post("/itineraries/<int:itinerary_id>/reschedule")
@roles_required()
def reschedule_itinerary(itinerary_id: int):
    zone = tz_query()
    steps = _step_requests(Fields(json_body()))
    it = itineraries.reschedule(db.session, itinerary_id, steps, actor=current_actor(), now=clock.now())
    return jsonify(_itinerary_json(it, zone))


@bp.post("/itineraries/<int:itinerary_id>/cancel")
@roles_required()
def cancel_itinerary(itinerary_id: int):
    zone = tz_query()
    reason = cancel_reason()
    it = itineraries.cancel(db.session, itinerary_id, actor=current_actor(), now=clock.now(), reason=reason)
    return jsonify(_itinerary_json(it, zone))


@bp.get("/itineraries/<int:itinerary_id>/calendar.ics")
@roles_required()
def itinerary_calendar(itinerary_id: int):
    it = itineraries.get_visible(db.session, itinerary_id, current_actor())
    cfg = current_app.config
    steps = itineraries.steps_of(db.session, it.id)
    body = itinerary_ics(db.session, steps, public_url=cfg["PUBLIC_URL"], mail_from=cfg["MAIL_FROM"])
    disposition = f'attachment; filename="televisit-day-{it.id}.ics"'
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": disposition})
