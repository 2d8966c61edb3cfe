"""Patient pages: sign up and profile, plus the helpers the other patient page modules share.

Find care and the intake are in patient_care.py, my appointments in patient_visits.py.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from televisit import clock
from televisit.domain.errors import Forbidden, Invalid
from televisit.domain.passwords import HINT
from televisit.domain.patient_input import COMMON_ZONES, DEFAULT_ZONE, other_zones, parse_contact, parse_signup
from televisit.domain.regions import CHOICES as REGIONS
from televisit.domain.roles import PATIENT, Actor
from televisit.extensions import db
from televisit.models import Patient
from televisit.services.patients import account as patient_account
from televisit.services.patients import phones
from televisit.services.patients.records import get_patient
from televisit.web.auth import current_actor
from televisit.web.security import account_email_limited
from televisit.web.sessions import landing

bp = Blueprint("patient", __name__)


def signed_in(view):
    """Anonymous visitors go to the sign-in page (and come back after)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_actor() is None:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def patient_actor() -> Actor:
    """The signed-in patient (Forbidden, with a friendly message, for staff)."""
    actor = current_actor()
    if actor is None or actor.role != PATIENT or actor.patient_id is None:
        raise Forbidden("These pages are for patients. Staff book and manage visits from the scheduler pages.")
    return actor


def me() -> Patient:
    """The signed-in patient's record."""
    return get_patient(db.session, patient_actor().patient_id)


def zone_choices() -> dict:
    """The time zone select's groups."""
    return {"common": COMMON_ZONES, "others": other_zones()}


def _form_page(template: str, errors: dict, status: int = 200, **ctx):
    ctx.setdefault("password_hint", HINT)
    return render_template(template, errors=errors, zones=zone_choices(), regions=REGIONS, **ctx), status


@bp.route("/signup", methods=["GET", "POST"])
@account_email_limited
def signup():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(landing(current_user))
    form = request.form
    if request.method == "GET":
        defaults = {"timezone": "", "email_opt_in": "on", "sms_opt_in": ""}
        return _form_page("patient/signup.html", {}, form=defaults, guess=True)
    data, errors = parse_signup(phones.with_e164(form))
    if data is not None:
        try:  # the same answer whether or not the address has an account: only its inbox learns which
            patient_account.sign_up(db.session, data, now=clock.now())
        except Invalid as exc:  # the password policy, checked before the address is looked up
            errors = exc.fields
        else:
            return redirect(url_for("account.check_email", after="signup"))
    return _form_page("patient/signup.html", errors, 422, form=form, guess=not form.get("timezone"))


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile():
    patient = me()
    if request.method == "GET":
        return _form_page("patient/profile.html", {}, form=_profile_values(patient), patient=patient)
    contact, errors = parse_contact(phones.with_e164(request.form))
    if errors:
        return _form_page("patient/profile.html", errors, 422, form=request.form, patient=patient)
    patient_account.update_contact(db.session, patient.id, contact)
    flash("Your profile is saved.")
    return redirect(url_for("patient.profile"))


def _profile_values(patient: Patient) -> dict:
    return {
        "timezone": patient.timezone or DEFAULT_ZONE,
        "region": patient.region or "",
        "phone": phones.for_patient(patient, patient.phone),  # national form at home: '07700 900123'
        "sms_opt_in": "on" if patient.sms_opt_in else "",
        "email_opt_in": "on" if patient.email_opt_in else "",
    }
