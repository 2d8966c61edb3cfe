"""POST /patients, GET /patients?q=, GET /patients/<id>."""

from flask import jsonify, request

from televisit import clock
from televisit.domain.errors import SAME_NAME_AND_BIRTH, NotFound
from televisit.domain.identity import read_query
from televisit.domain.roles import ADMIN, CLINICIAN, SCHEDULER
from televisit.domain.timezones import get_zone, local_date
from televisit.extensions import db
from televisit.services.patients import identity
from televisit.services.patients import records as patients
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import (
    Fields,
    birth_date,
    boolean,
    email,
    json_body,
    mrn,
    national_phone,
    region,
    text,
    zone_name,
)
from televisit.web.api.serialize import patient_json
from televisit.web.auth import current_actor, roles_required
from televisit.web.staff import desk_region, viewer_locale

EARLIEST_ZONE = get_zone("Pacific/Kiritimati")  # where a day starts first: born "today" anywhere is not future


@bp.post("/patients")
@roles_required(ADMIN, SCHEDULER)
def create_patient():
    body = json_body()
    data = patient_data(body)
    f = Fields(body)
    confirm_new = f.get("confirm_new", boolean, default=False)
    f.done()
    # Same name and birth date: refused (409 possible_duplicate) unless confirmed. Same phone only: registered,
    # and the look-alikes named in the answer (a household often shares one number).
    made = patients.register(db.session, data, now=clock.now(), confirm_new=confirm_new, refuse={SAME_NAME_AND_BIRTH})
    alike = [{"patient_id": p.id, "match": why} for p, why in made.alike]
    return jsonify(patient_json(made.patient) | {"possible_duplicates": alike}), 201


def patient_data(body, *, default_region: str | None = None) -> dict:
    """A validated new patient (shared with the desk's register form). A national phone number is read for the
    patient's region's country, else for `default_region`'s (the desk's own)."""
    f = Fields(body)
    where = f.get("region", region)
    data = {
        "name": f.get("name", text(120), required=True),
        "email": f.get("email", email, required=True),
        "phone": f.get("phone", national_phone(where or default_region), required=True),
        "timezone": f.get("timezone", zone_name, required=True),
        "region": where,
        "date_of_birth": f.get("date_of_birth", birth_date(local_date(clock.now(), EARLIEST_ZONE))),
        "mrn": f.get("mrn", mrn),
        "sms_opt_in": f.get("sms_opt_in", boolean, default=True),
        "email_opt_in": f.get("email_opt_in", boolean, default=True),
    }
    f.done()
    return data


@bp.get("/patients")
@roles_required(ADMIN, SCHEDULER, CLINICIAN)
def list_patients():
    q = read_query(request.args.get("q", ""), locale=viewer_locale(), region=desk_region())
    found, more = identity.search(db.session, q, actor=current_actor())
    return jsonify({"patients": [patient_json(p) for p in found], "more": more})


@bp.get("/patients/<int:patient_id>")
@roles_required()
def get_patient(patient_id: int):
    actor = current_actor()
    if actor.role == "patient" and actor.patient_id != patient_id or actor.role == "clinician":
        raise NotFound("No such patient.")
    return jsonify(patient_json(patients.get_patient(db.session, patient_id)))
