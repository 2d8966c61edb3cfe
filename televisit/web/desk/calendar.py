"""The schedulers' desk (/schedule): the calendar and one appointment (move, cancel)."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain import appointments as st
from televisit.domain.availability import MODES
from televisit.domain.calendar import VIEWS, WEEK, range_label, step, view_days
from televisit.domain.errors import DomainError, Invalid
from televisit.domain.regions import CHOICES as REGIONS
from televisit.domain.timezones import get_zone, local_date
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.booking import appointments as booking
from televisit.services.booking.search import SlotQuery
from televisit.services.desk import calendar as desk_calendar
from televisit.services.desk import days as desk_days
from televisit.services.desk import slots as desk_slots
from televisit.services.desk.grid import BY, BY_CLINICIAN, specialty_words
from televisit.web.api.catalog import SPECIALTIES
from televisit.web.api.parse import Fields, boolean, day, ident, one_of, region, text, zone_name
from televisit.web.api.requests import move_request
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, SLOT_DAYS, SLOT_LIMIT, bp
from televisit.web.desk.grid import free_choice
from televisit.web.staff import desk_roles, form_body, problem, viewer_locale

SITE = "site"  # the zone switch: each appointment in its own site's zone


def _zone_param(raw: str | None) -> str | None:
    """None for 'each site's zone', else a checked IANA name."""
    return None if raw in (None, "", SITE) else zone_name(raw)


def _calendar_query():
    f = Fields(request.args, query=True)
    view = f.get("view", one_of(*VIEWS), default=WEEK)
    zone = f.get("tz", _zone_param)
    location_id, clinician_id = f.get("location_id", ident), f.get("clinician_id", ident)
    show_cancelled = f.get("cancelled", boolean, default=False)
    specialty = f.get("specialty", one_of(*SPECIALTIES))
    first = f.get("date", day)
    grid_only = {"by": f.get("by", one_of(*BY), default=BY_CLINICIAN), "free": f.get("visit_type_id", free_choice)}
    f.done()
    if first is None:
        locs = catalog.list_locations(db.session)
        first = local_date(clock.now(), get_zone(zone or (locs[0].timezone if locs else "UTC")))
    days = tuple(view_days(view, first))
    q = desk_calendar.CalendarQuery(days, zone, viewer_locale(), location_id, clinician_id, show_cancelled, specialty)
    return view, first, q, grid_only


def _links(view: str, first, days) -> dict:
    """Previous / today / next, and each day of a week as a day view, keeping the other filters."""
    args = {k: v for k, v in request.args.items() if k != "date"}

    def at(d, **changes):
        return url_for("scheduler.calendar", **(args | changes | ({"date": d.isoformat()} if d else {})))

    return {
        "prev": at(step(view, first, -1)),
        "today": at(None),
        "next": at(step(view, first, 1)),
        "days": {d: at(d, view="day") for d in days},
    }


@bp.get("")
@desk_roles(*DESK)
def calendar():
    view, first, q, grid_only = _calendar_query()
    days = desk_calendar.calendar(db.session, q, actor=current_actor())
    locations, clinicians = catalog.list_locations(db.session), catalog.list_clinicians(db.session)
    return render_template(
        "scheduler/calendar.html",
        view=view,
        first=first,
        q=q,
        grid=grid_only,
        days=days,
        title=range_label(list(q.days), q.locale),
        links=_links(view, first, q.days),
        locations=locations,
        clinicians=clinicians,
        specialties=sorted({(c.specialty, specialty_words(c.specialty)) for c in clinicians}),
        visit_types=catalog.list_visit_types(db.session),
        site_zones=sorted({loc.timezone for loc in locations}),
        count=sum(len(d.entries) for d in days),
        today=local_date(clock.now(), get_zone(q.zone or (locations[0].timezone if locations else "UTC"))),
    )


def _move_query(appt):
    """The slot search of the move form: the same clinician, site and mode unless the scheduler picks others."""
    f = Fields(request.args, query=True)
    clinician_id = f.get("clinician_id", ident) or appt.clinician_id
    location_id = f.get("location_id", ident) or appt.location_id
    mode = f.get("mode", one_of(*MODES)) or appt.mode
    where = f.get("patient_region", region) or appt.patient_region or appt.patient.region
    first = f.get("from", day)
    f.done()
    zone = get_zone(catalog.get_location(db.session, location_id).timezone)
    first = first or local_date(clock.now(), zone)
    last = first + timedelta(days=SLOT_DAYS - 1)
    return SlotQuery(appt.visit_type_id, first, last, zone, location_id, clinician_id, mode, where, SLOT_LIMIT)


def _appointment_page(appointment_id: int, trouble=None, form=None):
    actor, locale = current_actor(), viewer_locale()
    appt = booking.get_visible(db.session, appointment_id, actor)
    q, days = None, []
    changeable = st.can_change(appt.status) and not (appt.itinerary_id or appt.course_id)  # those change whole
    if changeable:
        q = _move_query(appt)
        days = desk_slots.slot_days(db.session, q, patient=appt.patient, now=clock.now(), locale=locale, exclude=appt)
    html = render_template(
        "scheduler/appointment.html",
        appt=appt,
        e=desk_calendar.entry(appt, None, locale, desk_calendar.names(db.session)),
        patient_time=desk_calendar.patient_clock(appt, locale),
        parties=desk_days.parties(db.session, appt),
        changeable=changeable,
        q=q,
        days=days,
        problem=trouble,
        form=form or {},
        locations=catalog.list_locations(db.session),
        clinicians=catalog.list_clinicians(db.session),
        regions=REGIONS,
    )
    return html, trouble.status if trouble else 200


@bp.get("/appointments/<int:appointment_id>")
@desk_roles(*DESK)
def appointment(appointment_id: int):
    return _appointment_page(appointment_id)


def _move_request() -> booking.MoveRequest:
    f = Fields(form_body(request.form, ints=("clinician_id", "location_id")))
    move = move_request(f)
    f.done()
    return move


@bp.post("/appointments/<int:appointment_id>/reschedule")
@desk_roles(*DESK)
def reschedule(appointment_id: int):
    try:
        appt = booking.reschedule(db.session, appointment_id, _move_request(), actor=current_actor(), now=clock.now())
    except DomainError as exc:
        return _appointment_page(appointment_id, problem(exc))
    flash(f"Moved. {appt.patient.name} will get a message with the new time.")
    return redirect(url_for("scheduler.appointment", appointment_id=appt.id))


@bp.post("/appointments/<int:appointment_id>/cancel")
@desk_roles(*DESK)
def cancel(appointment_id: int):
    try:
        f = Fields(form_body(request.form))
        reason = f.get("reason", text(500, lines=True), required=True)
        f.done()
        appt = booking.cancel(db.session, appointment_id, actor=current_actor(), now=clock.now(), reason=reason)
    except DomainError as exc:
        trouble = problem(exc)
        if isinstance(exc, Invalid):
            trouble.fields = {"reason": "Say why the visit is cancelled (the patient is told it was cancelled)."}
        return _appointment_page(appointment_id, trouble, form=request.form)
    flash(f"Cancelled. {appt.patient.name} will be told.")
    return redirect(url_for("scheduler.appointment", appointment_id=appt.id))
