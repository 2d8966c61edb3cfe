"""Clinic days for patients: choose a day the program lets patients book themselves (a second-opinion day),
confirm and book it whole; then see it as one itinerary, add it to a calendar, or cancel the whole day."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.care import IntakeRequired, UrgentOpen, parse_step, refusal_text
from televisit.domain.errors import DomainError, NotFound
from televisit.extensions import db
from televisit.models import Pathway, Patient
from televisit.services.messaging.invites import itinerary_ics
from televisit.services.pathways import itineraries
from televisit.services.patients import cards, clinic_days, find_care
from televisit.web import audit as audit_trail
from televisit.web.patient.account import me, patient_actor, signed_in

bp = Blueprint("days", __name__)
GONE = "Sorry, that day is no longer free as it was. Here are the days that are free now."


def _id(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and 0 < int(text) < 2**31 else None


def _gate(exc: DomainError, pathway_id: int | None):
    """Red flags go to the urgent page; a first visit answers the intake first, then comes back here."""
    if isinstance(exc, UrgentOpen):
        return redirect(url_for("care.urgent"))
    return redirect(url_for("care.intake_form", need="second-opinion", mode="in_person", day=pathway_id or ""))


@bp.get("/find-care/days")
@signed_in
def choose():
    me()
    found = [(p, clinic_days.pathway_steps(db.session, p)) for p in clinic_days.self_bookable(db.session)]
    return render_template("patient/days.html", pathways=found)


def _times_page(patient: Patient, pathway: Pathway, site: int | None, refusal: str | None = None, status: int = 200):
    try:
        choices = clinic_days.day_choices(db.session, patient, pathway, location_id=site, now=clock.now())
    except (UrgentOpen, IntakeRequired) as exc:
        return _gate(exc, pathway.id)
    sites = [(str(s.id), f"{s.name}, {s.city}") for s in find_care.options(db.session).sites]
    html = render_template(
        "patient/day_times.html",
        patient=patient,
        pathway=pathway,
        steps=clinic_days.pathway_steps(db.session, pathway),
        choices=choices,
        site=str(site or ""),
        sites=sites,
        refusal=refusal,
    )
    return html, status


def _pathway_or_back(pathway_id: int | None):
    try:
        return clinic_days.pathway_for_patient(db.session, pathway_id), None
    except NotFound as exc:
        flash(exc.message)
        return None, redirect(url_for("days.choose"))


@bp.get("/find-care/days/times")
@signed_in
def times():
    patient = me()
    pathway, back = _pathway_or_back(_id(request.args.get("pathway")))
    if back:
        return back
    return _times_page(patient, pathway, _id(request.args.get("site")))


@bp.get("/find-care/days/confirm")
@signed_in
def confirm():
    patient = me()
    pathway, back = _pathway_or_back(_id(request.args.get("pathway")))
    if back:
        return back
    site = _id(request.args.get("site"))
    try:
        day = date.fromisoformat(request.args.get("date") or "")
    except ValueError:
        day = None
    try:
        choice = day and site and clinic_days.day_choice(db.session, patient, pathway, day, site, now=clock.now())
    except (UrgentOpen, IntakeRequired) as exc:
        return _gate(exc, pathway.id)
    if not choice:
        return _times_page(patient, pathway, site, GONE)
    return render_template("patient/day_confirm.html", pathway=pathway, choice=choice)


def _day_refusal(exc: DomainError) -> str:
    """The refusal in words; for a step that cannot be had, which one."""
    text = refusal_text(exc)
    step = exc.extra.get("step") if exc.extra else None
    return text if step is None else f"{text} (The part that changed: {exc.message.split(':', 1)[0].lower()}.)"


@bp.post("/find-care/days/book")
@signed_in
def book():
    actor, patient = patient_actor(), me()
    pathway, back = _pathway_or_back(_id(request.form.get("pathway")))
    if back:
        return back
    chosen = [parse_step(v) for v in request.form.getlist("step")]
    if not chosen or None in chosen:
        return redirect(url_for("days.times", pathway=pathway.id))
    try:
        it = clinic_days.book(
            db.session, actor, patient, pathway, chosen, now=clock.now(), before_commit=audit_trail.staged(302)
        )
    except (UrgentOpen, IntakeRequired) as exc:
        return _gate(exc, pathway.id)
    except DomainError as exc:
        db.session.rollback()
        return _times_page(patient, pathway, _id(request.form.get("site")), _day_refusal(exc), 409)
    flash("Your clinic day is booked. We've sent you one confirmation for the whole day.")
    return redirect(url_for("days.itinerary", itinerary_id=it.id))


@bp.get("/appointments/days/<int:itinerary_id>")
@signed_in
def itinerary(itinerary_id: int):
    card = cards.my_day(db.session, itinerary_id, patient_actor(), now=clock.now())
    return render_template("patient/day.html", card=card)


@bp.get("/appointments/days/<int:itinerary_id>/calendar.ics")
@signed_in
def calendar(itinerary_id: int):
    steps = cards.day_steps(db.session, itinerary_id, patient_actor())
    cfg = current_app.config
    body = itinerary_ics(db.session, steps, public_url=cfg["PUBLIC_URL"], mail_from=cfg["MAIL_FROM"])
    disposition = f'attachment; filename="clinic-day-{itinerary_id}.ics"'
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": disposition})


@bp.get("/appointments/days/<int:itinerary_id>/cancel")
@signed_in
def cancel_form(itinerary_id: int):
    card = cards.my_day(db.session, itinerary_id, patient_actor(), now=clock.now())
    return render_template("patient/day_cancel.html", card=card)


@bp.post("/appointments/days/<int:itinerary_id>/cancel")
@signed_in
def cancel(itinerary_id: int):
    actor = patient_actor()
    reason = (request.form.get("reason") or "").strip()[:500] or None
    try:
        itineraries.cancel(db.session, itinerary_id, actor=actor, now=clock.now(), reason=reason)
    except DomainError as exc:
        db.session.rollback()
        if exc.code == "not_found":
            raise
        flash(refusal_text(exc))
    else:
        flash("Your clinic day is cancelled: every visit of the day. We've sent you one confirmation.")
    return redirect(url_for("days.itinerary", itinerary_id=itinerary_id))
