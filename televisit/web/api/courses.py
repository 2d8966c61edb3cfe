"""Treatment courses (radiosurgery fractions): the earliest courses, and courses booked, moved and
cancelled whole."""

from flask import Response, current_app, jsonify, request

from televisit import clock
from televisit.domain.pathways import MAX_FRACTIONS, PATTERNS
from televisit.domain.roles import ADMIN, CLINICIAN, SCHEDULER
from televisit.domain.timezones import get_zone
from televisit.extensions import db
from televisit.services.messaging.invites import itinerary_ics
from televisit.services.pathways import courses
from televisit.web import audit as audit_trail
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import (
    Fields,
    bounded,
    cancel_reason,
    day,
    ident,
    instant,
    json_body,
    list_of,
    one_of,
    tz_query,
    zone_name,
)
from televisit.web.api.serialize import course_json, render
from televisit.web.api.slots import view_zone
from televisit.web.auth import current_actor, roles_required

MAX_RANGE_DAYS = 120


def _spec(f: Fields) -> courses.CourseSpec:
    return courses.CourseSpec(
        visit_type_id=f.get("visit_type_id", ident, required=True),
        clinician_id=f.get("clinician_id", ident, required=True),
        location_id=f.get("location_id", ident, required=True),
        count=f.get("count", bounded(1, MAX_FRACTIONS), required=True),
        pattern=f.get("pattern", one_of(*PATTERNS), default="weekdays"),
    )


@bp.get("/courses/options")
@roles_required(ADMIN, SCHEDULER, CLINICIAN)
def course_options():
    f = Fields(request.args, query=True)
    spec = _spec(f)
    first, last = f.get("from", day, required=True), f.get("to", day, required=True)
    tz, limit = f.get("tz", zone_name), f.get("limit", bounded(1, 100), default=10)
    if first and last and not 0 <= (last - first).days <= MAX_RANGE_DAYS:
        f.errors["to"] = f"must be on or after 'from' and at most {MAX_RANGE_DAYS} days later"
    f.done()
    zone = get_zone(view_zone(tz, spec.location_id))
    found = courses.options(db.session, spec, first, last, zone, now=clock.now(), limit=limit)
    return jsonify({"timezone": zone.key, "options": [{"starts": [render(s.start, zone) for s in c]} for c in found]})


def _course_json(course, zone):
    return course_json(course, courses.fractions_of(db.session, course.id), zone)


@bp.post("/courses")
@roles_required(ADMIN, SCHEDULER)
def create_course():
    zone = tz_query()
    f = Fields(json_body())
    spec = _spec(f)
    patient_id, first_start = f.get("patient_id", ident, required=True), f.get("first_start", instant, required=True)
    resource_ids = f.get("resource_ids", list_of(ident, max_len=6, unique=False))
    f.done()
    req = courses.CourseRequest(spec, patient_id, first_start, None if resource_ids is None else tuple(resource_ids))
    course = courses.book(
        db.session, req, actor=current_actor(), now=clock.now(), before_commit=audit_trail.staged(201)
    )
    return jsonify(_course_json(course, zone)), 201


@bp.get("/courses/<int:course_id>")
@roles_required()
def get_course(course_id: int):
    zone = tz_query()
    return jsonify(_course_json(courses.get_visible(db.session, course_id, current_actor()), zone))


@bp.post("/courses/<int:course_id>/reschedule")
@roles_required(ADMIN, SCHEDULER)
def reschedule_course(course_id: int):
    zone = tz_query()
    f = Fields(json_body())
    first_start = f.get("first_start", instant, required=True)
    f.done()
    course = courses.reschedule(db.session, course_id, first_start, actor=current_actor(), now=clock.now())
    return jsonify(_course_json(course, zone))


@bp.post("/courses/<int:course_id>/cancel")
@roles_required(ADMIN, SCHEDULER, CLINICIAN)
def cancel_course(course_id: int):
    zone = tz_query()
    reason = cancel_reason()
    course = courses.cancel(db.session, course_id, actor=current_actor(), now=clock.now(), reason=reason)
    return jsonify(_course_json(course, zone))


@bp.get("/courses/<int:course_id>/calendar.ics")
@roles_required()
def course_calendar(course_id: int):
    course = courses.get_visible(db.session, course_id, current_actor())
    cfg = current_app.config
    body = itinerary_ics(
        db.session,
        courses.fractions_of(db.session, course.id),
        public_url=cfg["PUBLIC_URL"],
        mail_from=cfg["MAIL_FROM"],
    )
    disposition = f'attachment; filename="televisit-course-{course.id}.ics"'
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": disposition})
