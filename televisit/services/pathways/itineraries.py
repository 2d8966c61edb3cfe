"""Clinic days (itineraries): one appointment per pathway step, booked, moved and cancelled whole.

All or nothing, in one transaction: each step is checked by the booking check (DESIGN rule 5) and
written before the next is checked, so a later step sees what an earlier one holds; the database's
reservations refuse any overlap left (rule 6). When a step cannot be had nothing is written and the
answer names the step. The patient hears once for the whole day: the confirmation and the reminders
are planned on the first step (messages render the whole day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit import metrics
from televisit.domain import appointments as st
from televisit.domain.availability import Slot
from televisit.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from televisit.domain.pathways import Gaps, chain_problems
from televisit.domain.roles import PATIENT, Actor
from televisit.domain.timezones import get_zone, local_date
from televisit.models import Appointment, Itinerary, Pathway, VisitType
from televisit.services import outbox
from televisit.services.booking import appointments as booking
from televisit.services.booking import cap, freed, rows
from televisit.services.booking import snapshot as catalog_snapshot
from televisit.services.booking.check import SlotRequest, checked_slot
from televisit.services.pathways import whole
from televisit.services.pathways.catalog import get_pathway

BOOKED, CANCELLED = "booked", "cancelled"


@dataclass(frozen=True)
class StepRequest:
    """One step of a clinic day as asked for (the visit type comes from the pathway)."""

    start: datetime
    clinician_id: int
    location_id: int
    mode: str
    clinician_ids: tuple[int, ...] | None = None
    resource_ids: tuple[int, ...] | None = None


def _slot_requests(session: Session, pathway: Pathway, steps: list[StepRequest], region) -> list[SlotRequest]:
    """One SlotRequest per step, in the pathway's order (422 when the count or a fixed mode is wrong)."""
    if len(steps) != len(pathway.steps):
        raise Invalid({"steps": f"one step per pathway step ({len(pathway.steps)})"})
    wrong = {
        f"steps[{i}].mode": f"this step is {spec['mode'].replace('_', ' ')}"
        for i, (spec, s) in enumerate(zip(pathway.steps, steps, strict=True))
        if spec.get("mode") and s.mode != spec["mode"]
    }
    if wrong:
        raise Invalid(wrong)
    return [
        SlotRequest(
            spec["visit_type_id"],
            s.clinician_id,
            s.location_id,
            s.mode,
            s.start,
            region,
            s.clinician_ids,
            s.resource_ids,
        )
        for spec, s in zip(pathway.steps, steps, strict=True)
    ]


def _check_chain(snap, pathway: Pathway, reqs: list[SlotRequest]) -> None:
    """The steps make one clinic day: one site, one local date, in order with the pathway's gaps (422)."""
    spans = []
    for r in reqs:
        visit = snap.visits.get(r.visit_type_id)
        zone = snap.zones.get(r.location_id)
        if visit is None or zone is None:
            raise Invalid({"steps": "a step names a site or visit type that does not exist"})
        spans.append((r, r.start + visit.duration, get_zone(zone)))
    gaps = Gaps(timedelta(minutes=pathway.min_gap_minutes), timedelta(minutes=pathway.max_gap_minutes))
    slots = [Slot(r.clinician_id, r.location_id, r.visit_type_id, r.mode, r.start, end) for r, end, _ in spans]
    zones = {r.location_id: zone for r, _, zone in spans}
    problems = chain_problems(slots, gaps, lambda s: local_date(s.start, zones[s.location_id]))
    if problems:
        raise Invalid(problems, "These times do not make one clinic day.")


def _step_refused(i: int, pathway: Pathway, session: Session, exc: DomainError) -> DomainError:
    """The refusal of step `i`, naming it (fields re-keyed under `steps[i]`)."""
    name = session.get(VisitType, pathway.steps[i]["visit_type_id"]).name
    if isinstance(exc, Invalid):
        return Invalid({f"steps[{i}].{k}": v for k, v in exc.fields.items()}, f"Step {i + 1} ({name}): {exc.message}")
    exc.message = f"Step {i + 1} ({name}): {exc.message}"
    exc.extra = {**exc.extra, "step": i}
    return exc


def _patient_for(actor: Actor, pathway: Pathway, patient_id: int | None) -> int:
    """Whom the actor may book this day for: a patient themself, where the pathway allows it; staff anyone."""
    if actor.role == PATIENT and not pathway.self_bookable:
        raise Forbidden("This clinic day is booked by the care team. Please call us to arrange it.")
    return booking.patient_id_for(actor, patient_id)


@metrics.counts_bookings("clinic_day")
def book(
    session: Session,
    pathway_id: int,
    steps: list[StepRequest],
    *,
    actor: Actor,
    now: datetime,
    patient_id: int | None = None,
    patient_region: str | None = None,
    before_commit=None,
    max_upcoming: int = cap.DEFAULT_MOST,
) -> Itinerary:
    """Book a whole clinic day, or nothing (409 naming the step that cannot be had; 422 for bad input)."""
    pathway = get_pathway(session, pathway_id)
    self_service = actor.role == PATIENT
    who = rows.patient_for(session, _patient_for(actor, pathway, patient_id), lock=self_service)
    if self_service:  # a day the patient books themself counts toward their cap, one visit per step
        cap.check(session, who.patient.id, now=now, most=max_upcoming, adding=len(pathway.steps))
    region = patient_region or who.patient.region
    snap = catalog_snapshot.current(session, who.stamp)
    reqs = _slot_requests(session, pathway, steps, region)
    _check_chain(snap, pathway, reqs)
    itinerary = Itinerary(
        pathway_id=pathway.id,
        patient_id=who.patient.id,
        status=BOOKED,
        sequence=0,
        created_by_user_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    with booking.overlap_refused(session):
        session.add(itinerary)
        session.flush()
        appts = [
            _book_step(session, pathway, i, req, who, region, actor, now, snap, itinerary.id)
            for i, req in enumerate(reqs)
        ]
        site = outbox.Site(
            snap.zones[appts[0].location_id], snap.policies[appts[0].visit_type_id], who.patient.timezone
        )
        outbox.on_booked(session, appts[0], now=now, channels=outbox.reachable(who.patient, who.phone), site=site)
        if before_commit:
            before_commit(itinerary)
        session.commit()
    return itinerary


def _book_step(session, pathway, i, req, who, region, actor, now, snap, itinerary_id) -> Appointment:
    try:
        slot, visit = checked_slot(session, req, now=now, snap=snap)
    except DomainError as exc:
        raise _step_refused(i, pathway, session, exc) from exc
    zone = snap.zones[slot.location_id]
    return booking.insert_booked(session, slot, visit, who, region, None, actor, now, zone, itinerary_id=itinerary_id)


def get_visible(session: Session, itinerary_id: int, actor: Actor, *, lock: bool = False) -> Itinerary:
    """The itinerary if `actor` may see it (its patient, staff, a clinician attending a step); else NotFound."""
    stmt = select(Itinerary).where(Itinerary.id == itinerary_id)
    if lock:
        stmt = stmt.with_for_update()
    it = session.scalars(stmt).first()
    if it is None or not _may_see(session, actor, it):
        raise NotFound("No such clinic day.")
    return it


def _may_see(session: Session, actor: Actor, it: Itinerary) -> bool:
    if actor.is_booker or actor.role == PATIENT:
        return actor.may_see(it.patient_id, 0)
    return any(actor.may_see(a.patient_id, a.clinician_id, a.attending_ids) for a in steps_of(session, it.id))


def steps_of(session: Session, itinerary_id: int, *, lock: bool = False) -> list[Appointment]:
    """The itinerary's appointments, in step order (by start)."""
    stmt = select(Appointment).where(Appointment.itinerary_id == itinerary_id).order_by(Appointment.start_at)
    if lock:
        stmt = stmt.with_for_update(of=Appointment)
    return list(session.scalars(stmt))


def reschedule(
    session: Session, itinerary_id: int, steps: list[StepRequest], *, actor: Actor, now: datetime
) -> Itinerary:
    """Move the whole day (same itinerary and appointment ids, each sequence + 1), all or nothing."""
    it = get_visible(session, itinerary_id, actor, lock=True)
    appts = _changeable(session, it)
    pathway = get_pathway(session, it.pathway_id)
    snap = catalog_snapshot.current(session)
    region = appts[0].patient_region or appts[0].patient.region
    reqs = _slot_requests(session, pathway, steps, region)
    _check_chain(snap, pathway, reqs)
    with booking.overlap_refused(session):
        whole.release(session, appts)  # the day's old times stop holding anything while the new ones are checked
        for i, (appt, req) in enumerate(zip(appts, reqs, strict=True)):
            _move_step(session, pathway, i, appt, req, now, snap)
        whole.hold_again(session, appts)
        it.sequence += 1
        it.updated_at = now
        outbox.on_moved(session, appts[0], now=now)
        session.commit()
    return it


def _changeable(session: Session, it: Itinerary) -> list[Appointment]:
    appts = steps_of(session, it.id, lock=True)
    if it.status != BOOKED or any(not st.can_change(a.status) for a in appts):
        raise Conflict("This clinic day has started or been cancelled and can no longer be changed.")
    return appts


def _move_step(session, pathway, i, appt: Appointment, req: SlotRequest, now, snap) -> None:
    try:
        slot, visit = checked_slot(session, req, now=now, snap=snap, exclude_appointment_id=appt.id)
    except DomainError as exc:
        raise _step_refused(i, pathway, session, exc) from exc
    freed.note_freed(session, appt, now=now)
    booking.place_moved(session, appt, slot, visit, region=req.patient_region, now=now)
    session.flush()
    rows.reserve_extras(session, appt.id, slot, visit)


def cancel(session: Session, itinerary_id: int, *, actor: Actor, now: datetime, reason: str | None = None) -> Itinerary:
    """Cancel the whole day; its times become free at once; the patient is told once."""
    it = get_visible(session, itinerary_id, actor, lock=True)
    appts = _changeable(session, it)
    whole.cancel_all(session, appts, now=now, reason=reason)
    it.status, it.updated_at = CANCELLED, now
    session.commit()
    return it


def list_for_patient(session: Session, patient_id: int) -> list[Itinerary]:
    """A patient's clinic days, newest first."""
    stmt = select(Itinerary).where(Itinerary.patient_id == patient_id).order_by(Itinerary.id.desc())
    return list(session.scalars(stmt))
