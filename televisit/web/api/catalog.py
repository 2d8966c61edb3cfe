"""Locations, visit types, clinicians, availability and time off."""

import re

from flask import jsonify, request

from televisit import clock
from televisit.domain.availability import MODES
from televisit.domain.errors import Invalid
from televisit.domain.roles import ADMIN, SCHEDULER
from televisit.extensions import db
from televisit.services import catalog
from televisit.web import audit as audit_trail
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import (
    Fields,
    bounded,
    day,
    email,
    hhmm,
    ident,
    instant,
    json_body,
    list_of,
    one_of,
    phone,
    region,
    text,
    zone_name,
)
from televisit.web.api.serialize import clinician_json, location_json, rule_json, time_off_json, visit_type_json
from televisit.web.auth import roles_required

SPECIALTIES = (
    "neurosurgery",
    "orthopaedic_spine_surgery",
    "radiation_oncology",
    "medical_oncology",
    "neurology",
    "neuroradiology",
    "pathology",
)


@bp.get("/locations")
def list_locations():
    return jsonify({"locations": [location_json(loc) for loc in catalog.list_locations(db.session)]})


@bp.post("/locations")
@roles_required(ADMIN)
def create_location():
    return jsonify(location_json(catalog.create_location(db.session, location_data(json_body())))), 201


def location_data(body) -> dict:
    """A validated location (shared with the admin pages); Invalid names every bad field."""
    f = Fields(body)
    data = {
        "name": f.get("name", text(120), required=True),
        "city": f.get("city", text(120), required=True),
        "region": f.get("region", region, required=True),
        "country": f.get("country", _country, required=True),
        "timezone": f.get("timezone", zone_name, required=True),
    }
    f.done()
    return data


def _country(raw):
    if not isinstance(raw, str) or len(raw) != 2 or not raw.isalpha() or not raw.isupper():
        raise ValueError("expected an ISO 3166-1 alpha-2 code such as US or GB")
    return raw


@bp.get("/visit-types")
def list_visit_types():
    return jsonify({"visit_types": [visit_type_json(vt) for vt in catalog.list_visit_types(db.session)]})


@bp.post("/visit-types")
@roles_required(ADMIN)
def create_visit_type():
    return jsonify(visit_type_json(catalog.create_visit_type(db.session, visit_type_data(json_body())))), 201


def visit_type_data(body) -> dict:
    """A validated visit type (shared with the admin pages)."""
    f = Fields(body)
    data = {
        "name": f.get("name", text(120), required=True),
        "duration_minutes": f.get("duration_minutes", bounded(5, 480), required=True),
        "modes": f.get("modes", list_of(one_of(*MODES), min_len=1, max_len=2), required=True),
        "buffer_before_minutes": f.get("buffer_before_minutes", bounded(0, 240), default=0),
        "buffer_after_minutes": f.get("buffer_after_minutes", bounded(0, 240), default=0),
        "min_notice_minutes": f.get("min_notice_minutes", bounded(0, 60 * 24 * 60), default=0),
        "max_advance_days": f.get("max_advance_days", bounded(1, 730), default=180),
        "resource_kinds": f.get("resource_kinds", list_of(kind, max_len=5, unique=False)),
        "team_specialties": f.get("team_specialties", list_of(one_of(*SPECIALTIES), max_len=5)),
    }
    f.done()
    # not given: a new visit type needs neither; an edit (the admin form) keeps what it had
    return {k: v for k, v in data.items() if v is not None or k not in ("resource_kinds", "team_specialties")}


def kind(raw) -> str:
    """A resource kind: a short lower-case word such as `mri`, `linac`, `exam_room`."""
    if not isinstance(raw, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", raw):
        raise ValueError("expected a short lower-case kind such as mri, linac or exam_room")
    return raw


@bp.get("/clinicians")
def list_clinicians():
    f = Fields(request.args, query=True)
    specialty, location_id = f.get("specialty", text(64)), f.get("location_id", ident)
    f.done()
    found = catalog.list_clinicians(db.session, specialty=specialty, location_id=location_id)
    return jsonify({"clinicians": [clinician_json(c) for c in found]})


@bp.get("/clinicians/<int:clinician_id>")
def get_clinician(clinician_id: int):
    return jsonify(clinician_json(catalog.get_clinician(db.session, clinician_id)))


@bp.post("/clinicians")
@roles_required(ADMIN)
def create_clinician():
    return jsonify(clinician_json(catalog.create_clinician(db.session, clinician_data(json_body())))), 201


def clinician_data(body) -> dict:
    """A validated clinician (shared with the admin pages)."""
    f = Fields(body)
    data = {
        "name": f.get("name", text(120), required=True),
        "specialty": f.get("specialty", one_of(*SPECIALTIES), required=True),
        "licenses": f.get("licenses", list_of(region, max_len=60), required=True),
        "visit_type_ids": f.get("visit_type_ids", list_of(ident), required=True),
        "email": f.get("email", email),
        "phone": f.get("phone", phone),
    }
    f.done()
    return data


@bp.get("/clinicians/<int:clinician_id>/availability")
def get_availability(clinician_id: int):
    return jsonify({"rules": [rule_json(r) for r in catalog.get_clinician(db.session, clinician_id).rules]})


@bp.put("/clinicians/<int:clinician_id>/availability")
@roles_required(ADMIN, SCHEDULER)
def put_availability(clinician_id: int):
    f = Fields(json_body())
    raw = f.get("rules", list_of(lambda r: r, max_len=200, unique=False), required=True)
    f.done()
    rules = [parse_rule(i, r) for i, r in enumerate(raw)]
    clinician = catalog.set_availability(db.session, clinician_id, rules)
    return jsonify({"rules": [rule_json(r) for r in clinician.rules]})


def parse_rule(i: int, raw) -> catalog.RuleInput:
    """One weekly rule of PUT /availability (shared with the scheduler's availability form)."""
    if not isinstance(raw, dict):
        raise Invalid({f"rules[{i}]": "expected an object"})
    f = Fields(raw)
    rule = catalog.RuleInput(
        location_id=f.get("location_id", ident, required=True),
        weekday=f.get("weekday", bounded(0, 6), required=True),
        start_minute=f.get("start", hhmm, required=True),
        end_minute=f.get("end", hhmm, required=True),
        modes=tuple(f.get("modes", list_of(one_of(*MODES), min_len=1, max_len=2), required=True) or ()),
    )
    if not f.errors and rule.start_minute >= rule.end_minute:
        f.errors["end"] = "must be after start (use 24:00 for midnight)"
    if f.errors:
        raise Invalid({f"rules[{i}].{k}": v for k, v in f.errors.items()})
    return rule


@bp.post("/clinicians/<int:clinician_id>/time-off")
@roles_required(ADMIN, SCHEDULER)
def post_time_off(clinician_id: int):
    body = json_body()
    f = Fields(body)
    reason = f.get("reason", text(200, lines=True))
    over = catalog.OverVisits(_affected(body, f), now=clock.now(), on_cancel=audit_trail.cancelled_each())
    if "date" in body:
        location_id, date_ = f.get("location_id", ident, required=True), f.get("date", day, required=True)
        f.done()
        added = catalog.add_day_off(db.session, clinician_id, location_id, date_, reason, over=over)
    else:
        start, end = f.get("start", instant, required=True), f.get("end", instant, required=True)
        location_id = f.get("location_id", ident)
        f.done()
        added = catalog.add_time_off(
            db.session, clinician_id, start, end, location_id=location_id, reason=reason, over=over
        )
    return jsonify(time_off_json(added.off) | {"affected": added.affected}), 201


def _affected(body: dict, f: Fields) -> str | None:
    """`affected`: what becomes of visits inside the time off ("keep" or "cancel"); absent or null: ask (409)."""
    if body.get("affected") is None:
        return None
    return f.get("affected", one_of(*catalog.CHOICES), required=True)
