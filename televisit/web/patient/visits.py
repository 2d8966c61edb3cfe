"""My appointments: the list, one appointment (also for staff), .ics, reschedule, cancel, ask for an earlier slot."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.care import refusal_text
from televisit.domain.errors import DomainError
from televisit.domain.timezones import parse_instant
from televisit.extensions import db
from televisit.services.booking import appointments as booking
from televisit.services.messaging import waitlist
from televisit.services.messaging.invites import appointment_ics
from televisit.services.patients import my_visits
from televisit.web.auth import current_actor
from televisit.web.patient.account import patient_actor, signed_in

bp = Blueprint("visits", __name__)


def _back(appointment_id: int, message: str):
    flash(message)
    return redirect(url_for("visits.appointment", appointment_id=appointment_id))


@bp.get("/appointments")
@signed_in
def appointments():
    upcoming, past = my_visits.my_visits(db.session, patient_actor(), now=clock.now())
    return render_template("patient/appointments.html", upcoming=upcoming, past=past)


@bp.get("/appointments/<int:appointment_id>")
@signed_in
def appointment(appointment_id: int):
    page = my_visits.visit_page(db.session, appointment_id, current_actor(), now=clock.now())
    return render_template("patient/appointment.html", page=page, visit=page.visit, appt=page.visit.appt)


@bp.get("/appointments/<int:appointment_id>/calendar.ics")
@signed_in
def calendar(appointment_id: int):
    appt = booking.get_visible(db.session, appointment_id, current_actor())
    cfg = current_app.config
    body = appointment_ics(db.session, appt, public_url=cfg["PUBLIC_URL"], mail_from=cfg["MAIL_FROM"])
    disposition = f'attachment; filename="appointment-{appt.id}.ics"'
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": disposition})


def _reschedule_page(appointment_id: int, refusal: str | None = None):
    visit, days = my_visits.alternatives(db.session, appointment_id, patient_actor(), now=clock.now())
    earlier = my_visits.can_ask_earlier(db.session, visit.appt, clock.now())
    html = render_template(
        "patient/reschedule.html", visit=visit, appt=visit.appt, days=days, refusal=refusal, earlier=earlier
    )
    return html, (409 if refusal else 200)


@bp.get("/appointments/<int:appointment_id>/reschedule")
@signed_in
def reschedule_form(appointment_id: int):
    actor = patient_actor()
    refused = _attempt(lambda: _standalone(appointment_id, actor))
    if refused:
        return _back(appointment_id, refused)
    return _reschedule_page(appointment_id)


def _standalone(appointment_id: int, actor) -> None:
    """A step of a clinic day or a visit of a course is not changed on its own (Conflict, in words)."""
    my_visits.check_standalone(db.session, appointment_id, actor)


def _attempt(change) -> str | None:
    """Run `change`; a refusal becomes the sentence to show (nothing is written). Not found stays a 404."""
    try:
        change()
    except DomainError as exc:
        db.session.rollback()
        if exc.code == "not_found":
            raise
        return refusal_text(exc)
    return None


@bp.post("/appointments/<int:appointment_id>/reschedule")
@signed_in
def reschedule(appointment_id: int):
    actor = patient_actor()
    try:
        move = booking.MoveRequest(start=parse_instant(request.form.get("start", "")))
    except ValueError:
        return _reschedule_page(appointment_id, "Please choose one of the times shown.")
    refused = _attempt(lambda: _standalone(appointment_id, actor)) or _attempt(
        lambda: booking.reschedule(db.session, appointment_id, move, actor=actor, now=clock.now())
    )
    if refused:
        return _reschedule_page(appointment_id, refused)
    return _back(appointment_id, "Your appointment has moved. We've sent you the new details.")


@bp.get("/appointments/<int:appointment_id>/cancel")
@signed_in
def cancel_form(appointment_id: int):
    page = my_visits.visit_page(db.session, appointment_id, patient_actor(), now=clock.now())
    return render_template("patient/cancel.html", page=page, visit=page.visit, appt=page.visit.appt, errors={})


@bp.post("/appointments/<int:appointment_id>/cancel")
@signed_in
def cancel(appointment_id: int):
    actor = patient_actor()
    reason = (request.form.get("reason") or "").strip()[:500] or None
    refused = _attempt(lambda: _standalone(appointment_id, actor)) or _attempt(
        lambda: booking.cancel(db.session, appointment_id, actor=actor, now=clock.now(), reason=reason)
    )
    return _back(appointment_id, refused or "Your appointment is cancelled. We've sent you a confirmation.")


@bp.post("/appointments/<int:appointment_id>/earlier")
@signed_in
def earlier(appointment_id: int):
    actor = patient_actor()
    refused = _attempt(lambda: _standalone(appointment_id, actor)) or _attempt(
        lambda: waitlist.join(db.session, appointment_id, actor=actor, now=clock.now())
    )
    return _back(appointment_id, refused or "You're on the list. If an earlier time frees up, we'll send it to you.")


@bp.post("/appointments/<int:appointment_id>/earlier/stop")
@signed_in
def stop_earlier(appointment_id: int):
    waitlist.leave(db.session, appointment_id, actor=patient_actor())
    return _back(appointment_id, "You're no longer waiting for an earlier time.")
