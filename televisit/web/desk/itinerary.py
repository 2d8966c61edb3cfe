"""One booked clinic day at the desk: its steps (the desk's zone and the patient's), moving the whole day to
another option, and cancelling the whole day after a confirmation."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain import appointments as st
from televisit.domain.errors import DomainError, Invalid
from televisit.domain.timezones import get_zone
from televisit.extensions import db
from televisit.services.desk import days
from televisit.services.pathways import catalog as pathways
from televisit.services.pathways import itineraries
from televisit.services.patients import records as patients
from televisit.web.api.parse import Fields, text
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, bp
from televisit.web.desk.days import day_choices, options_for, options_query, step_refusal, step_requests
from televisit.web.staff import desk_roles, form_body, problem, viewer_locale


def _day(itinerary_id: int):
    """The day (if the desk may see it), its appointments, patient and pathway."""
    it = itineraries.get_visible(db.session, itinerary_id, current_actor())
    appts = itineraries.steps_of(db.session, it.id)
    return it, appts, patients.get_patient(db.session, it.patient_id), pathways.get_pathway(db.session, it.pathway_id)


def _changeable(it, appts) -> bool:
    return it.status == itineraries.BOOKED and bool(appts) and all(st.can_change(a.status) for a in appts)


def _page(itinerary_id: int, trouble=None, args=None):
    it, appts, patient, pathway = _day(itinerary_id)
    changeable, q, options = _changeable(it, appts), None, []
    if changeable:
        try:
            _, q = options_query(args or request.args, patient, site=appts[0].location_id)
        except Invalid as exc:
            trouble = trouble or problem(exc)
        else:
            options = options_for(pathway, q, patient)
    zone = q.zone if q else get_zone(appts[0].location.timezone if appts else "UTC")
    clocks = days.Clocks(zone, get_zone(patient.timezone), viewer_locale())
    html = render_template(
        "scheduler/itinerary.html",
        it=it,
        patient=patient,
        pathway=pathway,
        view=days.booked_day(db.session, appts, clocks),
        changeable=changeable,
        q=q,
        options=options,
        problem=trouble,
        **day_choices(),
    )
    return html, trouble.status if trouble else 200


@bp.get("/days/<int:itinerary_id>")
@desk_roles(*DESK)
def itinerary(itinerary_id: int):
    return _page(itinerary_id)


@bp.post("/days/<int:itinerary_id>/reschedule")
@desk_roles(*DESK)
def reschedule_day(itinerary_id: int):
    it, _, _, pathway = _day(itinerary_id)
    filters = {k.removeprefix("f-"): v for k, v in request.form.items() if k.startswith("f-") and v}
    try:
        steps = step_requests(request.form, pathway)
        itineraries.reschedule(db.session, it.id, steps, actor=current_actor(), now=clock.now())
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        trouble = step_refusal(exc, pathway, outcome="The day was not moved.") if exc.status == 409 else problem(exc)
        return _page(itinerary_id, trouble, filters)
    flash("Moved the whole day. The patient will get one message with the new times.")
    return redirect(url_for("scheduler.itinerary", itinerary_id=itinerary_id))


def _cancel_page(itinerary_id: int, trouble=None, form=None):
    it, appts, patient, pathway = _day(itinerary_id)
    zone = get_zone(appts[0].location.timezone if appts else "UTC")
    clocks = days.Clocks(zone, get_zone(patient.timezone), viewer_locale())
    html = render_template(
        "scheduler/itinerary_cancel.html",
        it=it,
        patient=patient,
        pathway=pathway,
        view=days.booked_day(db.session, appts, clocks),
        changeable=_changeable(it, appts),
        problem=trouble,
        form=form or {},
    )
    return html, trouble.status if trouble else 200


@bp.get("/days/<int:itinerary_id>/cancel")
@desk_roles(*DESK)
def cancel_day_form(itinerary_id: int):
    return _cancel_page(itinerary_id)


@bp.post("/days/<int:itinerary_id>/cancel")
@desk_roles(*DESK)
def cancel_day(itinerary_id: int):
    try:
        f = Fields(form_body(request.form))
        reason = f.get("reason", text(500))
        f.done()
        itineraries.cancel(db.session, itinerary_id, actor=current_actor(), now=clock.now(), reason=reason)
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        return _cancel_page(itinerary_id, problem(exc), request.form)
    flash("Cancelled the whole day. The patient is told once; every time of the day is free again.")
    return redirect(url_for("scheduler.itinerary", itinerary_id=itinerary_id))
