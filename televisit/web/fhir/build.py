"""Builders of the directory resources shared by reads, searches and the bulk files: Location and Schedule.
Built with `fhir.resources` R4B models (R4's scheduling resources), so what is not valid R4 fails here."""

from __future__ import annotations

from datetime import datetime

from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.schedule import Schedule as FhirSchedule

from televisit.web.fhir import codes
from televisit.web.fhir.ids import schedule_id


def location_resource(loc) -> FhirLocation:
    """A site (`models.Location`, or any object with id, name, city, region, country, timezone)."""
    state = loc.region.split("-", 1)[1] if "-" in loc.region else None
    return FhirLocation(
        id=str(loc.id),
        status="active",
        name=loc.name,
        mode="instance",
        address={"city": loc.city, "state": state, "country": loc.country},
        extension=[{"url": "http://hl7.org/fhir/StructureDefinition/timezone", "valueCode": loc.timezone}],
    )


def schedule_resource(clinician_id: int, clinician_name: str, loc_id: int, loc_name: str, services, horizon=None):
    """One clinician's Schedule at one site; `services`: (visit type id, name) pairs they offer there;
    `horizon`: (start, end) aware instants of the planning horizon, when known."""
    body = {
        "id": schedule_id(clinician_id, loc_id),
        "active": True,
        "serviceType": [codes.service_type(vt_id, name) for vt_id, name in services],
        "actor": [
            {"reference": f"Practitioner/{clinician_id}", "display": clinician_name},
            {"reference": f"Location/{loc_id}", "display": loc_name},
        ],
    }
    if horizon:
        body["planningHorizon"] = {"start": _instant(horizon[0]), "end": _instant(horizon[1])}
    return FhirSchedule(**body)


def _instant(when: datetime) -> str:
    return when.isoformat(timespec="seconds")
