"""Clinic days at the desk: choose a pathway, see the options day by day (the desk's zone and the patient's),
pick one, confirm, book it as one; then the day's page, to move it whole or cancel it whole."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.availability import MODES
from televisit.domain.errors import DomainError, Invalid
from televisit.domain.regions import CHOICES as REGIONS
from televisit.domain.timezones import get_zone, local_date
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.desk import days
from televisit.services.pathways import catalog as pathways
from televisit.services.pathways import itineraries
from televisit.services.pathways import options as pathway_options
from televisit.services.pathways.options import OptionsQuery
from televisit.services.patients import records as patients
from televisit.web.api.parse import Fields, day, ident, instant, one_of, region, zone_name
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, bp
from televisit.web.staff import REFUSALS, Problem, desk_roles, problem, viewer_locale

OPTION_DAYS, OPTION_LIMIT = 28, 20
FILTERS = ("pathway_id", "location_id", "from", "tz", "patient_region")


def options_query(args, patient, *, site=None) -> tuple[dict, OptionsQuery]:
    """The options the form asks for: 4 weeks from `from` (today), at one site or any, shown in the site's
    zone (or the desk's chosen zone when any site will do)."""
    f = Fields({k: args.get(k) for k in FILTERS}, query=True)
    chosen = {
        "pathway_id": f.get("pathway_id", ident),
        "location_id": f.get("location_id", ident, default=site),
        "from": f.get("from", day),
        "tz": f.get("tz", zone_name),
        "patient_region": f.get("patient_region", region) or patient.region,
    }
    f.done()
    locations = {loc.id: loc for loc in catalog.list_locations(db.session)}
    if chosen["location_id"] is not None and chosen["location_id"] not in locations:
        raise Invalid({"location_id": "no such location"})
    loc = locations.get(chosen["location_id"])
    zone = get_zone(loc.timezone if loc else chosen["tz"] or _desk_zone(locations))
    first = chosen["from"] or local_date(clock.now(), zone)
    last = first + timedelta(days=OPTION_DAYS - 1)
    return chosen, OptionsQuery(first, last, zone, chosen["location_id"], chosen["patient_region"], OPTION_LIMIT)


def _desk_zone(locations: dict) -> str:
    return next(iter(locations.values())).timezone if locations else "UTC"


def clocks_for(q: OptionsQuery, patient) -> days.Clocks:
    """The desk's zone (the query's) and the patient's own."""
    return days.Clocks(q.zone, get_zone(patient.timezone), viewer_locale())


def options_for(pathway, q: OptionsQuery, patient) -> list[days.DayView]:
    """The pathway's clinic-day options in `q`, as the desk reads them."""
    found = pathway_options.day_options(db.session, pathway, q, now=clock.now())
    return days.day_views(db.session, found, clocks_for(q, patient))


def day_choices() -> dict:
    """What the options form offers to choose from."""
    locations = catalog.list_locations(db.session)
    return {
        "pathways": pathways.list_pathways(db.session),
        "locations": locations,
        "zone_choices": [(z, z) for z in sorted({loc.timezone for loc in locations})],
        "regions": REGIONS,
    }


def _options_page(patient_id: int, args, trouble=None):
    patient = patients.get_patient(db.session, patient_id)
    try:
        chosen, q = options_query(args, patient)
    except Invalid as exc:
        chosen, q, trouble = {k: None for k in FILTERS}, None, trouble or problem(exc)
    pathway = pathways.get_pathway(db.session, chosen["pathway_id"]) if q and chosen["pathway_id"] else None
    options = options_for(pathway, q, patient) if pathway else []
    later = {k: v for k, v in chosen.items() if v is not None} | ({"from": (q.last + timedelta(days=1))} if q else {})
    html = render_template(
        "scheduler/day_options.html",
        patient=patient,
        pathway=pathway,
        chosen=chosen,
        q=q,
        options=options,
        site=catalog.get_location(db.session, q.location_id) if q and q.location_id else None,
        later_url=url_for("scheduler.day_options", patient_id=patient.id, **later),
        problem=trouble,
        **day_choices(),
    )
    return html, trouble.status if trouble else 200


@bp.get("/book/<int:patient_id>/day")
@desk_roles(*DESK)
def day_options(patient_id: int):
    return _options_page(patient_id, request.args)


def _ids(raw) -> tuple[int, ...]:
    """'3' or '3,7' (a joint visit's clinicians, a step's resources) as ids in order."""
    parts = [p.strip() for p in str(raw).split(",")]
    if not all(p.isdigit() and len(p) < 10 for p in parts):
        raise ValueError("expected ids separated by commas")
    return tuple(ident(int(p)) for p in parts)


def step_requests(form, pathway) -> list[itineraries.StepRequest]:
    """One step per pathway step, as the option's form posts them; Invalid names every bad cell."""
    out, errors = [], {}
    for i in range(len(pathway.steps)):
        f = Fields({k.split("-", 2)[2]: v for k, v in form.items() if k.startswith(f"steps-{i}-")}, query=True)
        step = itineraries.StepRequest(
            start=f.get("start", instant, required=True),
            clinician_id=f.get("clinician_id", ident, required=True),
            location_id=f.get("location_id", ident, required=True),
            mode=f.get("mode", one_of(*MODES), required=True),
            clinician_ids=f.get("clinician_ids", _ids),
            resource_ids=f.get("resource_ids", _ids),
        )
        errors.update({f"steps[{i}].{k}": v for k, v in f.errors.items()})
        out.append(step)
    if errors:
        raise Invalid(errors, "These times do not name a clinic day: please pick one of the options again.")
    return out


def _picked(form) -> tuple[object, list[itineraries.StepRequest], str | None]:
    """The pathway, the picked steps and the patient's region a confirm or booking form carries."""
    f = Fields({"pathway_id": form.get("pathway_id"), "patient_region": form.get("patient_region")}, query=True)
    pathway_id, where = f.get("pathway_id", ident, required=True), f.get("patient_region", region)
    f.done()
    pathway = pathways.get_pathway(db.session, pathway_id)
    return pathway, step_requests(form, pathway), where


def _filters(form) -> dict:
    """The search the option came from (kept in `f-*` fields), to show fresh options after a refusal."""
    return {k: form.get(f"f-{k}") for k in FILTERS if form.get(f"f-{k}")}


@bp.get("/book/<int:patient_id>/day/confirm")
@desk_roles(*DESK)
def confirm_day(patient_id: int):
    patient = patients.get_patient(db.session, patient_id)
    try:
        pathway, steps, where = _picked(request.args)
    except DomainError as exc:
        return _options_page(patient_id, _filters(request.args), problem(exc))
    _, q = options_query(_filters(request.args), patient)
    view = days.requested_day(db.session, pathway, steps, clocks_for(q, patient))
    if view is None:
        trouble = Problem("That option no longer names this pathway's steps. Please pick one again.", {}, 422)
        return _options_page(patient_id, _filters(request.args), trouble)
    return render_template(
        "scheduler/day_confirm.html",
        patient=patient,
        pathway=pathway,
        view=view,
        where=where,
        q=q,
        filters=_filters(request.args),
    )


def step_refusal(exc: DomainError, pathway, *, outcome: str = "Nothing was booked.") -> Problem:
    """A refused step in plain words, naming the step (its number and visit type) when the answer does."""
    i = exc.extra.get("step") if isinstance(exc.extra, dict) else None
    why = REFUSALS.get(exc.reason or "", exc.message)
    if isinstance(i, int) and 0 <= i < len(pathway.steps):
        name = catalog.get_visit_type(db.session, pathway.steps[i]["visit_type_id"]).name
        # the slot list's advice ("pick another slot") becomes the fresh options shown below
        why = f"Step {i + 1} ({name}) can no longer be had. {why.replace('Please pick another slot.', '').strip()}"
    return Problem(f"{why} {outcome} The options below are as they are now.", {}, exc.status)


@bp.post("/book/<int:patient_id>/day")
@desk_roles(*DESK)
def book_day(patient_id: int):
    filters, pathway = _filters(request.form), None
    try:
        pathway, steps, where = _picked(request.form)
        it = itineraries.book(
            db.session,
            pathway.id,
            steps,
            actor=current_actor(),
            now=clock.now(),
            patient_id=patient_id,
            patient_region=where,
        )
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        refused = pathway is not None and exc.status == 409  # a step (or the whole day) was just taken
        trouble = step_refusal(exc, pathway) if refused else problem(exc)
        return _options_page(patient_id, filters | {"pathway_id": request.form.get("pathway_id")}, trouble)
    name = patients.get_patient(db.session, it.patient_id).name
    flash(f"Booked the whole day for {name}. One confirmation for the day is on its way to them.")
    return redirect(url_for("scheduler.itinerary", itinerary_id=it.id))
