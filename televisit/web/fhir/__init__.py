"""The FHIR R4 facade under /fhir (API.md "FHIR R4"): the directory, Slot and Appointment over the same
engine as `/api/v1`, IHE ITI Scheduling's `$find`/`$hold`/`$book`, SMART Scheduling Links' `$bulk-publish`,
and SMART Backend Services tokens for systems. docs/fhir.md shows an EHR's round trip."""

from televisit.web.fhir import (  # noqa: F401  (each adds its routes to the blueprint)
    appointments,
    directory,
    metadata,
    oauth,
    operations,
    patients,
    publish,
    slots,
)
from televisit.web.fhir.blueprint import bp

__all__ = ["bp"]
