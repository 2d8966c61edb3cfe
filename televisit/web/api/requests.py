"""Booking requests read from fields: one reading for the JSON API and the desk's forms alike."""

from __future__ import annotations

from televisit.domain.availability import MODES
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.web.api.parse import Fields, ident, instant, list_of, one_of, region


def slot_request(f: Fields) -> SlotRequest:
    """The slot a booking asks for (every field required but the patient's region)."""
    return SlotRequest(
        visit_type_id=f.get("visit_type_id", ident, required=True),
        clinician_id=f.get("clinician_id", ident, required=True),
        location_id=f.get("location_id", ident, required=True),
        mode=f.get("mode", one_of(*MODES), required=True),
        start=f.get("start", instant, required=True),
        patient_region=f.get("patient_region", region),
        clinician_ids=_ids(f, "clinician_ids"),
        resource_ids=_ids(f, "resource_ids"),
    )


def _ids(f: Fields, name: str) -> tuple[int, ...] | None:
    """An optional list of ids (a joint visit's clinicians, a visit's resources), in order."""
    found = f.get(name, list_of(ident, max_len=6, unique=False))
    return None if found is None else tuple(found)


def move_request(f: Fields) -> booking.MoveRequest:
    """A reschedule: the new start, and optionally another clinician, site, mode or region."""
    return booking.MoveRequest(
        start=f.get("start", instant, required=True),
        clinician_id=f.get("clinician_id", ident),
        location_id=f.get("location_id", ident),
        mode=f.get("mode", one_of(*MODES)),
        patient_region=f.get("patient_region", region),
    )
