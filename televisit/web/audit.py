"""The audit trail's hooks: one after_request for routes, one call per socket event (docs/security.md).

Which routes touch patient data is declared here by endpoint, so the views stay as they are;
tests/integration/test_audit_trail.py fails when a route is in neither ROUTES nor NOT_PATIENT_DATA.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, current_app, request

from televisit import clock
from televisit.domain.errors import DomainError
from televisit.extensions import db
from televisit.services import audit
from televisit.services.audit import Access, Context
from televisit.services.messaging import links
from televisit.web.auth import current_actor
from televisit.web.security import request_id

log = logging.getLogger(__name__)

# endpoint -> (action, object type, view argument holding the object's id, or None)
ROUTES: dict[str, tuple[str, str, str | None]] = {
    # JSON API
    "api.create_appointment": ("appointment.create", "appointment", None),
    "api.list_appointments": ("appointment.list", "appointment", None),
    "api.get_appointment": ("appointment.read", "appointment", "appointment_id"),
    "api.appointment_calendar": ("appointment.ics", "appointment", "appointment_id"),
    "api.cancel_appointment": ("appointment.cancel", "appointment", "appointment_id"),
    "api.reschedule_appointment": ("appointment.reschedule", "appointment", "appointment_id"),
    "api.join_waitlist": ("appointment.waitlist_join", "appointment", "appointment_id"),
    "api.leave_waitlist": ("appointment.waitlist_leave", "appointment", "appointment_id"),
    "api.create_patient": ("patient.create", "patient", None),
    "api.get_patient": ("patient.read", "patient", "patient_id"),
    "api.list_patients": ("patient.search", "patient", None),
    "api.audit_events": ("audit.read", "audit", None),
    "api.post_time_off": ("clinician.time_off", "clinician", "clinician_id"),  # may cancel visits (each recorded)
    "api.create_itinerary": ("itinerary.create", "itinerary", None),
    "api.get_itinerary": ("itinerary.read", "itinerary", "itinerary_id"),
    "api.reschedule_itinerary": ("itinerary.reschedule", "itinerary", "itinerary_id"),
    "api.cancel_itinerary": ("itinerary.cancel", "itinerary", "itinerary_id"),
    "api.itinerary_calendar": ("itinerary.ics", "itinerary", "itinerary_id"),
    "api.create_course": ("course.create", "course", None),
    "api.get_course": ("course.read", "course", "course_id"),
    "api.reschedule_course": ("course.reschedule", "course", "course_id"),
    "api.cancel_course": ("course.cancel", "course", "course_id"),
    "api.course_calendar": ("course.ics", "course", "course_id"),
    # a change of hours may cancel patients' visits (each cancellation is in the outbox too)
    "api.post_resource_time_off": ("resource.time_off", "resource", "resource_id"),
    "api.post_closure": ("location.closure", "location", "location_id"),
    # the tumor board: every view and change of a case (a list also records each case it shows)
    "api.add_board_case": ("board_case.create", "board_case", None),
    "api.board_cases": ("board_case.list", "board", "board_id"),
    "api.get_board_case": ("board_case.read", "board_case", "board_case_id"),
    "api.move_board_case": ("board_case.move", "board_case", "board_case_id"),
    "api.remove_board_case": ("board_case.remove", "board_case", "board_case_id"),
    "api.board_case_readiness": ("board_case.readiness", "board_case", "board_case_id"),
    "api.board_case_outcome": ("board_case.outcome", "board_case", "board_case_id"),
    # the board's pages: each case an agenda or the queue shows is recorded too
    "board.agenda": ("board_case.list", "board", "board_id"),
    "board.add_case": ("board_case.create", "board_case", None),
    "board.readiness": ("board_case.readiness", "board_case", "board_case_id"),
    "board.move": ("board_case.move", "board_case", "board_case_id"),
    "board.remove": ("board_case.remove", "board_case", "board_case_id"),
    "board.outcome": ("board_case.outcome", "board_case", "board_case_id"),
    "board.to_book": ("board_case.list", "board_case", None),
    # patient pages
    "visits.appointments": ("appointment.list", "appointment", None),
    "visits.appointment": ("appointment.read", "appointment", "appointment_id"),
    "visits.calendar": ("appointment.ics", "appointment", "appointment_id"),
    "visits.cancel_form": ("appointment.read", "appointment", "appointment_id"),
    "visits.cancel": ("appointment.cancel", "appointment", "appointment_id"),
    "visits.earlier": ("appointment.waitlist_join", "appointment", "appointment_id"),
    "visits.stop_earlier": ("appointment.waitlist_leave", "appointment", "appointment_id"),
    "visits.reschedule_form": ("appointment.read", "appointment", "appointment_id"),
    "visits.reschedule": ("appointment.reschedule", "appointment", "appointment_id"),
    "care.book": ("appointment.create", "appointment", None),
    "care.confirm": ("appointment.read", "appointment", None),
    "care.intake_form": ("intake.read", "intake", None),
    "care.intake_submit": ("intake.create", "intake", None),
    "care.urgent": ("intake.read", "intake", None),
    "care.search": ("patient.read", "patient", None),
    "days.times": ("patient.read", "patient", None),
    "days.confirm": ("patient.read", "patient", None),
    "days.book": ("itinerary.create", "itinerary", None),
    "days.itinerary": ("itinerary.read", "itinerary", "itinerary_id"),
    "days.calendar": ("itinerary.ics", "itinerary", "itinerary_id"),
    "days.cancel_form": ("itinerary.read", "itinerary", "itinerary_id"),
    "days.cancel": ("itinerary.cancel", "itinerary", "itinerary_id"),
    "patient.profile": ("patient.profile", "patient", None),
    "patient.signup": ("patient.signup", "patient", None),
    "account.confirm": ("user.confirm", "user", None),  # emailed links: when, from where, and the outcome
    "account.reset": ("user.password_reset", "user", None),
    "waiting.patient_room": ("appointment.waiting_room", "appointment", "appointment_id"),
    "waiting.patient_urgent": ("intake.read", "appointment", "appointment_id"),  # the urgent page of a check-in
    # desk pages
    "scheduler.calendar": ("appointment.list", "appointment", None),
    "scheduler.calendar_data": ("appointment.list", "appointment", None),  # the time grid's JSON
    "scheduler.move_check": ("appointment.read", "appointment", "appointment_id"),  # the move's confirmation
    "scheduler.move": ("appointment.reschedule", "appointment", "appointment_id"),
    "scheduler.appointment": ("appointment.read", "appointment", "appointment_id"),
    "scheduler.cancel": ("appointment.cancel", "appointment", "appointment_id"),
    "scheduler.reschedule": ("appointment.reschedule", "appointment", "appointment_id"),
    "scheduler.find_patient": ("patient.search", "patient", None),
    "scheduler.patients": ("patient.search", "patient", None),
    "scheduler.patient_record": ("patient.record", "patient", "patient_id"),  # the staff page of one patient
    "scheduler.book": ("patient.read", "patient", "patient_id"),
    "scheduler.book_slot": ("appointment.create", "patient", "patient_id"),
    "scheduler.register_patient": ("patient.create", "patient", None),
    "scheduler.urgent": ("intake.list", "urgent_case", None),
    "scheduler.resolve_urgent": ("intake.resolve", "urgent_case", "case_id"),
    "scheduler.waitlist_page": ("appointment.list", "appointment", None),
    "scheduler.leave_waitlist": ("appointment.waitlist_leave", "appointment", "appointment_id"),
    "scheduler.add_time_off": ("clinician.time_off", "clinician", "clinician_id"),  # lists and may cancel visits
    "scheduler.day_options": ("patient.read", "patient", "patient_id"),
    "scheduler.confirm_day": ("patient.read", "patient", "patient_id"),
    "scheduler.book_day": ("itinerary.create", "patient", "patient_id"),
    "scheduler.itinerary": ("itinerary.read", "itinerary", "itinerary_id"),
    "scheduler.reschedule_day": ("itinerary.reschedule", "itinerary", "itinerary_id"),
    "scheduler.cancel_day_form": ("itinerary.read", "itinerary", "itinerary_id"),
    "scheduler.cancel_day": ("itinerary.cancel", "itinerary", "itinerary_id"),
    "scheduler.course_options": ("patient.read", "patient", "patient_id"),
    "scheduler.book_course": ("course.create", "patient", "patient_id"),
    "scheduler.course": ("course.read", "course", "course_id"),
    "scheduler.reschedule_course": ("course.reschedule", "course", "course_id"),
    "scheduler.cancel_course_form": ("course.read", "course", "course_id"),
    "scheduler.cancel_course": ("course.cancel", "course", "course_id"),
    "clinician.today": ("appointment.list", "appointment", None),
    "clinician.week": ("appointment.list", "appointment", None),
    "clinician.visit": ("intake.read", "appointment", "appointment_id"),  # the reason and intake answers
    "clinician.confirm_no_show": ("appointment.read", "appointment", "appointment_id"),
    "clinician.no_show": ("waiting_room.no_show", "appointment", "appointment_id"),
    "clinician.confirm_end_visit": ("appointment.read", "appointment", "appointment_id"),
    "clinician.end_visit": ("waiting_room.end", "appointment", "appointment_id"),
    "waiting.clinic": ("appointment.list", "appointment", None),
    "admin.users_list": ("user.list", "user", None),
    "admin.create_user": ("user.create", "user", None),
    "admin.edit_user": ("user.read", "user", "user_id"),
    "admin.save_user": ("user.update", "user", "user_id"),
    "admin.audit_page": ("audit.read", "audit", None),
    # taking a machine out of service may cancel visits; the closures page lists the visits booked on each
    "admin.resource_out_of_service": ("resource.time_off", "resource", "resource_id"),
    "admin.closures": ("appointment.list", "appointment", None),
    "admin.add_closure": ("location.closure", "location", None),
    # signed links (the token names the appointment) and the clinician's calendar feed
    "links.view": ("appointment.read", "appointment", None),
    "links.view_ics": ("appointment.ics", "appointment", None),
    "links.confirm": ("appointment.confirm", "appointment", None),
    "links.cancel": ("appointment.cancel", "appointment", None),
    "links.reschedule": ("appointment.reschedule", "appointment", None),
    "links.join": ("appointment.waiting_room", "appointment", None),
    "links.offer": ("appointment.offer", "appointment", None),
    "calendar_feed.feed": ("appointment.feed", "calendar_feed", None),
    # the FHIR facade's appointments (a `$find` may name the patient it searches for)
    "fhir.read_appointment": ("appointment.read", "appointment", "appointment_id"),
    "fhir.read_patient": ("patient.read", "patient", "patient_id"),  # a FHIR id: recorded when it is a number
    "fhir.search_patients": ("patient.search", "patient", None),
    "fhir.search_appointments": ("appointment.list", "appointment", None),
    "fhir.find_appointments": ("appointment.find", "appointment", None),
    "fhir.hold_appointment": ("appointment.hold", "appointment", None),
    "fhir.book_appointment": ("appointment.create", "appointment", None),  # a cancellation stages its own
}

# Routes that read or change no patient data (catalog, sign-in, static files, webhooks, dev-only pages).
NOT_PATIENT_DATA = frozenset(
    {
        "static", "vendor.asset", "pages.index", "pages.login", "pages.logout", "pages.healthz", "pages.favicon",
        "ops.readyz", "ops.metrics",
        "account.check_email", "account.forgot",
        "api.create_token", "api.revoke_token", "api.openapi_document", "api.list_slots",
        "api.list_locations", "api.create_location", "api.list_visit_types", "api.create_visit_type",
        "api.list_clinicians", "api.create_clinician", "api.get_clinician", "api.get_availability",
        "api.put_availability", "api.create_feed", "api.revoke_feeds",
        "api.create_resource", "api.list_resources", "api.get_resource_hours", "api.put_resource_hours",
        "api.create_pathway", "api.list_pathways", "api.get_pathway", "api.pathway_options", "api.course_options",
        # boards and their sessions: when and where they meet, who sits on them, how many places are taken
        "api.create_board", "api.list_boards", "api.get_board", "api.update_board", "api.board_sessions",
        "admin.index", "admin.clinicians", "admin.save_clinician", "admin.edit_clinician", "admin.new_clinician",
        "admin.locations", "admin.save_location", "admin.edit_location", "admin.new_location",
        "admin.visit_types", "admin.save_visit_type", "admin.edit_visit_type", "admin.new_visit_type",
        "admin.resources_list", "admin.create_resource", "admin.resource", "admin.save_resource_hours",
        "admin.pathways_list", "admin.new_pathway", "admin.create_pathway",
        "admin.boards_list", "admin.new_board", "admin.create_board", "admin.edit_board", "admin.save_board",
        # FHIR API clients (registering and revoking one stage their own events) and their token endpoint
        "admin.fhir_clients", "admin.register_fhir_client", "admin.revoke_fhir_client",
        "fhir.token", "fhir.smart_configuration",
        # the FHIR directory, free slots and SMART Scheduling Links' files: the catalog, no patient
        "fhir.capability_statement", "fhir.manifest", "fhir.location_file", "fhir.schedule_file", "fhir.slot_file",
        "fhir.read_location", "fhir.search_locations", "fhir.read_practitioner", "fhir.search_practitioners",
        "fhir.read_practitioner_role", "fhir.search_practitioner_roles", "fhir.read_healthcare_service",
        "fhir.search_healthcare_services", "fhir.read_schedule", "fhir.search_schedules",
        "fhir.read_slot", "fhir.search_slots",
        "board.index",  # each board's sessions ahead and how many places are taken: no patient
        "scheduler.clinicians", "scheduler.availability", "scheduler.save_availability",
        "scheduler.delete_time_off",
        "clinician.calendar_link", "clinician.create_calendar_link", "clinician.revoke_calendar_links",
        "days.choose",  # the pathways a patient may book themself (catalog)
        "plan.call_us",  # the board's message's call-us page: the care team's number only
        # Twilio's callbacks carry phone numbers and replies; the messages themselves are audited as outbox rows.
        "webhooks.inbound_sms", "webhooks.delivery_status",
        # development only (not registered in production): the dev outbox shows message bodies.
        "dev_outbox.index", "dev_outbox.invitation",
    }
)  # fmt: skip

SOCKET_EVENTS = {
    "precheck": "waiting_room.precheck",
    "check_in": "waiting_room.check_in",
    "message": "waiting_room.message",
    "join_clinic": "waiting_room.list",
    "admit": "waiting_room.admit",
    "no_show": "waiting_room.no_show",
    "send_message": "waiting_room.message",
    "end_visit": "waiting_room.end",
    "join_visit": "waiting_room.join_visit",
}
_STAGED = "televisit.audit_staged"  # set once the request's event is in its change's transaction
_ACK_STATUS = {"unauthorized": 401, "forbidden": 403, "not_found": 404, "invalid": 422, "internal": 500}


def _channel(path: str) -> str:
    for prefix, name in (("/api/", "api"), ("/l/", "link"), ("/calendar/", "feed"), ("/fhir/", "fhir")):
        if path.startswith(prefix):
            return name
    return "page"


def request_context() -> Context:
    """The actor and origin of the current HTTP request."""
    channel = _channel(request.path)
    try:
        actor = current_actor()
    except DomainError:  # a bad bearer token: recorded as anonymous
        actor = None
    role = actor.role if actor else {"link": "link", "feed": "feed"}.get(channel, "anonymous")
    return Context(
        user_id=actor.user_id if actor else None,
        role=role,
        channel=channel,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        request_id=request_id(),
    )


def _link_appointment(endpoint: str) -> int | None:
    purpose = endpoint.split(".", 1)[1].removesuffix("_ics")
    token = (request.view_args or {}).get("token", "")
    try:
        claims = links.read(current_app.config["SECRET_KEY"], purpose, token, now=clock.now())
    except DomainError:  # refused (403) or naming nothing (404): the refusal is recorded without an object
        return None
    return claims.appointment_id


def _object(endpoint: str, arg: str | None, resp) -> tuple[int | None, int | None]:
    """The object's id, and its patient when the response already names it (saves a look-up)."""
    if arg:
        value = (request.view_args or {}).get(arg)
        if isinstance(value, str):  # a FHIR id read as text (e.g. /fhir/Patient/<id>): a row id only when it is one
            value = int(value) if value.isdigit() and len(value) <= 9 else None
        return value, None
    if endpoint.startswith("links."):
        return _link_appointment(endpoint), None
    return None, None


def staged(outcome: int, action: str | None = None):
    """A `before_commit` hook for a service: it writes this request's event inside the change's own
    transaction (one commit, not two), for the object the change made; `after_request` then adds nothing.
    `action`: what was done, when the route does more than one thing (else the route's).

    Should the change roll back, so does the event, and `after_request` records the refusal as usual.
    """

    def stage(obj) -> None:
        named, object_type, _ = ROUTES[request.endpoint]
        access = Access(action or named, object_type, obj.id, outcome, patient_id=obj.patient_id)
        audit.stage(db.session, request_context(), access, now=clock.now())
        request.environ[_STAGED] = True

    return stage


def viewed_each(objects, action: str, object_type: str) -> None:
    """One event per object a list shows (each names its patient), staged with the request's own event: a list
    of several patients' records is in each of their trails."""
    ctx, now = request_context(), clock.now()
    for obj in objects:
        access = Access(action, object_type, obj.id, 200, patient_id=obj.patient_id)
        audit.stage(db.session, ctx, access, now=now)


def cancelled_each():
    """A per-visit hook for a change that cancels several visits (time off over them): each cancellation is
    recorded inside the change's transaction; `after_request` still records the request's own event."""

    def stage(appt) -> None:
        access = Access("appointment.cancel", "appointment", appt.id, 200, patient_id=appt.patient_id)
        audit.stage(db.session, request_context(), access, now=clock.now())

    return stage


def after_request(resp):
    """Record the access when the endpoint touches patient data; a read that cannot be recorded is refused."""
    entry = ROUTES.get(request.endpoint or "")
    if entry is None or (request.environ.get(_STAGED) and resp.status_code < 400):
        return resp
    action, object_type, arg = entry
    try:
        ctx = request_context()
        actor = current_actor() if ctx.role not in ("link", "feed", "anonymous") else None
        object_id, patient_id = _object(request.endpoint, arg, resp)
        own = actor.patient_id if actor and object_id is None else patient_id
        access = Access(action, object_type, object_id, resp.status_code, patient_id=own)
        audit.record(db.session, ctx, access, now=clock.now())
    except Exception:  # noqa: BLE001 - decided below: a read fails closed, a finished change stands
        log.exception("audit event not recorded: %s", action)
        db.session.rollback()
        if request.method == "GET" and resp.status_code != 503:  # a 503 already says "retry"; keep its Retry-After
            body = {"code": "unavailable", "message": "The service is briefly unavailable; please retry.", "fields": {}}
            refused = current_app.response_class(json.dumps({"error": body}), 503, mimetype="application/json")
            refused.headers["Retry-After"] = "2"
            return refused
    return resp


def socket_event(event: str, data: object, caller, ack: object) -> None:
    """Record one waiting-room event (called by the namespace after the handler answered)."""
    action = SOCKET_EVENTS.get(event)
    if action is None:
        return
    raw = data.get("appointment_id") if isinstance(data, dict) else None
    appointment_id = raw if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 2**31 else None
    code = ack.get("error", {}).get("code") if isinstance(ack, dict) and not ack.get("ok", False) else None
    actor = caller.actor if caller else None
    ctx = Context(
        user_id=caller.user_id if caller else None,
        role=(actor.role if caller.user_id else "link") if caller else "anonymous",
        channel="socket",
        ip=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
        request_id=getattr(request, "sid", None),
    )
    status = _ACK_STATUS.get(code, 409) if code else 200
    try:
        audit.record(db.session, ctx, Access(action, "appointment", appointment_id, status), now=clock.now())
    except Exception:  # noqa: BLE001 - the event has been handled; losing its record is logged loudly
        log.exception("audit event not recorded: %s", action)
        db.session.rollback()
    finally:
        db.session.remove()


def register(app: Flask) -> None:
    """Install the route hook."""
    app.after_request(after_request)
