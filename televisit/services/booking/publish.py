"""Free slots as the FHIR facade and SMART Scheduling Links publish them: asked per Schedule (one clinician
at one site) or per visit type, within a time window, of the same engine as `GET /api/v1/slots` (`search`)
and the booking check (`check_slot`) (DESIGN rule 5); and the directory rows the bulk files list.

Read-only. A bulk Slot file is computed two local weeks of one site at a time (`site_slots`), each in its
own short read, so a long download holds neither the whole file in memory nor a database connection while
the client reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.availability import Slot
from televisit.domain.errors import Invalid, SlotUnavailable
from televisit.domain.timezones import get_zone, local_date
from televisit.models import Clinician, Location, VisitType
from televisit.services.booking import snapshot as catalog_snapshot
from televisit.services.booking.check import SlotRequest, check_slot
from televisit.services.booking.search import SlotQuery, search
from televisit.services.booking.snapshot import Snapshot

READ_DAYS = 14  # a bulk Slot file is read this many local days at a time (memory: one such piece)
TICK = timedelta(microseconds=1)  # an instant bound's exclusive edge (`gt`, `le`) is one tick beyond it
Span = Callable[[ZoneInfo], tuple[datetime, datetime]]  # a site's zone -> the window [lo, hi) there


def order(slot: Slot) -> tuple:
    """The published order: by start, then clinician, site, visit type and mode (stable across pages)."""
    return slot.start, slot.clinician_id, slot.location_id, slot.visit_type_id, slot.mode


@dataclass(frozen=True)
class Target:
    """One engine search: a visit type at one site, of one clinician (None: every clinician there)."""

    visit_type_id: int
    location_id: int
    clinician_id: int | None = None


def catalog(session: Session) -> Snapshot:
    """The catalog as it is now (the in-memory snapshot the slot search reads)."""
    return catalog_snapshot.current(session)


def offered(snap: Snapshot, clinician_id: int, location_id: int) -> tuple[int, ...]:
    """Visit types the clinician offers at the site: ones they offer, in a mode their rules there allow
    (a joint visit only when they lead it, as the search has it)."""
    entry = snap.clinicians.get(clinician_id)
    if entry is None:
        return ()
    modes = frozenset().union(*(r.modes for r in entry.rules_at(location_id)))
    found = []
    for vid in sorted(entry.visit_type_ids):
        visit = snap.visits.get(vid)
        if visit is not None and visit.modes & modes and (not visit.team or entry.specialty == visit.team[0]):
            found.append(vid)
    return tuple(found)


def schedule_targets(snap: Snapshot, schedules: Iterable[tuple[int, int]], visit_types: set[int] | None):
    """The searches of some Schedules (clinician, site), for `visit_types` (None: all they offer there)."""
    return [
        Target(vid, loc, cid)
        for cid, loc in schedules
        for vid in offered(snap, cid, loc)
        if visit_types is None or vid in visit_types
    ]


def service_targets(snap: Snapshot, visit_types: set[int]) -> list[Target]:
    """The searches of visit types over every clinician, one per site (dates are local to a site)."""
    return [Target(vid, loc) for vid in sorted(visit_types) if vid in snap.visits for loc in sorted(snap.zones)]


def find(session: Session, targets: list[Target], span: Span, *, want: int | None, now: datetime, snap) -> list[Slot]:
    """The earliest `want` (None: every) free slot of `targets`, each within `span` at its site, in `order`."""
    found: list[Slot] = []
    for target in targets:
        zone = get_zone(snap.zones[target.location_id])
        lo, hi = span(zone)
        if lo < hi:
            found.extend(_between(session, target, zone, lo, hi, want, now, snap))
    found.sort(key=order)
    return found if want is None else found[:want]


def _between(session, t: Target, zone: ZoneInfo, lo, hi, want: int | None, now, snap) -> list[Slot]:
    """A target's slots starting in [lo, hi). The engine searches whole local dates and stops at `limit`;
    slots of the first date before `lo` use up that limit, so ask again for as many more as were cut."""
    q = SlotQuery(t.visit_type_id, local_date(lo, zone), local_date(hi - TICK, zone), zone, t.location_id)
    q = replace(q, clinician_id=t.clinician_id, limit=want)
    while True:
        found = search(session, q, now=now, snap=snap)
        kept = [s for s in found if lo <= s.start < hi]
        early = sum(1 for s in found if s.start < lo)
        done = want is None or len(found) < q.limit or len(kept) >= want  # all there is, or enough
        if done or early + len(kept) < len(found):  # ... or some start at `hi` or later: the window is covered
            return kept
        q = replace(q, limit=max(q.limit + 1, want + early))


def still_free(
    session: Session, clinician_id: int, location_id: int, visit_type_id: int, mode: str, start: datetime, *, now
) -> Slot | None:
    """The slot when it is still free and bookable (the booking check's answer), else None.

    A video slot is checked for a patient where the clinician holds a licence: a Slot names no patient."""
    entry = catalog(session).clinicians.get(clinician_id)
    region = entry.licenses[0] if entry is not None and entry.licenses else None
    req = SlotRequest(visit_type_id, clinician_id, location_id, mode, start, region)
    try:
        return check_slot(session, req, now=now)
    except (SlotUnavailable, Invalid):
        return None


def site_slots(session: Session, location_id: int, lo: datetime, hi: datetime, *, now, snap) -> Iterator[list[Slot]]:
    """Every free slot at one site starting in [lo, hi), READ_DAYS local days at a time, each piece in `order`.

    Each piece is one search per visit type offered there (the engine loads busy time two weeks at a time
    too), then the read ends: no connection is held while the caller sends the piece."""
    zone = get_zone(snap.zones[location_id])
    visit_types = sorted({vid for cid in snap.clinicians for vid in offered(snap, cid, location_id)})
    first, end = local_date(lo, zone), local_date(hi - TICK, zone)
    while first <= end:
        last = min(first + timedelta(days=READ_DAYS - 1), end)
        piece = []
        for vid in visit_types:
            q = SlotQuery(vid, first, last, zone, location_id)
            piece.extend(s for s in search(session, q, now=now, snap=snap) if lo <= s.start < hi)
        session.rollback()  # end the read transaction: the connection goes back to the pool
        piece.sort(key=order)
        yield piece
        first = last + timedelta(days=1)


@dataclass(frozen=True)
class ScheduleRow:
    """A Schedule of the bulk files: a clinician at a site, and the visit types (id, name) offered there."""

    clinician_id: int
    clinician_name: str
    location_id: int
    location_name: str
    services: tuple[tuple[int, str], ...]


def visit_type_names(session: Session, snap: Snapshot) -> dict[int, str]:
    """Every visit type's name, by id (read once per catalog state: a rename changes the stamp)."""
    return snap.remember(
        ("visit_type_names",), lambda: dict(session.execute(select(VisitType.id, VisitType.name)).all())
    )


def schedules(session: Session, snap: Snapshot) -> list[ScheduleRow]:
    """Every Schedule that offers something (a clinician with rules at a site), by clinician then site."""
    names = visit_type_names(session, snap)
    people = dict(session.execute(select(Clinician.id, Clinician.name)).all())
    sites = dict(session.execute(select(Location.id, Location.name)).all())
    rows = []
    for cid, entry in snap.clinicians.items():
        for loc in sorted(entry.rules):
            services = tuple((vid, names.get(vid, str(vid))) for vid in offered(snap, cid, loc))
            if services and cid in people and loc in sites:
                rows.append(ScheduleRow(cid, people[cid], loc, sites[loc], services))
    return rows
