"""The call-us page a patient reaches from the board's message when the care team books the plan itself. It
names nothing about the patient or the plan (anyone with the link sees the same page): only the number, in the
signed-in patient's national form when they are in its country."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from televisit.extensions import db
from televisit.services.messaging.messages import DEMO_CARE_PHONE
from televisit.services.messaging.plans import phone_for_patient
from televisit.web.auth import current_actor

bp = Blueprint("plan", __name__)


@bp.get("/care-plan")
def call_us():
    actor = current_actor()
    patient_id = actor.patient_id if actor is not None else None
    number = current_app.config.get("CARE_TEAM_PHONE") or DEMO_CARE_PHONE
    shown, tel = phone_for_patient(db.session, number, patient_id)
    return render_template("patient/care_plan.html", phone=shown, tel=tel)
