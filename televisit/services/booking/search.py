"""Slot search: the pure engine's answer over clinicians, sites and days (DESIGN rule 5).

The search feeds `televisit.domain.availability` (`free_slots`, via `slot_scan`); only the engine
decides what is free. The catalog (who offers the visit, their rules, the sites' zones) comes from the
in-memory snapshot (`catalog_snapshot`: one small query checks it is current); busy time is read as
merged gaps (`busy_time.free_gaps`). The search skips work whose answer is known to be "nothing":
rule windows where no grid start has room, days inside the minimum notice, and days after the point
where `limit` slots are certain. In a large program (more clinicians than `BATCH`) the earliest `limit`
slots come from a frontier (`_earliest`): clinician-days in the order of a lower bound of their slots, the rest
handed to the engine only where their bookings leave room, until nothing unread can come earlier. The booking
check (`booking_check`) asks the same engine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter, itemgetter
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from televisit import metrics
from televisit.domain.availability import Rule, Slot, VisitSpec, bookable_window, rule_window
from televisit.domain.errors import Invalid
from televisit.domain.licensure import covers
from televisit.domain.timezones import date_range_bounds, get_zone
from televisit.models import VisitType
from televisit.services.booking import busy_time
from televisit.services.booking import snapshot as catalog_snapshot
from televisit.services.booking.extras import Extras
from televisit.services.booking.scan import ChunkScan, by_location
from televisit.services.booking.scan import days as scan_days
from televisit.services.booking.snapshot import Snapshot

CHUNK = timedelta(days=14)  # busy time is loaded two weeks at a time (as merged gaps: few rows)
STEP = timedelta(days=1)  # a `limit` search checks whether it has enough after every day
ORDER = attrgetter("start", "clinician_id", "location_id", "mode")  # the order slots are listed in


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
    only: frozenset[tuple[int, date]] | None = None  # (site, its local date) pairs to look at (None: all)
    specialty: str | None = None  # only clinicians of this specialty (None: any)


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
        tuple(vt.resource_kinds or ()),
        tuple(vt.team_specialties or ()),
    )


def _modes_for(licenses, visit: VisitSpec, region: str | None, mode: str | None) -> frozenset[str]:
    modes = visit.modes if mode is None else visit.modes & {mode}
    if region is not None and "virtual" in modes and not covers(licenses or [], region):
        modes = modes - {"virtual"}
    return modes


class _Catalog:
    """Clinicians offering the visit (in the modes `q` allows them), their rules at the sites `q` allows,
    and those sites' zones; built from a snapshot, once per snapshot and filter."""

    def __init__(self, snap: Snapshot, q: SlotQuery, visit: VisitSpec):
        self.modes: dict[int, frozenset[str]] = {}
        self.rules: dict[int, list[Rule]] = defaultdict(list)
        self.zones: dict[int, ZoneInfo] = {}
        self.closures = snap.closures
        for cid, entry in snap.clinicians.items():
            if visit.id not in entry.visit_type_ids or q.clinician_id not in (None, cid):
                continue
            if q.specialty not in (None, entry.specialty):
                continue
            if visit.team and entry.specialty != visit.team[0]:
                continue  # a joint visit is led by a clinician of its first specialty
            modes = _modes_for(entry.licenses, visit, q.patient_region, q.mode)
            for loc_id, rules in entry.rules.items():
                if q.location_id not in (None, loc_id):
                    continue
                self._add(cid, [r for r in rules if r.modes & modes], loc_id, snap)
            if self.rules.get(cid):
                self.modes[cid] = modes
        self.rules = {cid: self.rules[cid] for cid in self.modes}
        self.by_loc = {cid: by_location(rules) for cid, rules in self.rules.items()}

    def _add(self, cid: int, rules: list[Rule], loc_id: int, snap: Snapshot) -> None:
        if rules:
            self.rules[cid].extend(rules)
            self.zones.setdefault(loc_id, get_zone(snap.zones[loc_id]))


def _catalog(snap: Snapshot, q: SlotQuery, visit: VisitSpec) -> _Catalog:
    return snap.remember(("search", *_filters(q)), lambda: _Catalog(snap, q, visit))


def _filters(q: SlotQuery) -> tuple:
    """What decides a search's catalog: the visit type and the filters (not the dates or the limit)."""
    return q.visit_type_id, q.clinician_id, q.location_id, q.mode, q.patient_region, q.specialty


def _chunk(
    session: Session, snap: Snapshot, cat: _Catalog, visit: VisitSpec, lo, hi, now, exclude, extras, only, ids=None
):
    """Load what can block a slot starting in [lo, hi) of clinicians `ids` (None: all the catalog's) and wrap it
    for scanning (a ChunkScan)."""
    # A slot's blocked interval reaches buffer_before earlier and duration + buffer_after later
    # (time off only meets the visit itself), so nothing further out can matter.
    before = timedelta(minutes=max(visit.buffer_before_minutes, 0))
    after = visit.duration + timedelta(minutes=max(visit.buffer_after_minutes, 0))
    need = max(visit.blocked(lo)[1] - visit.blocked(lo)[0], timedelta(0))  # a slot's blocked interval
    ids = list(cat.rules) if ids is None else ids
    busy, off = busy_time.free_gaps(session, ids, lo - before, hi + after, exclude, need, snap=snap)
    if extras is not None:
        extras.load(session, lo - before, hi + after, exclude)
    return ChunkScan(cat, visit, busy, off, lo, hi, now, only)


@metrics.times_searches
def search(
    session: Session, q: SlotQuery, *, now: datetime, exclude_appointment_id: int | None = None, snap=None
) -> list[Slot]:
    """Free slots matching `q`, sorted by start; stops early once `limit` slots are certain (`snap`: the
    catalog when the caller has just read it)."""
    busy_time.flush_pending(session)
    snap = snap or catalog_snapshot.current(session)
    visit = snap.visits.get(q.visit_type_id)
    if visit is None:
        raise Invalid({"visit_type_id": "no such visit type"})
    cat = _catalog(snap, q, visit)
    lo, hi = date_range_bounds(q.first, q.last, q.zone)
    lo = max(lo, now, bookable_window(visit, now)[0])  # never the past; nothing inside the notice is free
    hi = min(hi, now + timedelta(days=visit.max_advance_days, seconds=1))
    step = STEP if q.limit is not None else CHUNK
    extras = Extras(snap, visit, q.patient_region, q.location_id) if visit.needs_more else None
    if q.limit is not None and extras is None and len(cat.rules) > BATCH:
        return _earliest(session, snap, cat, visit, q, lo, hi, now, exclude_appointment_id)
    found: list[Slot] = []
    while cat.rules and lo < hi and (q.limit is None or len(found) < q.limit):
        chunk_hi = min(lo + CHUNK, hi)
        chunk = _chunk(session, snap, cat, visit, lo, chunk_hi, now, exclude_appointment_id, extras, q.only)
        while lo < chunk_hi and (q.limit is None or len(found) < q.limit):
            slots = chunk.slots(lo, min(lo + step, chunk_hi))
            found.extend(slots if extras is None else extras.complete(slots))
            lo = min(lo + step, chunk_hi)
    found.sort(key=ORDER)
    return found[: q.limit] if q.limit is not None else found


BATCH = 250  # above this many clinicians, a search for the earliest slots takes the frontier (`_earliest`)
HEAD = 250  # clinician-days `_earliest` reads first, in the order of their bounds (then twice as many each time)
AFTER = (
    16  # then clinician-days handed to the engine at once, in the order of their first room (twice as many each time)
)
_TICK = timedelta(microseconds=1)


def _earliest(session, snap, cat: _Catalog, visit: VisitSpec, q: SlotQuery, lo, hi, now, exclude) -> list[Slot]:
    """The `q.limit` earliest free slots of a large program (more clinicians than a batch), without running the
    engine over every clinician's day: the first day, then windows twice as long while too few are found.

    A clinician-day's slots start in its rule windows and not before `lo`, so max(first window start, lo) is a
    lower bound of its slots; with its clinician and site it bounds their place in the listed order (`ORDER`).
    Clinician-days are read and scanned in that order, `HEAD` first and then twice as many each time, until `limit`
    slots are found. If the `limit`-th comes before every other clinician-day's bound, that is the answer.
    Otherwise the rest are read at once, only up to that slot (nothing later can be among the first), their bounds
    raised to the first grid start where their bookings leave room (`_by_room`: in a busy program most have
    none), and the engine runs over them in that order until the `limit`-th slot comes before the next bound.
    Either way the answer is the one a search of everyone would give."""
    found: list[Slot] = []
    span = STEP
    while lo < hi and len(found) < q.limit:
        day_hi, span = min(lo + span, hi), min(span * 2, CHUNK)  # a day first; twice as long while none is found
        order = frontier(snap, cat, q, lo, day_hi)
        start, size = 0, HEAD
        while start < len(order) and len(found) < q.limit:  # in bound order, until `limit` slots are found
            batch = order[start : start + size]
            chunk = _chunk(session, snap, cat, visit, lo, day_hi, now, exclude, None, q.only, _ids(batch))
            _scan(found, chunk, batch, lo, day_hi)
            start, size = start + len(batch), size * 2
        rest = order[start:]
        if rest and not _settled(found, q.limit, rest[0]):  # then the rest, up to the limit-th slot found
            rest_hi = min(day_hi, found[q.limit - 1].start + _TICK)
            rest = [c for c in rest if c[0] < rest_hi]
            chunk = _chunk(session, snap, cat, visit, lo, rest_hi, now, exclude, None, q.only, _ids(rest))
            rest, start, size = _by_room(chunk, rest), 0, AFTER
            while start < len(rest) and not _settled(found, q.limit, rest[start]):
                _scan(found, chunk, rest[start : start + size], lo, rest_hi)
                start, size = start + size, size * 2
        lo = day_hi
    return found[: q.limit]


def _ids(days_: list[tuple]) -> list[int]:
    return sorted({c[1] for c in days_})


def _scan(found: list[Slot], chunk: ChunkScan, days_: list[tuple], lo: datetime, hi: datetime) -> None:
    """Add the engine's slots of clinician-days `days_` starting in [lo, hi) to `found`, kept in listed order."""
    found.extend(chunk.slots_of([c[1:] for c in days_], lo, hi))
    found.sort(key=ORDER)


def _settled(found: list[Slot], limit: int, candidate: tuple) -> bool:
    """True when `limit` slots are found and the last of them comes before every slot of `candidate` (and of every
    clinician-day ordered after it)."""
    return len(found) >= limit and _before(found[limit - 1], candidate)


def _before(slot: Slot, candidate: tuple) -> bool:
    """True when `slot` is listed before every slot the clinician-day `candidate` (bound, cid, site, ...) can have."""
    return (slot.start, slot.clinician_id, slot.location_id) < candidate[:3]


def _by_room(chunk: ChunkScan, days_: list[tuple]) -> list[tuple]:
    """The clinician-days `days_` that may hold a slot in `chunk`'s span, each bound raised to the first grid start
    of its rule windows with room for the visit between its clinician's bookings and time off
    (`ChunkScan.first_start`), in the order of those bounds. In a busy program most have little room or none:
    the engine then runs over a few clinician-days only."""
    kept = [(max(c[0], first), *c[1:]) for c in days_ if (first := chunk.first_start(*c[1:])) is not None]
    kept.sort(key=_KEY)
    return kept


def frontier(snap: Snapshot, cat: _Catalog, q: SlotQuery, lo: datetime, hi: datetime) -> list[tuple]:
    """Every clinician-day with a rule window meeting [lo, hi), as (bound, cid, site, local date, rules), in the
    order of (bound, cid, site): bound = max(its first window's start, lo)."""
    started, later = [], []
    for loc, zone in cat.zones.items():
        for day in scan_days(lo, hi, zone):
            for first, last, cid, rules in _site_day(snap, cat, q, loc, day):
                if first >= hi:
                    break  # sorted by first start: the rest start later still
                if last <= lo:
                    continue
                if first <= lo:
                    started.append((lo, cid, loc, day, rules))
                else:
                    later.append((first, cid, loc, day, rules))
    started.sort(key=_KEY)
    later.sort(key=_KEY)
    return started + later


_KEY = itemgetter(0, 1, 2)


def _site_day(snap: Snapshot, cat: _Catalog, q: SlotQuery, loc: int, day: date) -> list[tuple]:
    """(first window start, last window end, cid, rules) of every clinician of the catalog working at `loc` on
    local `day`, by first start (once per catalog snapshot, search filter, site and date)."""
    return snap.remember(("frontier", *_filters(q), loc, day), lambda: _site_day_rows(cat, loc, day))


def _site_day_rows(cat: _Catalog, loc: int, day: date) -> list[tuple]:
    zone, rows = cat.zones[loc], []
    for cid, by_loc in cat.by_loc.items():
        rules = by_loc.get(loc, {}).get(day.weekday())
        windows = [w for r in rules or () if (w := rule_window(r, day, zone)) is not None]
        if windows:
            rows.append((min(w[0] for w in windows), max(w[1] for w in windows), cid, rules))
    rows.sort(key=itemgetter(0, 2))
    return rows
