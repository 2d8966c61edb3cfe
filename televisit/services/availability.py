"""Slot search and the booking check: one code path for both (DESIGN rule 5).

Both feed the pure engine (`televisit.domain.availability`: `grid`, `refusal`, `free_slots`);
only the engine decides what is free. For speed the data is read with lean Core queries (rows,
not ORM objects), and the search (its inner loop is `slot_scan`) skips work whose answer is
known to be "nothing": rule windows where no grid start has room, days inside the minimum
notice, and days after the point where `limit` slots are certain. The search reads bookings as
gaps (`_free_gaps`): back-to-back bookings arrive merged, so a full fortnight is a few rows per
clinician; the booking check reads every blocked interval (`_blocked`), to say exactly why not.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    DateTime,
    Float,
    Integer,
    Interval,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from televisit.domain import appointments as status
from televisit.domain.availability import (
    REASONS,
    ClinicianDay,
    Intervals,
    Rule,
    Slot,
    VisitSpec,
    bookable_window,
    refusal,
)
from televisit.domain.errors import Invalid, SlotUnavailable
from televisit.domain.licensure import covers
from televisit.domain.timezones import date_range_bounds, get_zone, local_date
from televisit.models import Appointment, AvailabilityRule, Clinician, Location, TimeOff, VisitType
from televisit.models.catalog import clinician_visit_types
from televisit.services.slot_scan import ChunkScan, by_location

CHUNK = timedelta(days=14)  # busy time is loaded two weeks at a time (as merged gaps: few rows)
STEP = timedelta(days=1)  # a `limit` search checks whether it has enough after every day
MARGIN = timedelta(days=1)  # bookings just outside a range can still block (buffers)
_VT, _CVT, _RULE, _LOC = VisitType.__table__, clinician_visit_types, AvailabilityRule.__table__, Location.__table__
_CLIN, _APPT, _OFF = Clinician.__table__, Appointment.__table__, TimeOff.__table__
_NAIVE_EPOCH = datetime(1970, 1, 1)
_EPOCH = _NAIVE_EPOCH.replace(tzinfo=timezone.utc)  # _EPOCH + (naive - _NAIVE_EPOCH): naive UTC -> aware UTC


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


def load_visit_spec(session: Session, visit_type_id: int) -> VisitSpec:
    """The pure view of a visit type read in one lean query, or Invalid naming the field."""
    c = _VT.c
    cols = (c.id, c.duration_minutes, c.buffer_before_minutes, c.buffer_after_minutes, c.min_notice_minutes)
    row = session.execute(select(*cols, c.max_advance_days, c.modes).where(c.id == visit_type_id)).first()
    if row is None:
        raise Invalid({"visit_type_id": "no such visit type"})
    return VisitSpec(*row[:6], frozenset(row[6]))


def allowed_modes(clinician: Clinician, visit: VisitSpec, region: str | None, mode: str | None) -> frozenset[str]:
    """Modes this clinician may see the patient in: video needs a licence for the patient's region."""
    return _modes_for(clinician.licenses, visit, region, mode)


def _modes_for(licenses, visit: VisitSpec, region: str | None, mode: str | None) -> frozenset[str]:
    modes = visit.modes if mode is None else visit.modes & {mode}
    if region is not None and "virtual" in modes and not covers(licenses or [], region):
        modes = modes - {"virtual"}
    return modes


def _json_text(col):
    """A JSON column read as its text: parsing the few distinct values once (below) beats a parse per row."""
    return cast(col, Text)


@lru_cache(maxsize=4096)
def _json(text: str | None):
    return None if text is None else json.loads(text)


@lru_cache(maxsize=1024)
def _json_set(text: str) -> frozenset[str]:
    return frozenset(_json(text))


def _autoflush(session: Session) -> None:
    """Core queries do not autoflush; flush pending ORM changes so they see what an ORM query would."""
    if session.autoflush:
        session.flush()


class _Catalog:
    """Clinicians offering the visit, their rules and their sites' zones, in one query."""

    def __init__(self, session: Session, q: SlotQuery, visit: VisitSpec):
        r = _RULE.c
        stmt = (
            select(_CLIN.c.id, _json_text(_CLIN.c.licenses), r.location_id, _LOC.c.timezone)
            .add_columns(r.weekday, r.start_minute, r.end_minute, _json_text(r.modes))
            .join(_CVT, _CVT.c.clinician_id == _CLIN.c.id)
            .join(_RULE, r.clinician_id == _CLIN.c.id)
            .join(_LOC, _LOC.c.id == r.location_id)
            .where(_CVT.c.visit_type_id == visit.id)
            .order_by(_CLIN.c.id, r.weekday, r.start_minute, r.id)
        )
        if q.clinician_id is not None:
            stmt = stmt.where(_CLIN.c.id == q.clinician_id)
        self.modes: dict[int, frozenset[str]] = {}
        self.rules: dict[int, list[Rule]] = defaultdict(list)
        self.zones: dict[int, ZoneInfo] = {}
        for cid, licenses, loc_id, tz, weekday, start, end, rule_modes in session.execute(stmt).all():
            if cid not in self.modes:
                self.modes[cid] = _modes_for(_json(licenses), visit, q.patient_region, q.mode)
            rule = Rule(loc_id, weekday, start, end, _json_set(rule_modes))
            if q.location_id in (None, loc_id) and rule.modes & self.modes[cid]:
                self.rules[cid].append(rule)
                if loc_id not in self.zones:
                    self.zones[loc_id] = get_zone(tz)
        self.modes = {cid: m for cid, m in self.modes.items() if m and self.rules.get(cid)}
        self.rules = {cid: self.rules[cid] for cid in self.modes}
        self.by_loc = {cid: by_location(rules) for cid, rules in self.rules.items()}


def _blocked(session: Session, ids: list[int], lo: datetime, hi: datetime, exclude: int | None):
    """Other appointments' blocked intervals and time off of `ids` touching [lo, hi), by clinician."""
    stmt = _blocked_stmt(session.get_bind().dialect.name)
    out: tuple[dict, dict] = (defaultdict(list), defaultdict(list))
    for kind, cid, start, end in session.execute(stmt, _range_params(ids, lo, hi, exclude)).all():
        out[kind][cid].append((_aware(start), _aware(end)))
    return out


def _range_params(ids: list[int], lo: datetime, hi: datetime, exclude: int | None) -> dict:
    return {"ids": ids, "lo": lo, "hi": hi, "exclude": -1 if exclude is None else exclude}


def _aware(naive: datetime | None) -> datetime | None:
    """Naive UTC wall time (as `_utc_wall` selects it) -> aware UTC."""
    return None if naive is None else _EPOCH + (naive - _NAIVE_EPOCH)


@lru_cache(maxsize=4)
def _blocked_stmt(dialect: str):
    """The query of `_blocked`, built once per dialect: the booking check's."""
    a = _APPT.c
    wall = _utc_wall(dialect)
    busy = select(literal(0), a.clinician_id, wall(a.block_start), wall(a.block_end)).where(*_holding(dialect))
    return union_all(busy, _time_off(dialect))


def _holding(dialect: str) -> tuple:
    """Conditions: other appointments of `:ids` that hold time and touch [`:lo`, `:hi`) (UTC instants)."""
    a = _APPT.c
    lo, hi = bindparam("lo", type_=a.block_end.type), bindparam("hi", type_=a.block_start.type)
    return (
        _among(dialect)(a.clinician_id),
        a.status.in_(status.HOLDS_TIME),
        a.block_end > lo,
        a.block_start < hi,
        a.id != bindparam("exclude"),
    )


def _time_off(dialect: str):
    """(1, clinician, start, end) per time off of `:ids` touching [`:lo`, `:hi`)."""
    o, wall = _OFF.c, _utc_wall(dialect)
    lo, hi = bindparam("lo", type_=o.end_at.type), bindparam("hi", type_=o.start_at.type)
    return select(literal(1), o.clinician_id, wall(o.start_at), wall(o.end_at)).where(
        _among(dialect)(o.clinician_id), o.end_at > lo, o.start_at < hi
    )


def _free_gaps(session: Session, ids: list[int], lo: datetime, hi: datetime, exclude: int | None, need: timedelta):
    """`_blocked` for the search: each clinician's bookings merged wherever the gap between them is
    shorter than `need` (no slot's blocked interval fits there), and their time off.

    A fully booked week becomes a few merged intervals per clinician instead of a row per booking; the
    engine's answer is the same, since a slot that meets a merged interval meets a booking or cannot fit
    between two.
    """
    dialect = session.get_bind().dialect.name
    params = _range_params(ids, lo, hi, exclude)
    params |= {"gap": need} if dialect == "postgresql" else {"gap_s": need.total_seconds() - 1}  # - 1: float slack
    gaps, off = defaultdict(list), defaultdict(list)
    for kind, cid, start, end in session.execute(_free_gaps_stmt(dialect), params).all():
        (gaps if kind == 0 else off)[cid].append((_aware(start), _aware(end)))
    busy = {}
    for cid, found in gaps.items():
        found.sort(key=lambda g: g[0] if g[1] is None else g[1])  # by the booking each gap ends at (the last: open)
        busy[cid] = [(found[i][1], found[i + 1][0]) for i in range(len(found) - 1)]
    return busy, off


@lru_cache(maxsize=4)
def _free_gaps_stmt(dialect: str):
    """The query of `_free_gaps`: (0, clinician, gap start or NULL, gap end or NULL) for the gap before
    each booking that is long enough (or is the first), and after the last; (1, clinician, start, end)
    per time off. A gap runs from one booking's end to the next one's start: the blocked intervals of
    bookings that hold time never overlap (the exclusion constraint; SQLite's serialized writes)."""
    a, wall = _APPT.c, _utc_wall(dialect)
    ordered = dict(partition_by=a.clinician_id, order_by=(a.block_start, a.id))
    blocks = (
        select(
            a.clinician_id.label("cid"),
            a.block_start.label("bs"),
            a.block_end.label("be"),
            func.lag(a.block_end).over(**ordered).label("prev_end"),
            func.lead(a.block_start).over(**ordered).label("next_start"),
        )
        .where(*_holding(dialect))
        .cte("blocks")  # read once, for both ends of every gap
    )
    b = blocks.c
    no_time = type_coerce(null(), DateTime())
    before = select(literal(0), b.cid, wall(b.prev_end), wall(b.bs)).where(
        or_(b.prev_end.is_(None), _at_least(dialect)(b.bs, b.prev_end))
    )
    after = select(literal(0), b.cid, wall(b.be), no_time).where(b.next_start.is_(None))
    return union_all(before, after, _time_off(dialect))


def _at_least(dialect: str):
    """`later - earlier >= the gap parameter` (PostgreSQL: intervals; SQLite: seconds from julianday)."""
    if dialect == "postgresql":
        gap = bindparam("gap", type_=Interval())
        return lambda later, earlier: later - earlier >= gap
    gap_s = bindparam("gap_s", type_=Float())
    return lambda later, earlier: (func.julianday(later) - func.julianday(earlier)) * 86400.0 >= gap_s


def _among(dialect: str):
    """`column IN :ids`. On PostgreSQL `= ANY(:ids)` with one array parameter: the statement's text stays the
    same whatever the number of clinicians, so neither SQLAlchemy nor psycopg re-renders it per search."""
    if dialect == "postgresql":
        ids = bindparam("ids", type_=ARRAY(Integer))
        return lambda col: col == any_(ids)
    ids = bindparam("ids", expanding=True)
    return lambda col: col.in_(ids)


def _utc_wall(dialect: str):
    """How to select an instant column as naive UTC wall time (then tagged UTC in Python).

    Thousands of busy intervals per search make per-row time zone conversion the main cost;
    PostgreSQL converts in the query, and SQLite already stores naive UTC text.
    """
    if dialect == "postgresql":
        return lambda col: type_coerce(func.timezone("UTC", col), DateTime())
    return lambda col: type_coerce(col, DateTime())


def _chunk(session: Session, cat: _Catalog, visit: VisitSpec, lo, hi, now, exclude) -> ChunkScan:
    """Load what can block a slot starting in [lo, hi) and wrap it for scanning."""
    # A slot's blocked interval reaches buffer_before earlier and duration + buffer_after later
    # (time off only meets the visit itself), so nothing further out can matter.
    before = timedelta(minutes=max(visit.buffer_before_minutes, 0))
    after = visit.duration + timedelta(minutes=max(visit.buffer_after_minutes, 0))
    need = max(visit.blocked(lo)[1] - visit.blocked(lo)[0], timedelta(0))  # a slot's blocked interval
    busy, off = _free_gaps(session, list(cat.rules), lo - before, hi + after, exclude, need)
    return ChunkScan(cat, visit, busy, off, lo, hi, now)


def search(session: Session, q: SlotQuery, *, now: datetime, exclude_appointment_id: int | None = None) -> list[Slot]:
    """Free slots matching `q`, sorted by start; stops early once `limit` slots are certain."""
    _autoflush(session)
    visit = load_visit_spec(session, q.visit_type_id)
    cat = _Catalog(session, q, visit)
    lo, hi = date_range_bounds(q.first, q.last, q.zone)
    lo = max(lo, now, bookable_window(visit, now)[0])  # never the past; nothing inside the notice is free
    hi = min(hi, now + timedelta(days=visit.max_advance_days, seconds=1))
    step = STEP if q.limit is not None else CHUNK
    found: list[Slot] = []
    while cat.rules and lo < hi and (q.limit is None or len(found) < q.limit):
        chunk_hi = min(lo + CHUNK, hi)
        chunk = _chunk(session, cat, visit, lo, chunk_hi, now, exclude_appointment_id)
        while lo < chunk_hi and (q.limit is None or len(found) < q.limit):
            found.extend(chunk.slots(lo, min(lo + step, chunk_hi)))
            lo = min(lo + step, chunk_hi)
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
    return checked_slot(session, req, now=now, exclude_appointment_id=exclude_appointment_id)[0]


def checked_slot(
    session: Session, req: SlotRequest, *, now: datetime, exclude_appointment_id: int | None = None
) -> tuple[Slot, VisitSpec]:
    """`check_slot`, also returning the visit spec (the booking needs its buffers)."""
    _autoflush(session)
    visit, licenses, offered, tz, rules = _booking_context(session, req)
    if req.mode not in visit.modes:
        raise Invalid({"mode": f"this visit type is offered only as {', '.join(sorted(visit.modes))}"})
    if not offered:
        raise _unavailable("not_offered")
    if req.mode == "virtual" and not req.patient_region:
        raise Invalid({"patient_region": "a video visit needs the region where the patient will be (e.g. US-OH, GB)"})
    if req.mode == "virtual" and not covers(licenses or [], req.patient_region):
        raise _unavailable("not_licensed")
    zone = get_zone(tz)
    day = local_date(req.start, zone)
    lo, hi = date_range_bounds(day, day, zone)
    busy, off = _blocked(session, [req.clinician_id], lo - MARGIN, hi + MARGIN, exclude_appointment_id)
    cid = req.clinician_id
    cd = ClinicianDay(cid, req.location_id, zone, day, rules, Intervals(busy[cid]), Intervals(off[cid]))
    reason = refusal(cd, visit, req.start, req.mode, now=now)
    if reason is not None:
        raise _unavailable(reason)
    return Slot(cid, req.location_id, visit.id, req.mode, req.start, req.start + visit.duration), visit


def _booking_context(session: Session, req: SlotRequest) -> tuple[VisitSpec, list, bool, str, tuple[Rule, ...]]:
    """The visit type, the clinician's licences, whether they offer it, the site's zone and the
    clinician's rules there, in one query (one row per rule).

    Invalid names the visit type when it does not exist, else every missing party.
    """
    params = {"vt": req.visit_type_id, "clin": req.clinician_id, "loc": req.location_id}
    rows = session.execute(_context_stmt(), params).all()
    if not rows:
        raise Invalid({"visit_type_id": "no such visit type"})
    row = rows[0]
    fields = {}
    if row[7] is None:
        fields["clinician_id"] = "no such clinician"
    if row[10] is None:
        fields["location_id"] = "no such location"
    if fields:
        raise Invalid(fields)
    rules = tuple(Rule(req.location_id, wd, a, b, _json_set(m)) for *_, wd, a, b, m in rows if wd is not None)
    return VisitSpec(*row[:6], frozenset(row[6])), row[8], bool(row[9]), row[10], rules


@lru_cache(maxsize=1)
def _context_stmt():
    """The query of `_booking_context`, built once (it runs on every booking)."""
    v, c, cvt, r = _VT.c, _CLIN.c, _CVT.c, _RULE.c
    offered = exists().where(cvt.clinician_id == c.id, cvt.visit_type_id == v.id)
    cols = (v.id, v.duration_minutes, v.buffer_before_minutes, v.buffer_after_minutes, v.min_notice_minutes)
    return (
        select(*cols, v.max_advance_days, v.modes, c.id, c.licenses, offered, _LOC.c.timezone)
        .add_columns(r.weekday, r.start_minute, r.end_minute, _json_text(r.modes))
        .select_from(_VT)
        .outerjoin(_CLIN, c.id == bindparam("clin"))
        .outerjoin(_LOC, _LOC.c.id == bindparam("loc"))
        .outerjoin(_RULE, and_(r.clinician_id == c.id, r.location_id == _LOC.c.id))
        .where(v.id == bindparam("vt"))
        .order_by(r.weekday, r.start_minute, r.id)
    )


def _unavailable(reason: str) -> SlotUnavailable:
    return SlotUnavailable(REASONS[reason], reason=reason)
