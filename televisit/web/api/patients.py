"""POST /patients, GET /patients/<id>."""

from flask import jsonify

from televisit import clock
from televisit.domain.errors import NotFound
from televisit.domain.roles import ADMIN, SCHEDULER
from televisit.extensions import db
from televisit.services.patients import records as patients
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import Fields, boolean, email, json_body, phone, region, text, zone_name
from televisit.web.api.serialize import patient_json
from televisit.web.auth import current_actor, roles_required


@bp.post("/patients")
@roles_required(ADMIN, SCHEDULER)
def create_patient():
    data = patient_data(json_body())
    return jsonify(patient_json(patients.create_patient(db.session, data, now=clock.now()))), 201


def patient_data(body) -> dict:
    """A validated new patient (shared with the scheduler's register form)."""
    f = Fields(body)
    data = {
        "name": f.get("name", text(120), required=True),
        "email": f.get("email", email, required=True),
        "phone": f.get("phone", phone, required=True),
        "timezone": f.get("timezone", zone_name, required=True),
        "region": f.get("region", region),
        "sms_opt_in": f.get("sms_opt_in", boolean, default=True),
        "email_opt_in": f.get("email_opt_in", boolean, default=True),
    }
    f.done()
    return data


@bp.get("/patients/<int:patient_id>")
@roles_required()
def get_patient(patient_id: int):
    actor = current_actor()
    if actor.role == "patient" and actor.patient_id != patient_id or actor.role == "clinician":
        raise NotFound("No such patient.")
    return jsonify(patient_json(patients.get_patient(db.session, patient_id)))
