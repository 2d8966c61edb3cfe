"""Busy time read from the database: other appointments' blocked intervals and clinicians' time off.

What an appointment holds is read from `reservations` (one row per attending clinician and per
resource, the primary row kept in step with the appointment by trigger, migration 0009), so a joint
visit is busy time for each of its clinicians.

A tumor board's session is busy time for each of its members, at every site, as time off is (it meets the
visit itself): the sessions are computed from the boards in the in-memory catalog (`snap`), no query.

The booking check reads every blocked interval of one clinician around one day (`blocked`), so it can
say exactly why a time is refused. The slot search reads them as *gaps* (`free_gaps`): back-to-back
bookings arrive merged, so a full fortnight is a few rows per clinician instead of a row per booking.
Instants come back as naive UTC from the database (no per-row zone conversion) and are tagged here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    Integer,
    Interval,
    any_,
    bindparam,
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

from televisit.domain.board import Schedule, sessions_overlapping
from televisit.domain.timezones import get_zone
from televisit.models import Reservation, ResourceTimeOff, TimeOff

_HELD, _OFF, _RES_OFF = Reservation.__table__, TimeOff.__table__, ResourceTimeOff.__table__
_NAIVE_EPOCH = datetime(1970, 1, 1)
_EPOCH = _NAIVE_EPOCH.replace(tzinfo=timezone.utc)  # _EPOCH + (naive - _NAIVE_EPOCH): naive UTC -> aware UTC


def flush_pending(session: Session) -> None:
    """Flush pending ORM changes first: these reads are Core, which would not see them otherwise."""
    if session.autoflush:
        session.flush()


def blocked(session: Session, ids: list[int], lo: datetime, hi: datetime, exclude: int | None, *, snap):
    """Other appointments' blocked intervals, and time off and board sessions, of `ids` touching [lo, hi), by
    clinician (`snap`: the catalog, whose boards say whose sessions block)."""
    stmt = _blocked_stmt(session.get_bind().dialect.name)
    out: tuple[dict, dict] = (defaultdict(list), defaultdict(list))
    for kind, cid, start, end in session.connection().execute(stmt, _range_params(ids, lo, hi, exclude)).all():
        out[kind][cid].append((_aware(start), _aware(end)))
    add_board_sessions(out[1], snap, ids, lo, hi)
    return out


def add_board_sessions(off: dict, snap, ids: list[int], lo: datetime, hi: datetime) -> None:
    """Add to `off` each board session touching [lo, hi) of every clinician of `ids` who sits on a board.

    Members are few: for a search over many clinicians this is one dictionary look-up each."""
    boards_of = snap.boards_of
    if not boards_of:
        return
    computed: dict[int, list] = {}
    for cid in ids:
        for board in boards_of.get(cid, ()):
            if board.id not in computed:
                schedule = Schedule(
                    board.weekday, board.start_minute, board.duration_minutes, get_zone(snap.zones[board.location_id])
                )
                computed[board.id] = [(s.start, s.end) for s in sessions_overlapping(schedule, lo, hi)]
            off[cid].extend(computed[board.id])


def _range_params(ids: list[int], lo: datetime, hi: datetime, exclude: int | None) -> dict:
    return {"ids": ids, "lo": lo, "hi": hi, "exclude": -1 if exclude is None else exclude}


def _aware(naive: datetime | None) -> datetime | None:
    """Naive UTC wall time (as `_utc_wall` selects it) -> aware UTC."""
    return None if naive is None else _EPOCH + (naive - _NAIVE_EPOCH)


@lru_cache(maxsize=4)
def _blocked_stmt(dialect: str):
    """The query of `blocked`, built once per dialect: the booking check's."""
    a = _HELD.c
    wall = _utc_wall(dialect)
    busy = select(literal(0), a.clinician_id, wall(a.block_start), wall(a.block_end)).where(*_holding(dialect))
    return union_all(busy, _time_off(dialect))


def _holding(dialect: str, party: str = "clinician_id") -> tuple:
    """Conditions: other appointments' reservations of `:ids` (clinicians, or resources) that hold time and
    touch [`:lo`, `:hi`) (UTC instants). `holding AND <party> IS NOT NULL` is the predicate of the partial
    index `ix_reservations_<party>_holding`, written the same way so PostgreSQL uses it."""
    a = _HELD.c
    lo, hi = bindparam("lo", type_=a.block_end.type), bindparam("hi", type_=a.block_start.type)
    return (
        a.holding,
        a[party].isnot(None),
        _among(dialect)(a[party]),
        a.block_end > lo,
        a.block_start < hi,
        a.appointment_id != bindparam("exclude"),
    )


def resources_blocked(session: Session, ids: list[int], lo: datetime, hi: datetime, exclude: int | None):
    """Other appointments' blocked intervals and the time off of resources `ids` touching [lo, hi), by resource."""
    flush_pending(session)
    stmt = _resources_stmt(session.get_bind().dialect.name)
    out: tuple[dict, dict] = (defaultdict(list), defaultdict(list))
    for kind, rid, start, end in session.connection().execute(stmt, _range_params(ids, lo, hi, exclude)).all():
        out[kind][rid].append((_aware(start), _aware(end)))
    return out


@lru_cache(maxsize=4)
def _resources_stmt(dialect: str):
    a, o, wall = _HELD.c, _RES_OFF.c, _utc_wall(dialect)
    busy = select(literal(0), a.resource_id, wall(a.block_start), wall(a.block_end)).where(
        *_holding(dialect, "resource_id")
    )
    lo, hi = bindparam("lo", type_=o.end_at.type), bindparam("hi", type_=o.start_at.type)
    off = select(literal(1), o.resource_id, wall(o.start_at), wall(o.end_at)).where(
        _among(dialect)(o.resource_id), o.end_at > lo, o.start_at < hi
    )
    return union_all(busy, off)


def _time_off(dialect: str):
    """(1, clinician, start, end) per time off of `:ids` touching [`:lo`, `:hi`)."""
    o, wall = _OFF.c, _utc_wall(dialect)
    return select(literal(1), o.clinician_id, wall(o.start_at), wall(o.end_at)).where(*_time_off_conditions(dialect))


def _time_off_conditions(dialect: str) -> tuple:
    o = _OFF.c
    lo, hi = bindparam("lo", type_=o.end_at.type), bindparam("hi", type_=o.start_at.type)
    return _among(dialect)(o.clinician_id), o.end_at > lo, o.start_at < hi


def free_gaps(
    session: Session, ids: list[int], lo: datetime, hi: datetime, exclude: int | None, need: timedelta, *, snap
):
    """`blocked` for the search: each clinician's bookings merged wherever the gap between them is
    shorter than `need` (no slot's blocked interval fits there), and their time off and board sessions.

    A fully booked week becomes a few merged intervals per clinician instead of a row per booking; the
    engine's answer is the same, since a slot that meets a merged interval meets a booking or cannot fit
    between two.
    """
    dialect = session.get_bind().dialect.name
    params = _range_params(ids, lo, hi, exclude)
    params |= {"gap": need} if dialect == "postgresql" else {"gap_s": need.total_seconds() - 1}  # - 1: float slack
    gaps, off = defaultdict(list), defaultdict(list)
    for kind, cid, prev_end, start, end, opens, last in (
        session.connection().execute(_free_gaps_stmt(dialect), params).all()
    ):
        if kind == 1:
            off[cid].append((_aware(start), _aware(end)))
            continue
        if opens:  # the gap before this booking (from the previous one's end, or open) is long enough
            gaps[cid].append((_aware(prev_end), _aware(start)))
        if last:  # and the open gap after the last one
            gaps[cid].append((_aware(end), None))
    busy = {}
    for cid, found in gaps.items():
        found.sort(key=lambda g: g[0] if g[1] is None else g[1])  # by the booking each gap ends at (the last: open)
        busy[cid] = [(found[i][1], found[i + 1][0]) for i in range(len(found) - 1)]
    add_board_sessions(off, snap, ids, lo, hi)
    return busy, off


@lru_cache(maxsize=4)
def _free_gaps_stmt(dialect: str):
    """The query of `free_gaps`, one pass over each clinician's bookings in start order:
    (0, clinician, previous booking's end, start, end, opens, last) for every booking whose gap before
    it is long enough or that is the first (`opens`), or that is the last (`last`); (1, clinician, -,
    start, end, -, -) per time off. A gap runs from one booking's end to the next one's start: the blocked
    intervals a clinician's reservations hold never overlap (the exclusion constraint; SQLite's triggers
    and serialized writes), so their starts are distinct and order them. On PostgreSQL the partial index
    `ix_reservations_clinician_holding` hands the rows over already in that order (no sort)."""
    a, wall = _HELD.c, _utc_wall(dialect)
    ordered = dict(partition_by=a.clinician_id, order_by=a.block_start)
    blocks = (
        select(
            a.clinician_id.label("cid"),
            a.block_start.label("bs"),
            a.block_end.label("be"),
            func.lag(a.block_end).over(**ordered).label("prev_end"),
            func.lead(a.block_start).over(**ordered).label("next_start"),
        )
        .where(*_holding(dialect))
        .subquery("blocks")
    )
    b = blocks.c
    opens = or_(b.prev_end.is_(None), _at_least(dialect)(b.bs, b.prev_end))
    last = b.next_start.is_(None)
    bookings = select(literal(0), b.cid, wall(b.prev_end), wall(b.bs), wall(b.be), opens, last).where(or_(opens, last))
    o = _OFF.c
    no_flag = type_coerce(null(), Boolean())
    time_off = select(literal(1), o.clinician_id, type_coerce(null(), DateTime()), wall(o.start_at), wall(o.end_at))
    time_off = time_off.add_columns(no_flag, no_flag).where(*_time_off_conditions(dialect))
    return union_all(bookings, time_off)


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
