"""Waiting-room pages: the patient's (pre-visit check, place in line, video visit) and the clinician's clinic.

The pages only render and pass settings to their scripts through `data-*` attributes; everything live goes
over the Socket.IO namespace `/waiting-room` (docs/waiting-room.md), which re-checks every event.
"""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.regions import CHOICES, default_choice
from televisit.domain.triage import CHECK_IN_SYMPTOMS
from televisit.extensions import db
from televisit.services.messaging import links
from televisit.services.patients import urgent_line
from televisit.services.urgent import cases as urgent_cases
from televisit.services.waiting_room import access as waiting_access
from televisit.web.auth import current_actor

bp = Blueprint("waiting", __name__)


def _private(html: str):
    """No caching of a personal page; no join token leaking through the Referer header."""
    resp = make_response(html)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Permissions-Policy"] = "camera=(self), microphone=(self)"
    return resp


def _join_claims(token: str | None) -> links.LinkClaims | None:
    if not token:
        return None
    return links.read(current_app.config["SECRET_KEY"], "join", token, now=clock.now())


@bp.get("/waiting-room/<int:appointment_id>")
def patient_room(appointment_id: int):
    token = request.args.get("join") or None
    room = waiting_access.patient_room(
        db.session,
        appointment_id,
        actor=None if token else current_actor(),  # a join link speaks for itself, whoever is signed in
        claims=_join_claims(token),
        now=clock.now(),
    )
    appt = room.appointment
    html = render_template(
        "patient/waiting_room.html",
        room=room,
        appt=appt,
        join=token or "",
        regions=CHOICES,
        region=default_choice(appt.patient_region, appt.patient.region),
        check_in_symptoms=CHECK_IN_SYMPTOMS,
    )
    return _private(html)


@bp.get("/waiting-room/<int:appointment_id>/urgent")
def patient_urgent(appointment_id: int):
    """Where a patient who said at check-in that they have new red-flag symptoms is sent: the emergency number
    and the clinic's urgent line for where they said they are; the room itself while no such case is open."""
    token = request.args.get("join") or None
    actor, claims = (None, _join_claims(token)) if token else (current_actor(), None)
    appt = waiting_access.patient_visit(db.session, appointment_id, actor=actor, claims=claims)
    if urgent_cases.open_for_visit(db.session, appt.id) is None:
        return redirect(url_for("waiting.patient_room", appointment_id=appt.id, join=token))
    cfg = current_app.config
    advice = urgent_line.advice_for(appt.patient, cfg["URGENT_PHONES"], cfg["URGENT_PHONE"], where=appt.check_in_region)
    return _private(render_template("patient/urgent.html", flags=[], advice=advice, at_check_in=True))


@bp.get("/clinic")
def clinic():
    clinician = waiting_access.clinic_for(db.session, current_actor())
    return _private(render_template("clinician/clinic.html", clinician=clinician))
