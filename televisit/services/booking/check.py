"""The booking check: may this exact slot be booked (or an appointment moved to it), and if not, why.

It asks the same pure engine as the slot search (`domain.availability.refusal`, DESIGN rule 5), with the
catalog from the in-memory snapshot and the clinician's busy time and time off around that day from the
database; the database's overlap guard is still the last word when the row is written (rule 6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from televisit.domain.availability import REASONS, ClinicianDay, Intervals, Slot, VisitSpec, refusal
from televisit.domain.errors import Invalid, SlotUnavailable
from televisit.domain.licensure import covers
from televisit.domain.timezones import date_range_bounds, get_zone, local_date
from televisit.services.booking import busy_time
from televisit.services.booking import snapshot as catalog_snapshot
from televisit.services.booking.snapshot import Snapshot

MARGIN = timedelta(days=1)  # bookings just outside the day can still block (buffers)


@dataclass(frozen=True)
class SlotRequest:
    """A single slot someone wants to book (or move to)."""

    visit_type_id: int
    clinician_id: int
    location_id: int
    mode: str
    start: datetime
    patient_region: str | None


def check_slot(session: Session, req: SlotRequest, *, now: datetime, exclude_appointment_id: int | None = None) -> Slot:
    """The Slot for `req`, or SlotUnavailable/Invalid saying exactly why not."""
    return checked_slot(session, req, now=now, exclude_appointment_id=exclude_appointment_id)[0]


def checked_slot(
    session: Session,
    req: SlotRequest,
    *,
    now: datetime,
    exclude_appointment_id: int | None = None,
    snap: Snapshot | None = None,
) -> tuple[Slot, VisitSpec]:
    """`check_slot`, also returning the visit spec (the booking needs its buffers).

    `snap`: the catalog when the caller has it already (read with the stamp it fetched)."""
    busy_time.flush_pending(session)
    snap = snap or catalog_snapshot.current(session)
    visit, zone_name, clinician = _parties(snap, req)
    _check_offer(visit, clinician, req)
    zone = get_zone(zone_name)
    day = local_date(req.start, zone)
    lo, hi = date_range_bounds(day, day, zone)
    busy, off = busy_time.blocked(session, [req.clinician_id], lo - MARGIN, hi + MARGIN, exclude_appointment_id)
    cid, rules = req.clinician_id, clinician.rules_at(req.location_id)
    cd = ClinicianDay(cid, req.location_id, zone, day, rules, Intervals(busy[cid]), Intervals(off[cid]))
    reason = refusal(cd, visit, req.start, req.mode, now=now)
    if reason is not None:
        raise unavailable(reason)
    return Slot(cid, req.location_id, visit.id, req.mode, req.start, req.start + visit.duration), visit


def _parties(snap: Snapshot, req: SlotRequest):
    """The visit type, the site's zone and the clinician; Invalid names the visit type when it does not
    exist, else every missing party."""
    visit = snap.visits.get(req.visit_type_id)
    if visit is None:
        raise Invalid({"visit_type_id": "no such visit type"})
    clinician, zone_name = snap.clinicians.get(req.clinician_id), snap.zones.get(req.location_id)
    fields = {}
    if clinician is None:
        fields["clinician_id"] = "no such clinician"
    if zone_name is None:
        fields["location_id"] = "no such location"
    if fields:
        raise Invalid(fields)
    return visit, zone_name, clinician


def _check_offer(visit: VisitSpec, clinician, req: SlotRequest) -> None:
    """The mode, the clinician's offer of this visit type, and licensure for video."""
    if req.mode not in visit.modes:
        raise Invalid({"mode": f"this visit type is offered only as {', '.join(sorted(visit.modes))}"})
    if visit.id not in clinician.visit_type_ids:
        raise unavailable("not_offered")
    if req.mode == "virtual" and not req.patient_region:
        raise Invalid({"patient_region": "a video visit needs the region where the patient will be (e.g. US-OH, GB)"})
    if req.mode == "virtual" and not covers(clinician.licenses, req.patient_region):
        raise unavailable("not_licensed")


def unavailable(reason: str) -> SlotUnavailable:
    """SlotUnavailable (409) with the engine's reason code and its message."""
    return SlotUnavailable(REASONS[reason], reason=reason)
