"""The directory under /fhir: Location (sites), Practitioner and PractitionerRole (clinicians),
HealthcareService (visit types) and Schedule (one per clinician and site where they have weekly rules).
Public, as the catalog is in /api/v1; read by id and searched with paging (`_count`, `_offset`, `total`).
"""

from __future__ import annotations

from datetime import timedelta

from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from flask import request

from televisit import clock
from televisit.domain.errors import NotFound
from televisit.domain.specialties import specialty_name
from televisit.extensions import db
from televisit.models import Clinician, Location, VisitType
from televisit.services import directory
from televisit.services.directory import Directory, Offer, name_matches
from televisit.web.fhir import codes, ids
from televisit.web.fhir import params as p
from televisit.web.fhir.auth import allowed
from televisit.web.fhir.blueprint import bp
from televisit.web.fhir.build import location_resource, schedule_resource
from televisit.web.fhir.bundle import page_of, searchset
from televisit.web.fhir.responses import fhir_json

# --- resources ---------------------------------------------------------------------------------------------


def _ref(resource_type: str, item) -> dict:
    return {"reference": f"{resource_type}/{item.id}", "display": item.name}


def practitioner_resource(c: Clinician) -> Practitioner:
    """A clinician: the name only (their work email and phone are for staff, as in /api/v1)."""
    return Practitioner(id=str(c.id), active=True, name=[{"text": c.name}])


def role_resource(d: Directory, c: Clinician) -> PractitionerRole:
    """A clinician's one role: specialty, the sites where they hold clinics, the visit types they offer."""
    return PractitionerRole(
        id=str(c.id),
        active=True,
        practitioner=_ref("Practitioner", c),
        specialty=[codes.specialty(c.specialty, specialty_name(c.specialty))],
        location=[_ref("Location", loc) for loc in d.sites_of(c.id)],
        healthcareService=[_ref("HealthcareService", vt) for vt in sorted(c.visit_types, key=lambda v: v.id)],
    )


def _mode(mode: str) -> dict:
    text = codes.MODE_TEXT.get(mode, mode)
    return {"coding": [{"system": codes.system(codes.MODE_SYSTEM_PATH), "code": mode, "display": text}], "text": text}


def service_resource(d: Directory, vt: VisitType) -> HealthcareService:
    """A visit type: its length and modes, and the sites where some clinician offers it."""
    ways = " or ".join(codes.MODE_TEXT.get(m, m).lower() for m in vt.modes)
    return HealthcareService(
        id=str(vt.id),
        active=True,
        name=vt.name,
        type=[codes.service_type(vt.id, vt.name)],  # R4 names it `type`; the same coding as Slot.serviceType
        characteristic=[_mode(m) for m in vt.modes],
        extraDetails=f"{vt.duration_minutes} minutes; {ways}.",
        comment=vt.description or None,
        appointmentRequired=True,
        location=[_ref("Location", loc) for loc in d.sites_offering(vt.id)],
    )


def schedule_of(offer: Offer):
    """One clinician's Schedule at one site; its planning horizon reaches as far as the visits can be booked."""
    now = clock.now()
    days = offer.horizon_days
    c, loc = offer.clinician, offer.location
    services = [(vt.id, vt.name) for vt in offer.visit_types]
    horizon = (now, now + timedelta(days=days)) if days else None
    return schedule_resource(c.id, c.name, loc.id, loc.name, services, horizon)


# --- search parameters: each makes a test of one item from the values of one occurrence -----------------


def _ids(_d, _name, values):
    wanted = {p.number(v) for v in values}
    return lambda item: item.id in wanted


def _names(_d, _name, values):
    return lambda item: any(name_matches(item.name, v) for v in values)


def _refs(resource_type: str):
    def ids_of(name, values) -> set[int | None]:
        return {p.number(i) for _, i in (p.reference(name, v, (resource_type,)) for v in values)}

    return ids_of


def _codes(system_path: str, values) -> set[str | None]:
    return {p.token(v, codes.system(system_path)) for v in values}


def _role_at(d, name, values):
    wanted = _refs("Location")(name, values)
    return lambda c: any(loc.id in wanted for loc in d.sites_of(c.id))


def _role_offers(_d, name, values):
    wanted = _refs("HealthcareService")(name, values)
    return lambda c: any(vt.id in wanted for vt in c.visit_types)


def _role_of(_d, name, values):
    wanted = _refs("Practitioner")(name, values)
    return lambda c: c.id in wanted


def _role_specialty(_d, _name, values):
    wanted = _codes(codes.SPECIALTY_SYSTEM_PATH, values)
    return lambda c: c.specialty in wanted


def _offered_at(d, name, values):
    wanted = _refs("Location")(name, values)
    return lambda vt: any(loc.id in wanted for loc in d.sites_offering(vt.id))


def _schedule_ids(_d, _name, values):
    return lambda o: ids.schedule_id(o.clinician.id, o.location.id) in values


def _schedule_actor(_d, name, values):
    refs = [p.reference(name, v, ("Practitioner", "Location")) for v in values]
    wanted = {(kind, p.number(i)) for kind, i in refs}  # a bare id (kind None) may name either

    def test(o: Offer) -> bool:
        mine = {("Practitioner", o.clinician.id), ("Location", o.location.id), (None, o.clinician.id)}
        mine.add((None, o.location.id))
        return bool(wanted & mine)

    return test


def _schedule_service(_d, _name, values):
    wanted = _codes(codes.SERVICE_TYPE_SYSTEM_PATH, values)
    return lambda o: any(str(vt.id) in wanted for vt in o.visit_types)


SEARCHES = {
    "Location": {"_id": _ids, "name": _names},
    "Practitioner": {"_id": _ids, "name": _names},
    "PractitionerRole": {
        "_id": _ids,
        "practitioner": _role_of,
        "specialty": _role_specialty,
        "location": _role_at,
        "service": _role_offers,
    },
    "HealthcareService": {"_id": _ids, "name": _names, "location": _offered_at},
    "Schedule": {"_id": _schedule_ids, "actor": _schedule_actor, "service-type": _schedule_service},
}


def _search(d: Directory, resource_type: str, items, build):
    """A searchset of the `items` every parameter accepts, one page of them, with the total."""
    page = page_of(request.args)
    tests = [SEARCHES[resource_type][name](d, name, values) for name, values in p.occurrences(resource_type)]
    found = directory.select(items, tests)
    return fhir_json(searchset([build(item) for item in found[page.offset : page.end]], page, total=len(found)))


def _found(d: Directory, kind: type, resource_type: str, raw: str):
    number = p.number(raw)
    item = None if number is None else d.get(kind, number)
    if item is None:
        raise NotFound(f"No {resource_type} with id {raw!r}.")
    return item


# --- routes --------------------------------------------------------------------------------------------------


@bp.get("/Location/<location_id>")
@allowed("Location", public=True)
def read_location(location_id: str):
    return fhir_json(location_resource(_found(directory.load(db.session), Location, "Location", location_id)))


@bp.get("/Location")
@allowed("Location", public=True)
def search_locations():
    d = directory.load(db.session)
    return _search(d, "Location", d.locations, location_resource)


@bp.get("/Practitioner/<clinician_id>")
@allowed("Practitioner", public=True)
def read_practitioner(clinician_id: str):
    d = directory.load(db.session)
    return fhir_json(practitioner_resource(_found(d, Clinician, "Practitioner", clinician_id)))


@bp.get("/Practitioner")
@allowed("Practitioner", public=True)
def search_practitioners():
    d = directory.load(db.session)
    return _search(d, "Practitioner", d.clinicians, practitioner_resource)


@bp.get("/PractitionerRole/<clinician_id>")
@allowed("PractitionerRole", public=True)
def read_practitioner_role(clinician_id: str):
    d = directory.load(db.session)
    return fhir_json(role_resource(d, _found(d, Clinician, "PractitionerRole", clinician_id)))


@bp.get("/PractitionerRole")
@allowed("PractitionerRole", public=True)
def search_practitioner_roles():
    d = directory.load(db.session)
    return _search(d, "PractitionerRole", d.clinicians, lambda c: role_resource(d, c))


@bp.get("/HealthcareService/<visit_type_id>")
@allowed("HealthcareService", public=True)
def read_healthcare_service(visit_type_id: str):
    d = directory.load(db.session)
    return fhir_json(service_resource(d, _found(d, VisitType, "HealthcareService", visit_type_id)))


@bp.get("/HealthcareService")
@allowed("HealthcareService", public=True)
def search_healthcare_services():
    d = directory.load(db.session)
    return _search(d, "HealthcareService", d.visit_types, lambda vt: service_resource(d, vt))


@bp.get("/Schedule/<schedule_id>")
@allowed("Schedule", public=True)
def read_schedule(schedule_id: str):
    offer = directory.load(db.session).offer(*ids.schedule_key(schedule_id))
    if offer is None:
        raise NotFound(f"No Schedule with id {schedule_id!r}.")
    return fhir_json(schedule_of(offer))


@bp.get("/Schedule")
@allowed("Schedule", public=True)
def search_schedules():
    d = directory.load(db.session)
    return _search(d, "Schedule", d.offers, schedule_of)
