"""Find care (first free times, confirm, book), the first-visit intake, and the urgent page its red flags lead to."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.care import (
    MODES,
    CareQuery,
    IntakeRequired,
    UrgentOpen,
    Window,
    need_for,
    parse_care,
    parse_pick,
    parse_window,
    refusal_text,
)
from televisit.domain.errors import DomainError, Invalid
from televisit.domain.formatting import zone_label
from televisit.domain.regions import CHOICES as REGIONS
from televisit.domain.regions import default_choice
from televisit.domain.timezones import get_zone
from televisit.domain.triage import COURSE, DAILY_LIFE, SINCE, SYMPTOMS, URGENT, YES_NO, describe, parse_intake
from televisit.extensions import db
from televisit.models import Patient
from televisit.services.patients import clinic_days, find_care, intake, urgent_line
from televisit.web.patient.account import me, patient_actor, signed_in

bp = Blueprint("care", __name__)


@bp.app_template_filter("zone_words")
def zone_words(patient: Patient) -> str:
    """The patient's zone as people name it ('Eastern Time', 'British Time'), never its IANA name."""
    return zone_label(get_zone(patient.timezone), find_care.locale_of(patient))


def _page(patient: Patient, form, *, errors=None, results=None, query: CareQuery | None = None, refusal=None):
    opts = find_care.options(db.session)
    cfg = current_app.config
    return render_template(
        "patient/find_care.html",
        patient=patient,
        options=opts,
        site_choices=[(str(site.id), f"{site.name}, {site.city}") for site in opts.sites],
        modes=MODES,
        regions=REGIONS,
        form=form,
        errors=errors or {},
        results=results,
        query=query,
        refusal=refusal,
        call=find_care.call_line(db.session, patient, query, cfg["URGENT_PHONES"], cfg["URGENT_PHONE"]),
        clinic_days=clinic_days.self_bookable(db.session),
    )


def _gate_redirect(exc: DomainError, q: CareQuery):
    if isinstance(exc, UrgentOpen):
        return redirect(url_for("care.urgent"))
    return redirect(url_for("care.intake_form", **q.params()))


@bp.get("/find-care")
@signed_in
def search():
    patient = me()
    form = request.args.to_dict()
    if intake.open_case(db.session, patient.id) is not None:  # red flags: no routine booking until resolved
        return redirect(url_for("care.urgent"))
    if "need" not in form:  # the first visit: just the form, video and their own region preselected
        form = {"mode": "virtual", "region": default_choice(patient.region), **form}
        return _page(patient, form)
    q, errors = parse_care(request.args, default_choice(patient.region))
    window, window_errors = parse_window(request.args)
    if q is None or window_errors:
        return _page(patient, form, errors=errors | window_errors), 422
    try:
        results = find_care.first_times(db.session, patient, q, now=clock.now(), window=window)
    except (UrgentOpen, IntakeRequired) as exc:
        return _gate_redirect(exc, q)
    except Invalid as exc:
        return _page(patient, form, errors=exc.fields), 422
    return _page(patient, form, results=results, query=q)


@bp.get("/find-care/confirm")
@signed_in
def confirm():
    patient = me()
    # A link from outside (a SMART Scheduling Links deep link) names no region: a video visit from home.
    q, _ = parse_care(request.args, default_choice(patient.region))
    pick = parse_pick(request.args)
    if q is None or pick is None:
        return redirect(url_for("care.search", **request.args.to_dict()))
    try:
        summary = find_care.confirmation(db.session, patient, q, pick)
    except (UrgentOpen, IntakeRequired) as exc:
        return _gate_redirect(exc, q)
    return render_template("patient/confirm.html", summary=summary, regions=dict(REGIONS), errors={})


@bp.post("/find-care/book")
@signed_in
def book():
    actor, patient = patient_actor(), me()
    q, _ = parse_care(request.form, None)
    pick = parse_pick(request.form)
    if q is None or pick is None:
        return redirect(url_for("care.search"))
    reason = (request.form.get("reason") or "").strip()[:500] or None
    try:
        most = current_app.config["PATIENT_MAX_UPCOMING"]
        appt = find_care.book(db.session, actor, q, pick, now=clock.now(), reason=reason, max_upcoming=most)
    except (UrgentOpen, IntakeRequired) as exc:
        return _gate_redirect(exc, q)
    except DomainError as exc:
        db.session.rollback()
        results = find_care.first_times(db.session, patient, q, now=clock.now(), window=Window())
        return _page(patient, q.params(), results=results, query=q, refusal=refusal_text(exc)), 409
    flash("You're booked. We've sent you a confirmation.")
    return redirect(url_for("visits.appointment", appointment_id=appt.id))


INTAKE_CHOICES = dict(
    symptoms=SYMPTOMS, urgent=URGENT, since=SINCE, course=COURSE, daily_life=DAILY_LIFE, yes_no=YES_NO
)


def _intake_page(form, checked, errors, status=200):
    keep = {k: v for k, v in form.items() if k in ("need", "mode", "site", "region", "day", "specialty", "seen_by")}
    return render_template(
        "patient/intake.html", form=form, checked=checked, errors=errors, keep=keep, **INTAKE_CHOICES
    ), status


@bp.get("/intake")
@signed_in
def intake_form():
    patient_actor()
    return _intake_page(request.args.to_dict(), {"symptoms": [], "urgent": []}, {})


@bp.post("/intake")
@signed_in
def intake_submit():
    actor = patient_actor()
    checked = {"symptoms": request.form.getlist("symptoms"), "urgent": request.form.getlist("urgent")}
    answers, errors = parse_intake(request.form, checked["symptoms"], checked["urgent"])
    if answers is None:
        return _intake_page(request.form.to_dict(), checked, errors, 422)
    need = need_for(request.form.get("need"))
    alert_to = current_app.config.get("URGENT_ALERT_EMAIL")
    record = intake.submit(
        db.session, actor.patient_id, answers, need=need and need.key, now=clock.now(), alert_to=alert_to
    )
    if record.red_flags:
        return redirect(url_for("care.urgent"))
    if (request.form.get("day") or "").isdigit():  # they came from booking a whole clinic day
        flash("Thank you. Here are the days we can see you.")
        return redirect(url_for("days.times", pathway=request.form["day"]))
    flash("Thank you. Here are the first times we can see you.")
    q, _ = parse_care(request.form, None)
    return redirect(url_for("care.search", **(q.params() if q else {})))


@bp.get("/urgent")
@signed_in
def urgent():
    patient = me()
    case = intake.open_case(db.session, patient.id)
    if case is None:
        return redirect(url_for("care.search"))
    cfg = current_app.config
    advice = urgent_line.advice_for(patient, cfg["URGENT_PHONES"], cfg["URGENT_PHONE"])
    return render_template("patient/urgent.html", flags=describe(case.flags), advice=advice, at_check_in=False)
