"""Appointments: book, list, read, reschedule, cancel, calendar file."""

from flask import Response, current_app, jsonify, request

from televisit import clock
from televisit.domain import appointments as st
from televisit.domain.roles import ADMIN, PATIENT, SCHEDULER
from televisit.domain.timezones import date_range_bounds, get_zone
from televisit.extensions import db
from televisit.services.booking import appointments as booking
from televisit.services.messaging.invites import appointment_ics
from televisit.web import audit as audit_trail
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import Fields, cancel_reason, day, ident, json_body, one_of, text, tz_query, zone_name
from televisit.web.api.requests import move_request, slot_request
from televisit.web.api.serialize import appointment_json
from televisit.web.api.slots import view_zone
from televisit.web.auth import current_actor, roles_required


@bp.post("/appointments")
@roles_required(PATIENT, SCHEDULER, ADMIN)
def create_appointment():
    zone = tz_query()  # before anything is written: a bad `tz` must not leave a booking behind
    f = Fields(json_body())
    req = booking.BookingRequest(slot_request(f), f.get("patient_id", ident), f.get("reason", text(2000, lines=True)))
    f.done()
    appt = booking.book(
        db.session,
        req,
        actor=current_actor(),
        now=clock.now(),
        before_commit=audit_trail.staged(201),
        max_upcoming=current_app.config["PATIENT_MAX_UPCOMING"],
    )
    return jsonify(appointment_json(appt, zone)), 201


@bp.get("/appointments")
@roles_required()
def list_appointments():
    f = Fields(request.args, query=True)
    first, last = f.get("from", day), f.get("to", day)
    tz, location_id = f.get("tz", zone_name), f.get("location_id", ident)
    flt = dict(
        clinician_id=f.get("clinician_id", ident),
        location_id=location_id,
        patient_id=f.get("patient_id", ident),
        status=f.get("status", one_of(*st.STATUSES)),
    )
    if first and last and last < first:
        f.errors["to"] = "must be on or after 'from'"
    f.done()
    zone = get_zone(view_zone(tz, location_id))
    lo = date_range_bounds(first, first, zone)[0] if first else None
    hi = date_range_bounds(last, last, zone)[1] if last else None
    found = booking.list_visible(db.session, booking.AppointmentFilter(lo, hi, **flt), actor=current_actor())
    shown = get_zone(tz) if tz else None
    return jsonify({"appointments": [appointment_json(a, shown) for a in found]})


@bp.get("/appointments/<int:appointment_id>")
@roles_required()
def get_appointment(appointment_id: int):
    zone = tz_query()
    appt = booking.get_visible(db.session, appointment_id, current_actor())
    return jsonify(appointment_json(appt, zone))


@bp.post("/appointments/<int:appointment_id>/reschedule")
@roles_required()
def reschedule_appointment(appointment_id: int):
    zone = tz_query()
    f = Fields(json_body())
    move = move_request(f)
    f.done()
    appt = booking.reschedule(db.session, appointment_id, move, actor=current_actor(), now=clock.now())
    return jsonify(appointment_json(appt, zone))


@bp.post("/appointments/<int:appointment_id>/cancel")
@roles_required()
def cancel_appointment(appointment_id: int):
    zone = tz_query()
    reason = cancel_reason()
    appt = booking.cancel(db.session, appointment_id, actor=current_actor(), now=clock.now(), reason=reason)
    return jsonify(appointment_json(appt, zone))


@bp.get("/appointments/<int:appointment_id>/calendar.ics")
@roles_required()
def appointment_calendar(appointment_id: int):
    appt = booking.get_visible(db.session, appointment_id, current_actor())
    cfg = current_app.config
    body = appointment_ics(db.session, appt, public_url=cfg["PUBLIC_URL"], mail_from=cfg["MAIL_FROM"])
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="televisit-{appt.id}.ics"'},
    )
