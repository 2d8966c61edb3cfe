"""Book for a patient at the desk: find or register the patient, choose what and where, pick a free slot."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.availability import MODES
from televisit.domain.errors import DomainError, DuplicatePatient, Invalid, PossibleDuplicate
from televisit.domain.identity import read_query
from televisit.domain.patient_input import COMMON_ZONES
from televisit.domain.regions import CHOICES as REGIONS
from televisit.domain.timezones import get_zone, local_date
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.booking import appointments as booking
from televisit.services.booking.search import SlotQuery
from televisit.services.desk import slots as desk_slots
from televisit.services.patients import identity
from televisit.services.patients import records as patients
from televisit.web.api.parse import Fields, day, ident, instant, one_of, region, text
from televisit.web.api.patients import patient_data
from televisit.web.api.requests import slot_request
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, SLOT_DAYS, SLOT_LIMIT, bp
from televisit.web.staff import Problem, desk_region, desk_roles, form_body, problem, viewer_locale

PARTIES = ("clinician_ids", "resource_ids")  # a joint visit's clinicians and the resources, as the slot showed them
FILTERS = ("visit_type_id", "mode", "location_id", "clinician_id", "patient_region", "from", "reason")
PICKED = ("visit_type_id", "clinician_id", "location_id", "mode", "at")  # free time picked on the calendar


def find_results(args) -> dict:
    """The patient search a desk page asks for (`q`): the query, the patients found, or why none were looked
    for (a one-letter query asks for two characters rather than saying nobody matches)."""
    q = args.get("q", "").strip()[:120]
    forms = "1958-03-14 or " + ("3/14/1958" if desk_region() == "US" else "14/03/1958")
    out = {"q": q, "found": [], "more": False, "q_problem": None, "date_forms": forms}
    if not q:
        return out
    try:
        query = read_query(q, locale=viewer_locale(), region=desk_region())
    except Invalid as exc:
        return out | {"q_problem": exc.message}
    found, more = identity.search(db.session, query, actor=current_actor())
    return out | {"found": found, "more": more}


def picked_time(source) -> dict:
    """The free time picked on the calendar's grid, carried from finding the patient to booking (checked)."""
    f = Fields({k: source.get(k) for k in PICKED}, query=True)
    values = {
        "visit_type_id": f.get("visit_type_id", ident),
        "clinician_id": f.get("clinician_id", ident),
        "location_id": f.get("location_id", ident),
        "mode": f.get("mode", one_of(*MODES)),
        "at": f.get("at", instant),
    }
    f.done()
    return {k: v for k, v in values.items() if v is not None} if values["at"] else {}


def _carry(picked: dict) -> dict:
    """The picked time as URL parameters."""
    return {k: (v.isoformat() if k == "at" else v) for k, v in picked.items()}


def _find_page(trouble=None, form=None, existing=None, likely=(), picked=None):
    picked = picked if picked is not None else picked_time(request.args)
    html = render_template(
        "scheduler/find_patient.html",
        **find_results(request.args),
        problem=trouble,
        existing=existing,
        likely=likely,
        form=form or {"sms_opt_in": "1", "email_opt_in": "1"},
        zones=COMMON_ZONES,
        regions=REGIONS,
        carry=_carry(picked),
        picked=desk_slots.picked_text(db.session, picked, locale=viewer_locale()) if picked else None,
    )
    return html, trouble.status if trouble else 200


@bp.get("/book")
@desk_roles(*DESK)
def find_patient():
    return _find_page()


LIKELY = "This may be someone already registered: check the records below before making a new one."


@bp.post("/patients")
@desk_roles(*DESK)
def register_patient():
    picked = picked_time(request.form)
    form = form_body(request.form, bools=("sms_opt_in", "email_opt_in"))
    confirm_new = form.pop("confirm_new", "") == "1"
    try:
        data = patient_data({k: v for k, v in form.items() if k not in PICKED}, default_region=desk_region())
        made = patients.register(db.session, data, now=clock.now(), confirm_new=confirm_new)
    except DuplicatePatient as exc:  # offer the record they already have instead of a second one
        existing = patients.get_patient(db.session, exc.patient_id)
        return _find_page(problem(exc), request.form, existing, picked=picked)
    except PossibleDuplicate as exc:  # show the look-alikes: pick one, or confirm this is someone else
        likely = [(patients.get_patient(db.session, pid), why) for pid, why in exc.matches]
        return _find_page(Problem(LIKELY, {}, 409), request.form, likely=likely, picked=picked)
    except DomainError as exc:
        return _find_page(problem(exc), request.form, picked=picked)
    flash(f"{made.patient.name} is registered. Now choose a visit.")
    return redirect(url_for("scheduler.book", patient_id=made.patient.id, **_carry(picked)))


def _slot_query(args, patient) -> tuple[SlotQuery | None, dict]:
    """The search the form asks for (None until a visit type is chosen) and the chosen values."""
    f = Fields({k: args.get(k) for k in FILTERS}, query=True)
    chosen = {
        "visit_type_id": f.get("visit_type_id", ident),
        "mode": f.get("mode", one_of(*MODES)),
        "location_id": f.get("location_id", ident),
        "clinician_id": f.get("clinician_id", ident),
        "patient_region": f.get("patient_region", region) or patient.region,
        "from": f.get("from", day),
        "reason": f.get("reason", text(2000, lines=True)),
    }
    f.done()
    if chosen["visit_type_id"] is None:
        return None, chosen
    loc = catalog.get_location(db.session, chosen["location_id"]) if chosen["location_id"] else None
    zone = get_zone(loc.timezone if loc else patient.timezone)
    first = chosen["from"] or local_date(args.get("at") or clock.now(), zone)
    q = SlotQuery(
        chosen["visit_type_id"],
        first,
        first + timedelta(days=SLOT_DAYS - 1),
        zone,
        chosen["location_id"],
        chosen["clinician_id"],
        chosen["mode"],
        chosen["patient_region"],
        SLOT_LIMIT,
    )
    return q, chosen


def _book_page(patient_id: int, args, trouble=None):
    patient = patients.get_patient(db.session, patient_id)
    at = picked_time(args).get("at")
    q, chosen = _slot_query({k: args.get(k) for k in FILTERS} | {"at": at}, patient)
    days = []
    if q is not None:
        days = desk_slots.slot_days(db.session, q, patient=patient, now=clock.now(), locale=viewer_locale())
    filters = {k: ("" if v is None else str(v)) for k, v in chosen.items()}
    later = filters | {"from": (q.last + timedelta(days=1)).isoformat()} if q else filters
    html = render_template(
        "scheduler/book.html",
        patient=patient,
        q=q,
        chosen=chosen,
        filters=filters,
        next_url=url_for("scheduler.book", patient_id=patient.id, **{k: v for k, v in later.items() if v}),
        days=days,
        at=at,
        picked=desk_slots.at_time(days, at) if at else [],
        problem=trouble,
        visit_types=catalog.list_visit_types(db.session),
        locations=catalog.list_locations(db.session),
        clinicians=catalog.list_clinicians(db.session),
        regions=REGIONS,
    )
    return html, trouble.status if trouble else 200


@bp.get("/book/<int:patient_id>")
@desk_roles(*DESK)
def book(patient_id: int):
    return _book_page(patient_id, request.args)


def _booking_request(patient_id: int) -> booking.BookingRequest:
    body = form_body(request.form, ints=("visit_type_id", "clinician_id", "location_id"), int_lists=PARTIES)
    f = Fields({k: v for k, v in body.items() if not (k in PARTIES and not v)})  # absent: the server picks
    slot = slot_request(f)
    reason = f.get("reason", text(2000, lines=True))
    f.done()
    return booking.BookingRequest(slot, patient_id, reason)


@bp.post("/book/<int:patient_id>")
@desk_roles(*DESK)
def book_slot(patient_id: int):
    try:
        req = _booking_request(patient_id)
        appt = booking.book(db.session, req, actor=current_actor(), now=clock.now())
    except DomainError as exc:
        filters = {k: request.form.get(f"f-{k}") for k in FILTERS}  # the search the slot came from
        return _book_page(patient_id, filters, problem(exc))
    flash(f"Booked for {appt.patient.name}. A confirmation is on its way to them.")
    return redirect(url_for("scheduler.appointment", appointment_id=appt.id))
