"""Patients at the desk: the search page (name, MRN, date of birth, phone) and a patient's staff record."""

from __future__ import annotations

from flask import render_template, request

from televisit import clock
from televisit.domain.roles import CLINICIAN
from televisit.extensions import db
from televisit.services.desk import patient_record as staff_record
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, bp
from televisit.web.desk.booking import find_results
from televisit.web.staff import desk_roles, viewer_locale


@bp.get("/patients")
@desk_roles(*DESK)
def patients():
    return render_template("scheduler/patients.html", **find_results(request.args))


@bp.get("/patients/<int:patient_id>")
@desk_roles(*DESK, CLINICIAN)
def patient_record(patient_id: int):
    actor = current_actor()
    shown = staff_record.record(db.session, patient_id, actor=actor, now=clock.now(), locale=viewer_locale())
    return render_template("scheduler/patient.html", r=shown, p=shown.patient, desk=actor.is_booker)
