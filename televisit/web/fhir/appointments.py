"""Appointment: read and search (`patient`, `date` with prefixes eq/ge/gt/le/lt, `status`, `_count`/`_offset`).

The same rows and the same visibility as `/api/v1/appointments` (services/booking/appointments.py): a patient
sees only their own, a clinician the visits they attend, schedulers and admins (and system clients with
Appointment read) all; reading one the caller may not see is a 404. A patient's name is shown only to callers
who may read that Patient (a system client needs Patient read for it).
"""

from __future__ import annotations

from flask import request

from televisit.domain.errors import Invalid
from televisit.extensions import db
from televisit.services.booking import appointments as booking
from televisit.services.integrations import appointments as info
from televisit.web.fhir import appointment_build as build
from televisit.web.fhir.auth import READ, Caller, allowed, current_caller
from televisit.web.fhir.blueprint import bp
from televisit.web.fhir.bundle import page_of, searchset
from televisit.web.fhir.parameters import date_bounds, int_ref
from televisit.web.fhir.responses import fhir_json


def shows_patient(caller: Caller) -> bool:
    """Whether the caller may read the Patients of the appointments it sees (and so see their names)."""
    return not caller.is_system or caller.may("Patient", READ)


def resources(appts, caller: Caller) -> list:
    """The Appointments of `appts` as `caller` may see them."""
    names = info.names(db.session, appts)
    return [build.stored(a, names, show_patient=shows_patient(caller)) for a in appts]


def _statuses(values: list[str]) -> tuple[str, ...] | None:
    codes = [v for raw in values for v in raw.split(",")]
    if not codes:
        return None
    unknown = sorted(set(codes) - set(build.FHIR_STATUSES))
    if unknown:
        raise Invalid({"status": f"Appointment status codes are {', '.join(build.FHIR_STATUSES)}"})
    return tuple(build.FROM_FHIR[c] for c in codes if c in build.FROM_FHIR)


def search_filter(args) -> booking.AppointmentFilter:
    """The search's parameters as the JSON API's filter (422 naming a bad one)."""
    patients = args.getlist("patient")
    if len(patients) > 1:
        raise Invalid({"patient": "give it once"})
    lo, hi = date_bounds(args.getlist("date"))
    patient_id = int_ref(patients[0], "Patient", "patient") if patients else None
    return booking.AppointmentFilter(lo=lo, hi=hi, patient_id=patient_id, statuses=_statuses(args.getlist("status")))


@bp.get("/Appointment/<int:appointment_id>")
@allowed("Appointment", READ)
def read_appointment(appointment_id: int):
    caller = current_caller()
    appt = booking.get_visible(db.session, appointment_id, caller.actor)
    return fhir_json(resources([appt], caller)[0])


@bp.get("/Appointment")
@allowed("Appointment", READ)
def search_appointments():
    caller = current_caller()
    page = page_of(request.args)
    flt = search_filter(request.args)
    found, total = info.page(db.session, flt, actor=caller.actor, offset=page.offset, count=page.count)
    return fhir_json(searchset(resources(found, caller), page, total=total))
