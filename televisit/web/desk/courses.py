"""Radiosurgery courses at the desk: choose the visit type (one given on a linac), clinician, site, number of
fractions and pattern; see the earliest courses with every date; book one whole. Then the course's page, to
move it (a new first start) or cancel it whole after a confirmation."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain import appointments as st
from televisit.domain.errors import DomainError, Invalid
from televisit.domain.pathways import MAX_FRACTIONS, PATTERNS
from televisit.domain.timezones import get_zone, local_date
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.desk import courses as desk_courses
from televisit.services.pathways import courses
from televisit.services.patients import records as patients
from televisit.web.api.parse import Fields, bounded, day, hhmm, ident, instant, one_of, text
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, bp
from televisit.web.staff import REFUSALS, Problem, desk_roles, form_body, problem, viewer_locale

COURSE_DAYS, COURSE_LIMIT = 28, 5
PATTERN_TEXT = {"weekdays": "Consecutive weekdays", "alternate": "Every other weekday"}
SPEC = ("visit_type_id", "clinician_id", "location_id", "count", "pattern")


def _spec_from(args, *, defaults: dict) -> tuple[dict, courses.CourseSpec | None]:
    """The course the form asks for (None until visit type, clinician and site are all chosen)."""
    f = Fields({k: args.get(k) for k in (*SPEC, "from")}, query=True)
    chosen = {
        "visit_type_id": f.get("visit_type_id", ident, default=defaults.get("visit_type_id")),
        "clinician_id": f.get("clinician_id", ident),
        "location_id": f.get("location_id", ident, default=defaults.get("location_id")),
        "count": f.get("count", bounded(1, MAX_FRACTIONS), default=defaults.get("count", 1)),
        "pattern": f.get("pattern", one_of(*PATTERNS), default="weekdays"),
        "from": f.get("from", day),
    }
    f.done()
    if any(chosen[k] is None for k in ("visit_type_id", "clinician_id", "location_id")):
        return chosen, None
    return chosen, courses.CourseSpec(*(chosen[k] for k in SPEC))


def _earliest(spec: courses.CourseSpec, first, patient) -> list[desk_courses.CourseView]:
    zone = get_zone(catalog.get_location(db.session, spec.location_id).timezone)
    first = first or local_date(clock.now(), zone)
    last = first + timedelta(days=COURSE_DAYS - 1)
    found = courses.options(db.session, spec, first, last, zone, now=clock.now(), limit=COURSE_LIMIT)
    return desk_courses.course_views(db.session, found, spec.location_id, patient.timezone, viewer_locale())


def _choices() -> dict:
    types, sites = desk_courses.course_visit_types(db.session), desk_courses.course_sites(db.session)
    offering = {vt.id for vt in types}
    return {
        "course_types": types,
        "course_sites": sites,
        "course_clinicians": [
            c for c in catalog.list_clinicians(db.session) if any(vt.id in offering for vt in c.visit_types)
        ],
        "patterns": list(PATTERN_TEXT.items()),
        "fraction_choices": [(n, str(n)) for n in range(1, MAX_FRACTIONS + 1)],
    }


def _defaults(choices: dict) -> dict:
    """One visit type or one site: chosen already."""
    out = {"count": 1}
    for key, found in (("visit_type_id", choices["course_types"]), ("location_id", choices["course_sites"])):
        if len(found) == 1:
            out[key] = found[0].id
    return out


def _options_page(patient_id: int, args, trouble=None):
    patient, choices = patients.get_patient(db.session, patient_id), _choices()
    try:
        chosen, spec = _spec_from(args, defaults=_defaults(choices))
        options = _earliest(spec, chosen["from"], patient) if spec else []
    except DomainError as exc:
        chosen, spec, options, trouble = {"count": 1, "pattern": "weekdays"}, None, [], trouble or problem(exc)
    html = render_template(
        "scheduler/course_options.html",
        patient=patient,
        chosen=chosen,
        spec=spec,
        options=options,
        site=catalog.get_location(db.session, spec.location_id) if spec else None,
        problem=trouble,
        **choices,
    )
    return html, trouble.status if trouble else 200


@bp.get("/book/<int:patient_id>/course")
@desk_roles(*DESK)
def course_options(patient_id: int):
    return _options_page(patient_id, request.args)


def dates_refusal(exc: DomainError, *, outcome: str) -> Problem:
    """A refused course in plain words, naming the dates that failed."""
    dates = exc.extra.get("dates") if isinstance(exc.extra, dict) else None
    if dates:
        when = desk_courses.failed_dates(dates, viewer_locale())
        message = f"{when} cannot be had at that time any more. {outcome} The courses below are as they are now."
        return Problem(message, {}, exc.status)
    why = REFUSALS.get(exc.reason or "", exc.message)
    return Problem(f"{why} {outcome}", {}, exc.status) if exc.status == 409 else problem(exc)


@bp.post("/book/<int:patient_id>/course")
@desk_roles(*DESK)
def book_course(patient_id: int):
    body = form_body(request.form, ints=("visit_type_id", "clinician_id", "location_id", "count"))
    try:
        _, spec = _spec_from(body, defaults={})
        f = Fields(body)
        first_start = f.get("first_start", instant, required=True)
        f.done()
        if spec is None:
            raise Invalid({"visit_type_id": "choose the visit type, clinician and site"})
        req = courses.CourseRequest(spec, patient_id, first_start)
        course = courses.book(db.session, req, actor=current_actor(), now=clock.now())
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        return _options_page(patient_id, request.form, dates_refusal(exc, outcome="Nothing was booked."))
    flash(f"Booked all {spec.count} fraction{'s' if spec.count != 1 else ''}. One confirmation lists every date.")
    return redirect(url_for("scheduler.course", course_id=course.id))


def _course(course_id: int):
    course = courses.get_visible(db.session, course_id, current_actor())
    return course, courses.fractions_of(db.session, course.id), patients.get_patient(db.session, course.patient_id)


def _page(course_id: int, trouble=None, args=None):
    course, appts, patient = _course(course_id)
    to_come = [a for a in appts if st.can_change(a.status)]
    changeable = course.status == courses.BOOKED and bool(to_come)
    options, chosen = [], {}
    if changeable:
        f = Fields({"from": (args or request.args).get("from")}, query=True)
        chosen = {"from": f.get("from", day)}
        spec = courses.CourseSpec(
            course.visit_type_id, course.clinician_id, course.location_id, len(to_come), course.pattern
        )
        options = [] if f.errors else _earliest(spec, chosen["from"], patient)
        trouble = trouble or (problem(Invalid(f.errors)) if f.errors else None)
    html = render_template(
        "scheduler/course.html",
        course=course,
        patient=patient,
        view=desk_courses.booked_course(db.session, course.location_id, appts, viewer_locale()),
        site=catalog.get_location(db.session, course.location_id),
        visit_type=catalog.get_visit_type(db.session, course.visit_type_id),
        clinician=catalog.get_clinician(db.session, course.clinician_id),
        pattern_text=PATTERN_TEXT.get(course.pattern, course.pattern),
        changeable=changeable,
        remaining=len(to_come),
        options=options,
        chosen=chosen,
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


@bp.get("/courses/<int:course_id>")
@desk_roles(*DESK)
def course(course_id: int):
    return _page(course_id)


def _new_first_start(course_id: int, form):
    """The new first start: an offered course's (`first_start`), or a date and a wall time typed at the desk."""
    f = Fields(dict(form.items()), query=True)
    if form.get("first_start"):
        first = f.get("first_start", instant, required=True)
        f.done()
        return first
    date_, minute = f.get("date", day, required=True), f.get("time", hhmm, required=True)
    f.done()
    site = courses.get_visible(db.session, course_id, current_actor()).location_id
    return desk_courses.site_instant(db.session, site, date_, minute)


@bp.post("/courses/<int:course_id>/reschedule")
@desk_roles(*DESK)
def reschedule_course(course_id: int):
    try:
        first = _new_first_start(course_id, request.form)
        courses.reschedule(db.session, course_id, first, actor=current_actor(), now=clock.now())
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        trouble = dates_refusal(exc, outcome="The course was not moved.")
        return _page(course_id, trouble, {"from": request.form.get("f-from", "")})
    flash("Moved the course. The patient will get one message with the new dates.")
    return redirect(url_for("scheduler.course", course_id=course_id))


def _cancel_page(course_id: int, trouble=None, form=None):
    course, appts, patient = _course(course_id)
    html = render_template(
        "scheduler/course_cancel.html",
        course=course,
        patient=patient,
        view=desk_courses.booked_course(db.session, course.location_id, appts, viewer_locale()),
        changeable=course.status == courses.BOOKED and any(st.can_change(a.status) for a in appts),
        problem=trouble,
        form=form or {},
    )
    return html, trouble.status if trouble else 200


@bp.get("/courses/<int:course_id>/cancel")
@desk_roles(*DESK)
def cancel_course_form(course_id: int):
    return _cancel_page(course_id)


@bp.post("/courses/<int:course_id>/cancel")
@desk_roles(*DESK)
def cancel_course(course_id: int):
    try:
        f = Fields(form_body(request.form))
        reason = f.get("reason", text(500))
        f.done()
        courses.cancel(db.session, course_id, actor=current_actor(), now=clock.now(), reason=reason)
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        return _cancel_page(course_id, problem(exc), request.form)
    flash("Cancelled the course. The patient is told once; every fraction's time is free again.")
    return redirect(url_for("scheduler.course", course_id=course_id))
