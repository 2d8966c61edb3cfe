"""The FHIR Appointment (R4, built with `fhir.resources` R4B models): a stored appointment (booked, a hold,
under way, over) or a proposed one from `$find` (a free slot, id `p.<slot id>`).

- status: booked→booked, checked_in→checked-in, in_visit→arrived, completed→fulfilled, cancelled→cancelled,
  no_show→noshow, pending (a hold)→pending; a `$find` proposal is `proposed`.
- start/end on the site's clock (instants with its offset); serviceType is the visit type; appointmentType
  says video or in person (a coding of ours: R4 has no virtual-service element).
- participant: the Patient (its name only to callers who may read that Patient), every attending Practitioner
  (a joint visit's whole team, the lead first), the Location, and each room or machine held (R4 has a
  Reference(Device) but we serve no Device: `actor.type` "Device" and its name).
- A step of a clinic day or a visit of a treatment course lists the other steps' Appointments in
  `supportingInformation` (no R4 element groups appointments; each step is its own Appointment with its own
  participants).
- A hold carries its expiry in the extension `<base>/fhir/StructureDefinition/hold-expires` (valueInstant).
"""

from __future__ import annotations

from fhir.resources.R4B.appointment import Appointment as FhirAppointment

from televisit.domain import appointments as st
from televisit.domain.availability import Slot
from televisit.domain.timezones import UTC, get_zone, render
from televisit.web.fhir import codes
from televisit.web.fhir.ids import SlotKey

STATUS = {
    st.BOOKED: "booked",
    st.CHECKED_IN: "checked-in",
    st.IN_VISIT: "arrived",
    st.COMPLETED: "fulfilled",
    st.CANCELLED: "cancelled",
    st.NO_SHOW: "noshow",
    st.PENDING: "pending",
}
FROM_FHIR = {fhir: ours for ours, fhir in STATUS.items()}
# Every Appointment status of R4: those we never store ("proposed", "entered-in-error", "waitlist") match nothing.
FHIR_STATUSES = (*STATUS.values(), "proposed", "entered-in-error", "waitlist")
HOLD_EXPIRES_PATH = "/fhir/StructureDefinition/hold-expires"
PART_OF = {"day": "Another step of the same clinic day", "course": "Another visit of the same treatment course"}


def mode_type(mode: str) -> dict:
    """`appointmentType`: video or in person."""
    text = codes.MODE_TEXT.get(mode, mode)
    return {"coding": [{"system": codes.system(codes.MODE_SYSTEM_PATH), "code": mode, "display": text}], "text": text}


def _party(actor: dict, status: str) -> dict:
    return {"actor": actor, "required": "required", "status": status}


def _ref(kind: str, ident: int, display: str | None) -> dict:
    return {"reference": f"{kind}/{ident}"} | ({"display": display} if display else {})


def participants(info, *, patient: tuple[int, str | None] | None, clinicians, location_id, resources, status) -> list:
    """The patient (id, name or None), each clinician, the site, and each resource held."""
    out = [_party(_ref("Patient", patient[0], patient[1]), status)] if patient else []
    out += [_party(_ref("Practitioner", c, info.clinicians.get(c)), status) for c in clinicians]
    out.append(_party(_ref("Location", location_id, info.locations[location_id][0]), status))
    out += [_party({"type": "Device", "display": info.resources.get(r, "Resource")}, status) for r in resources]
    return out


def _common(info, visit_type_id: int, mode: str, location_id: int, start, end) -> dict:
    zone = get_zone(info.locations[location_id][1])
    return {
        "serviceType": [codes.service_type(visit_type_id, info.visit_types.get(visit_type_id, "Visit"))],
        "appointmentType": mode_type(mode),
        "start": render(start, zone),
        "end": render(end, zone),
        "minutesDuration": max(int((end - start).total_seconds() // 60), 1),
    }


def stored(appt, info, *, show_patient: bool) -> FhirAppointment:
    """A stored appointment; `info`: the parties' names (services/integrations/appointments.py `names`)."""
    status = STATUS.get(appt.status, "booked")
    body = {
        "id": str(appt.id),
        "meta": {"lastUpdated": render(appt.updated_at, UTC)},
        "status": status,
        "created": render(appt.created_at, UTC),
        **_common(info, appt.visit_type_id, appt.mode, appt.location_id, appt.start_at, appt.end_at),
        "participant": participants(
            info,
            patient=(appt.patient_id, appt.patient.name if show_patient else None),
            clinicians=appt.attending_ids,
            location_id=appt.location_id,
            resources=appt.held_resource_ids,
            status="tentative" if appt.status == st.PENDING else "accepted",
        ),
    }
    if appt.status in (st.CANCELLED, st.NO_SHOW) and appt.cancel_reason:
        body["cancelationReason"] = {"text": appt.cancel_reason}
    if appt.status == st.PENDING and appt.hold_expires_at:
        url = codes.system(HOLD_EXPIRES_PATH)
        body["extension"] = [{"url": url, "valueInstant": render(appt.hold_expires_at, UTC)}]
    steps = info.steps.get(appt.id)
    if steps:
        label = PART_OF["day" if appt.itinerary_id else "course"]
        body["supportingInformation"] = [{"reference": f"Appointment/{i}", "display": label} for i in steps]
    return FhirAppointment(**body)


def proposed(slot: Slot, info, *, patient: tuple[int, str | None] | None) -> FhirAppointment:
    """A free slot offered by `$find`; its id brings it back in `$hold` and `$book`."""
    key = SlotKey(slot.clinician_id, slot.location_id, slot.visit_type_id, slot.mode, slot.start)
    return FhirAppointment(
        id=key.proposed_id(),
        status="proposed",
        slot=[{"reference": f"Slot/{key.id()}"}],
        **_common(info, slot.visit_type_id, slot.mode, slot.location_id, slot.start, slot.end),
        participant=participants(
            info,
            patient=patient,
            clinicians=slot.attending,
            location_id=slot.location_id,
            resources=slot.resource_ids,
            status="needs-action",
        ),
    )
