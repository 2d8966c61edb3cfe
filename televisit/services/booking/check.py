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
from televisit.services.booking.extras import Extras, with_parties
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
    clinician_ids: tuple[int, ...] | None = None  # a joint visit's clinicians as asked for (None: the server picks)
    resource_ids: tuple[int, ...] | None = None  # the resources asked for (None: the server picks free ones)


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
    span = (lo - MARGIN, hi + MARGIN)
    busy, off = busy_time.blocked(session, [req.clinician_id], *span, exclude_appointment_id, snap=snap)
    cid, rules = req.clinician_id, clinician.rules_at(req.location_id)
    closed = snap.is_closed(req.location_id, day)
    cd = ClinicianDay(cid, req.location_id, zone, day, rules, Intervals(busy[cid]), Intervals(off[cid]), closed)
    reason = refusal(cd, visit, req.start, req.mode, now=now)
    if reason is not None:
        raise unavailable(reason)
    slot = Slot(cid, req.location_id, visit.id, req.mode, req.start, req.start + visit.duration)
    if visit.needs_more:
        slot = _completed(session, snap, visit, slot, req, span, exclude_appointment_id)
    return slot, visit


def _completed(session: Session, snap: Snapshot, visit: VisitSpec, slot: Slot, req: SlotRequest, span, exclude):
    """The slot with the joint visit's clinicians and the resources it holds (as asked, or picked), or 409."""
    _check_asked(snap, visit, req)
    extras = Extras(snap, visit, req.patient_region, req.location_id).load(session, *span, exclude)
    team = extras.team_for(slot, req.clinician_ids)
    if team is None:
        raise unavailable("no_team")
    held = extras.resources_for(slot, req.resource_ids)
    if held is None:
        raise unavailable("no_resource")
    return with_parties(slot, team, held)


def _check_asked(snap: Snapshot, visit: VisitSpec, req: SlotRequest) -> None:
    """Clinicians and resources asked for must be what the visit needs, in order (422 otherwise)."""
    fields = {}
    team = visit.team or ()
    if req.clinician_ids is not None:
        asked = [snap.clinicians.get(c) for c in req.clinician_ids]
        ok = len(asked) == max(len(team), 1) and req.clinician_ids[0] == req.clinician_id
        ok = ok and all(e is not None and (not team or e.specialty == team[i]) for i, e in enumerate(asked))
        if not ok:
            fields["clinician_ids"] = (
                f"one clinician of each of {', '.join(team) or 'the lead'}, the first being clinician_id"
            )
    if req.resource_ids is not None:
        asked = [snap.resources.get(r) for r in req.resource_ids]
        ok = len(asked) == len(visit.resource_kinds)
        ok = ok and all(r is not None and r.kind == visit.resource_kinds[i] for i, r in enumerate(asked))
        if not ok:
            kinds = ", ".join(visit.resource_kinds) or "none"
            fields["resource_ids"] = f"one resource of each kind this visit needs, in order ({kinds})"
    if fields:
        raise Invalid(fields)


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
