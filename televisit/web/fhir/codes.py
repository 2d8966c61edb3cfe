"""The code systems and extensions the facade names. Our own codes live under the public base URL
(`<PUBLIC_URL>/fhir/CodeSystem/...`): a visit type is a HealthcareService and a `serviceType` coding; a
specialty is a `specialty` coding (with its text)."""

from __future__ import annotations

from flask import current_app

SERVICE_TYPE_SYSTEM_PATH = "/fhir/CodeSystem/visit-type"
SPECIALTY_SYSTEM_PATH = "/fhir/CodeSystem/specialty"
MODE_SYSTEM_PATH = "/fhir/CodeSystem/visit-mode"
MRN_SYSTEM_PATH = "/fhir/CodeSystem/mrn"  # a Patient's identifier: our medical record numbers
# SMART Scheduling Links' Slot extensions.
BOOKING_DEEP_LINK = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link"
BOOKING_PHONE = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone"
# A virtual visit (FHIR's virtual service detail is R5; in R4 we say it with a coding of our own + text).
MODE_TEXT = {"virtual": "Video visit", "in_person": "In person"}


def system(path: str) -> str:
    """A code system URL under our public base (stable across hosts that serve the same program)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def service_type(visit_type_id: int, name: str) -> dict:
    """The `serviceType` CodeableConcept of a visit type."""
    return {
        "coding": [{"system": system(SERVICE_TYPE_SYSTEM_PATH), "code": str(visit_type_id), "display": name}],
        "text": name,
    }


def specialty(code: str, text: str) -> dict:
    """The `specialty` CodeableConcept of one of our specialties (`code` as stored, `text` in words)."""
    return {"coding": [{"system": system(SPECIALTY_SYSTEM_PATH), "code": code, "display": text}], "text": text}
