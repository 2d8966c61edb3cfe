"""Slot search and the booking check: one code path for both (DESIGN rule 5)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as status
from televisit.domain.availability import REASONS, ClinicianDay, Intervals, Rule, Slot, VisitSpec, free_slots, refusal
from televisit.domain.errors import Invalid, SlotUnavailable
from televisit.domain.licensure import covers
from televisit.domain.timezones import date_range_bounds, get_zone, local_date
from televisit.models import Appointment, AvailabilityRule, Clinician, Location, TimeOff, VisitType
from televisit.models.catalog import clinician_visit_types

CHUNK = timedelta(days=7)


@dataclass(frozen=True)
class SlotQuery:
    """A slot search: local dates `first`..`last` in `zone`, with optional filters."""

    visit_type_id: int
    first: date
    last: date
    zone: ZoneInfo
    location_id: int | None = None
    clinician_id: int | None = None
    mode: str | None = None
    patient_region: str | None = None
    limit: int | None = None


def visit_spec(vt: VisitType) -> VisitSpec:
    """The pure view of a visit type."""
    return VisitSpec(
        vt.id,
        vt.duration_minutes,
        vt.buffer_before_minutes,
        vt.buffer_after_minutes,
        vt.min_notice_minutes,
        vt.max_advance_days,
        frozenset(vt.modes),
    )


def load_visit_type(session: Session, visit_type_id: int) -> VisitType:
    """The visit type, or Invalid naming the field."""
    vt = session.get(VisitType, visit_type_id)
    if vt is None:
        raise Invalid({"visit_type_id": "no such visit type"})
    return vt


def allowed_modes(clinician: Clinician, visit: VisitSpec, region: str | None, mode: str | None) -> frozenset[str]:
    """Modes this clinician may see the patient in: video needs a licence for the patient's region."""
    modes = visit.modes if mode is None else visit.modes & {mode}
    if region is not None and "virtual" in modes and not covers(clinician.licenses or [], region):
        modes = modes - {"virtual"}
    return modes


class _Catalog:
    """Clinicians, rules and zones for one search, loaded in a few queries."""

    def __init__(self, session: Session, q: SlotQuery, visit: VisitSpec):
        stmt = select(Clinician).join(clinician_visit_types).where(clinician_visit_types.c.visit_type_id == visit.id)
        if q.clinician_id is not None:
            stmt = stmt.where(Clinician.id == q.clinician_id)
        self.modes = {}
        self.rules: dict[int, list[Rule]] = {}
        for c in session.scalars(stmt).unique():
            modes = allowed_modes(c, visit, q.patient_region, q.mode)
            rules = [_rule(r) for r in c.rules if q.location_id in (None, r.location_id)]
            rules = [r for r in rules if r.modes & modes]
            if modes and rules:
                self.modes[c.id], self.rules[c.id] = modes, rules
        self.zones = {loc.id: get_zone(loc.timezone) for loc in session.scalars(select(Location))}


def _rule(r: AvailabilityRule) -> Rule:
    return Rule(r.location_id, r.weekday, r.start_minute, r.end_minute, frozenset(r.modes))


def _busy(session: Session, ids: list[int], lo: datetime, hi: datetime, exclude: int | None) -> dict:
    stmt = select(Appointment.clinician_id, Appointment.block_start, Appointment.block_end).where(
        Appointment.clinician_id.in_(ids),
        Appointment.status.in_(status.HOLDS_TIME),
        Appointment.block_end > lo,
        Appointment.block_start < hi,
    )
    if exclude is not None:
        stmt = stmt.where(Appointment.id != exclude)
    out: dict[int, list] = defaultdict(list)
    for cid, start, end in session.execute(stmt):
        out[cid].append((start, end))
    return out


def _time_off(session: Session, ids: list[int], lo: datetime, hi: datetime) -> dict:
    stmt = select(TimeOff.clinician_id, TimeOff.start_at, TimeOff.end_at).where(
        TimeOff.clinician_id.in_(ids), TimeOff.end_at > lo, TimeOff.start_at < hi
    )
    out: dict[int, list] = defaultdict(list)
    for cid, start, end in session.execute(stmt):
        out[cid].append((start, end))
    return out


def _days(lo: datetime, hi: datetime, zone: ZoneInfo) -> list[date]:
    first, last = local_date(lo, zone), local_date(hi - timedelta(microseconds=1), zone)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _clinician_days(cat: _Catalog, cid: int, lo, hi, busy: Intervals, off: Intervals):
    by_loc: dict[int, list[Rule]] = defaultdict(list)
    for r in cat.rules[cid]:
        by_loc[r.location_id].append(r)
    for loc_id, rules in by_loc.items():
        zone = cat.zones[loc_id]
        weekdays = {r.weekday for r in rules}
        for day in _days(lo, hi, zone):
            if day.weekday() in weekdays:
                yield ClinicianDay(cid, loc_id, zone, day, tuple(rules), busy, off)


def _chunk_slots(session, cat, visit, lo, hi, now, exclude) -> list[Slot]:
    ids = list(cat.rules)
    margin = timedelta(days=1)
    busy, off = (
        _busy(session, ids, lo - margin, hi + margin, exclude),
        _time_off(session, ids, lo - margin, hi + margin),
    )
    out: list[Slot] = []
    for cid in ids:
        b, o = Intervals(busy.get(cid, ())), Intervals(off.get(cid, ()))
        for cd in _clinician_days(cat, cid, lo, hi, b, o):
            out.extend(s for s in free_slots(cd, visit, now=now) if lo <= s.start < hi and s.mode in cat.modes[cid])
    return out


def search(session: Session, q: SlotQuery, *, now: datetime, exclude_appointment_id: int | None = None) -> list[Slot]:
    """Free slots matching `q`, sorted by start; stops early once `limit` slots are certain."""
    visit = visit_spec(load_visit_type(session, q.visit_type_id))
    cat = _Catalog(session, q, visit)
    lo, hi = date_range_bounds(q.first, q.last, q.zone)
    lo = max(lo, now)  # never offer the past, whatever the notice
    hi = min(hi, now + timedelta(days=visit.max_advance_days, seconds=1))
    found: list[Slot] = []
    while cat.rules and lo < hi:
        chunk_hi = min(lo + CHUNK, hi)
        found.extend(_chunk_slots(session, cat, visit, lo, chunk_hi, now, exclude_appointment_id))
        if q.limit is not None and len(found) >= q.limit:
            break
        lo = chunk_hi
    found.sort(key=lambda s: (s.start, s.clinician_id, s.location_id, s.mode))
    return found[: q.limit] if q.limit is not None else found


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
    vt = load_visit_type(session, req.visit_type_id)
    visit = visit_spec(vt)
    clinician, location = _load_parties(session, req)
    if req.mode not in visit.modes:
        raise Invalid({"mode": f"this visit type is offered only as {', '.join(sorted(visit.modes))}"})
    if vt not in clinician.visit_types:
        raise _unavailable("not_offered")
    if req.mode == "virtual" and not req.patient_region:
        raise Invalid({"patient_region": "a video visit needs the region where the patient will be (e.g. US-OH, GB)"})
    if req.mode == "virtual" and not covers(clinician.licenses or [], req.patient_region):
        raise _unavailable("not_licensed")
    zone = get_zone(location.timezone)
    day = local_date(req.start, zone)
    lo, hi = date_range_bounds(day, day, zone)
    margin = timedelta(days=1)
    busy = _busy(session, [clinician.id], lo - margin, hi + margin, exclude_appointment_id)
    off = _time_off(session, [clinician.id], lo - margin, hi + margin)
    rules = tuple(_rule(r) for r in clinician.rules if r.location_id == location.id)
    cd = ClinicianDay(
        clinician.id,
        location.id,
        zone,
        day,
        rules,
        Intervals(busy.get(clinician.id, ())),
        Intervals(off.get(clinician.id, ())),
    )
    reason = refusal(cd, visit, req.start, req.mode, now=now)
    if reason is not None:
        raise _unavailable(reason)
    return Slot(clinician.id, location.id, visit.id, req.mode, req.start, req.start + visit.duration)


def _load_parties(session: Session, req: SlotRequest) -> tuple[Clinician, Location]:
    clinician = session.get(Clinician, req.clinician_id)
    location = session.get(Location, req.location_id)
    fields = {}
    if clinician is None:
        fields["clinician_id"] = "no such clinician"
    if location is None:
        fields["location_id"] = "no such location"
    if fields:
        raise Invalid(fields)
    return clinician, location


def _unavailable(reason: str) -> SlotUnavailable:
    return SlotUnavailable(REASONS[reason], reason=reason)
