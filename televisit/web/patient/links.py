"""Pages behind the signed links in messages: view, confirm, reschedule, cancel, join, offer.

A link works for one purpose, one appointment and the appointment's sequence when it was sent: once
the visit moves or is cancelled, its old links stop working.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain import appointments as st
from televisit.domain.errors import Conflict, DomainError, Forbidden
from televisit.domain.formatting import locale_for, own_first
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone, local_date, parse_instant
from televisit.extensions import db
from televisit.models import Appointment, Clinician, VisitType
from televisit.services.booking import appointments as booking
from televisit.services.booking.search import SlotQuery, search
from televisit.services.messaging import links, waitlist, whole
from televisit.services.messaging.invites import appointment_ics, itinerary_ics
from televisit.services.messaging.messages import appointment_links, settings_from
from televisit.services.pathways import itineraries
from televisit.services.patients import find_care, phones
from televisit.services.waiting_room import access as waiting_access

bp = Blueprint("links", __name__, url_prefix="/l")


def _claims(purpose: str, token: str) -> links.LinkClaims:
    return links.read(current_app.config["SECRET_KEY"], purpose, token, now=clock.now())


def _appointment(claims: links.LinkClaims) -> Appointment:
    appt = db.session.get(Appointment, claims.appointment_id)
    if appt is None or appt.sequence != claims.sequence:
        raise Forbidden("This link is for an earlier version of your appointment; please use the newest message.")
    return appt


def _actor(appt: Appointment) -> Actor:
    return Actor(0, "patient", appt.patient_id)


def _when(appt: Appointment, instant=None) -> str:
    p, site = appt.patient, appt.location
    locale = p.locale or locale_for(p.region, p.timezone)
    return own_first(instant or appt.start_at, get_zone(p.timezone), get_zone(site.timezone), site.city, locale)


def _again(appt: Appointment) -> dict:
    """What a cancelled visit's page offers: find care for the same visit (sign-in first), and the number."""
    if appt.status != st.CANCELLED:
        return {}
    cfg, params = current_app.config, find_care.again_params(db.session, appt)
    return {
        "again_url": url_for("care.search", **params) if params else None,
        "call": phones.clinic_line(appt.patient, appt.location, cfg["URGENT_PHONES"], cfg["URGENT_PHONE"]),
    }


def _page(template: str, appt: Appointment, **extra):
    s = settings_from(current_app.config)
    told = "cancelled" if appt.status == st.CANCELLED else "view"  # a cancelled day lists what was cancelled
    extra = _again(appt) | extra
    return render_template(
        f"links/{template}.html",
        appt=appt,
        when=_when(appt),
        links=appointment_links(s, appt),
        clinician=db.session.get(Clinician, appt.clinician_id),
        visit_type=db.session.get(VisitType, appt.visit_type_id),
        day=whole.day_context(db.session, appt, told),
        course=whole.course_context(db.session, appt, told),
        **extra,
    )


def _not_alone(appt: Appointment) -> None:
    """One step of a clinic day, or one visit of a course, is not moved on its own from a link."""
    if appt.itinerary_id:
        raise Conflict("This visit is part of your clinic day, which moves as a whole: please call the clinic.")
    if appt.course_id:
        raise Conflict("This visit is part of your treatment course. Please call the clinic to change it.")


@bp.get("/view/<token>")
def view(token: str):
    return _page("view", _appointment(_claims("view", token)))


@bp.get("/view/<token>/calendar.ics")
def view_ics(token: str):
    appt = _appointment(_claims("view", token))
    cfg = current_app.config
    if appt.itinerary_id or appt.course_id:  # one calendar file for the whole day or course
        told = whole.appointments_of(db.session, appt, "cancelled" if appt.status == st.CANCELLED else "view")
        body = itinerary_ics(db.session, told, public_url=cfg["PUBLIC_URL"], mail_from=cfg["MAIL_FROM"])
    else:
        body = appointment_ics(db.session, appt, public_url=cfg["PUBLIC_URL"], mail_from=cfg["MAIL_FROM"])
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="appointment-{appt.id}.ics"'},
    )


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    appt = _appointment(_claims("confirm", token))
    if request.method == "POST" and appt.status == st.BOOKED:
        appt.confirmed_at = appt.confirmed_at or clock.now()
        db.session.commit()
    return _page("confirm", appt, done=appt.confirmed_at is not None)


@bp.route("/cancel/<token>", methods=["GET", "POST"])
def cancel(token: str):
    appt = _appointment(_claims("cancel", token))
    if request.method == "POST":
        reason = (request.form.get("reason") or "").strip()[:500] or None
        if appt.itinerary_id:  # the link of a clinic day's message cancels the whole day
            itineraries.cancel(db.session, appt.itinerary_id, actor=_actor(appt), now=clock.now(), reason=reason)
            db.session.refresh(appt)
            return _page("cancelled", appt)
        if appt.course_id:
            _not_alone(appt)
        appt = booking.cancel(db.session, appt.id, actor=_actor(appt), now=clock.now(), reason=reason)
        return _page("cancelled", appt)
    return _page("cancel", appt)


def _alternatives(appt: Appointment):
    zone = get_zone(appt.location.timezone)
    today = local_date(clock.now(), zone)
    q = SlotQuery(
        appt.visit_type_id,
        today,
        today + timedelta(days=28),
        zone,
        location_id=appt.location_id,
        clinician_id=appt.clinician_id,
        mode=appt.mode,
        limit=40,
    )
    # Its own time is not "another time"; excluding the visit still lets a neighbouring start overlap it.
    slots = search(db.session, q, now=clock.now(), exclude_appointment_id=appt.id)
    return [(s, _when(appt, s.start)) for s in slots if s.start != appt.start_at]


@bp.route("/reschedule/<token>", methods=["GET", "POST"])
def reschedule(token: str):
    appt = _appointment(_claims("reschedule", token))
    error = None
    if appt.itinerary_id or appt.course_id:  # a day or a course moves whole, with the care team
        if request.method == "POST":
            _not_alone(appt)
        return _page("reschedule", appt, slots=[], error=None)
    if request.method == "POST":
        try:
            move = booking.MoveRequest(start=parse_instant(request.form.get("start", "")))
            appt = booking.reschedule(db.session, appt.id, move, actor=_actor(appt), now=clock.now())
            return redirect(
                appointment_links(settings_from(current_app.config), appt)["view"].split(
                    current_app.config["PUBLIC_URL"], 1
                )[-1]
            )
        except (DomainError, ValueError) as exc:
            db.session.rollback()
            error = getattr(exc, "message", "Please choose one of the times shown.")
    slots = _alternatives(appt) if appt.status == st.BOOKED else []
    return _page("reschedule", appt, slots=slots, error=error), (409 if error else 200)


@bp.get("/join/<token>")
def join(token: str):
    appt = _appointment(_claims("join", token))
    if waiting_access.is_open(appt, clock.now()):
        return redirect(url_for("waiting.patient_room", appointment_id=appt.id, join=token))
    closed = appt.status not in waiting_access.OPEN_STATUSES
    return _page("join", appt, opens=_when(appt, waiting_access.opens_at(appt)), closed=closed)


@bp.route("/offer/<token>", methods=["GET", "POST"])
def offer(token: str):
    claims = _claims("offer", token)
    appt = db.session.get(Appointment, claims.appointment_id)
    if appt is None or claims.offer_id is None:
        raise Forbidden("This link is not valid.")
    from televisit.models import FreedSlot, SlotOffer

    slot_offer = db.session.get(SlotOffer, claims.offer_id)
    freed = db.session.get(FreedSlot, slot_offer.freed_slot_id) if slot_offer else None
    if freed is None:
        raise Forbidden("This link is not valid.")
    message, status = None, 200
    if request.method == "POST":
        try:
            appt = waitlist.accept(db.session, slot_offer.id, patient_id=appt.patient_id, now=clock.now())
            message = "Done: your appointment has moved to the earlier time."
        except DomainError as exc:
            db.session.rollback()
            message, status = exc.message, 409
    return _page("offer", appt, offer=slot_offer, offered_when=_when(appt, freed.start_at), message=message), status
