"""The catalog (visit types, clinicians, sites, weekly rules) held in memory, as long as the database says
it is unchanged.

Every statement that changes a catalog table sets `catalog_state.stamp` to a new random value in the
same transaction (migration 0006), so a stamp names one state of the catalog and is never reused, not
even after a rollback. A request reads the stamp (often inside a query it makes anyway) and uses the
snapshot held for that stamp, or loads a new one. Loading reads the stamp before and after the tables
and retries if it changed in between, so a snapshot never mixes two states.

The slot search and the booking check read the catalog from here: no catalog query on their hot paths.
Snapshots are per engine (tests run several databases in one process) and immutable; a process holds
the latest one it loaded.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from weakref import WeakKeyDictionary

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from televisit.domain.availability import MODES, Rule, VisitSpec
from televisit.models import (
    AvailabilityRule,
    Board,
    Clinician,
    Location,
    Resource,
    ResourceRule,
    SiteClosure,
    VisitType,
    board_members,
)
from televisit.models.catalog import catalog_state, clinician_visit_types

LOAD_ATTEMPTS = 5  # a stamp that keeps changing under a load: give up caching and use the last load
MEMO_LIMIT = 512  # per-query structures kept per snapshot (the search's catalogs)


@dataclass(frozen=True, slots=True)
class ClinicianEntry:
    """A clinician's licences, the visit types they offer, and their weekly rules at each site."""

    id: int
    licenses: tuple[str, ...]
    visit_type_ids: frozenset[int]
    rules: dict[int, tuple[Rule, ...]]  # by location id, each ordered by weekday, start, rule id
    specialty: str = ""

    def rules_at(self, location_id: int) -> tuple[Rule, ...]:
        """The clinician's rules at one site ((): none)."""
        return self.rules.get(location_id, ())


@dataclass(frozen=True, slots=True)
class ResourceEntry:
    """A room or machine: its kind, its site, and its weekly hours there (as rules open to every mode)."""

    id: int
    kind: str
    location_id: int
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """A tumor board: when it meets (its site's wall time) and who sits on it (a session is their busy time)."""

    id: int
    location_id: int
    weekday: int
    start_minute: int
    duration_minutes: int
    members: frozenset[int]


@dataclass(frozen=True)
class Snapshot:
    """One state of the catalog, named by its stamp."""

    stamp: str | None
    visits: dict[int, VisitSpec]
    policies: dict[int, list | None]  # visit type id -> reminder policy (None: the default)
    clinicians: dict[int, ClinicianEntry]  # in id order
    zones: dict[int, str]  # location id -> IANA zone
    memo: dict = field(default_factory=dict, compare=False)
    resources: dict[int, ResourceEntry] = field(default_factory=dict)  # in id order
    closures: frozenset[tuple[int, date]] = frozenset()  # (location id, local date) the site is closed
    boards_of: dict[int, tuple[BoardEntry, ...]] = field(default_factory=dict)  # clinician id -> boards they sit on

    def is_closed(self, location_id: int, day: date) -> bool:
        """True when the site is closed on that local day."""
        return (location_id, day) in self.closures

    def remember(self, key, build):
        """`build()`, computed once per snapshot for `key` (structures derived from this state only)."""
        found = self.memo.get(key)
        if found is None:
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            found = self.memo[key] = build()
        return found


_HELD: WeakKeyDictionary = WeakKeyDictionary()  # engine -> the latest Snapshot loaded through it


def stamp_query():
    """A scalar subquery of the current stamp, to ride along in a query a caller makes anyway."""
    return select(catalog_state.c.stamp).where(catalog_state.c.id == 1).scalar_subquery()


def read_stamp(session: Session) -> str | None:
    """The current stamp (None when the row is missing: nothing is then reused)."""
    return session.connection().execute(select(stamp_query())).scalar()


def current(session: Session, stamp: str | None = None) -> Snapshot:
    """The catalog as of `stamp` (read now when not given): the held snapshot when it matches, else a new load."""
    if stamp is None:
        stamp = read_stamp(session)
    engine = session.get_bind()
    held = _HELD.get(engine)
    if held is not None and stamp is not None and held.stamp == stamp:
        return held
    snap = load(session)
    if snap.stamp is not None:
        _HELD[engine] = snap
    return snap


def load(session: Session) -> Snapshot:
    """Read the whole catalog, consistently: the stamp must be the same before and after."""
    snap = None
    for _ in range(LOAD_ATTEMPTS):
        before = read_stamp(session)
        snap = _read(session, before)
        if before is not None and read_stamp(session) == before:
            return snap
    return replace(snap, stamp=None, memo={})  # used once, never held


def _read(session: Session, stamp: str | None) -> Snapshot:
    conn = session.connection()
    visits, policies = _read_visits(conn)
    loc = Location.__table__.c
    zones = dict(conn.execute(select(loc.id, loc.timezone)).all())
    clinicians = _read_clinicians(conn)
    return Snapshot(
        stamp,
        visits,
        policies,
        clinicians,
        zones,
        resources=_read_resources(conn),
        closures=_closures(conn),
        boards_of=_boards_of(conn),
    )


def _read_visits(conn) -> tuple[dict[int, VisitSpec], dict[int, list | None]]:
    vt = VisitType.__table__.c
    spec = (vt.id, vt.duration_minutes, vt.buffer_before_minutes, vt.buffer_after_minutes, vt.min_notice_minutes)
    visits, policies = {}, {}
    extras = (_text(vt.modes), _text(vt.reminder_policy), _text(vt.resource_kinds), _text(vt.team_specialties))
    for *row, modes, policy, kinds, team in conn.execute(select(*spec, vt.max_advance_days, *extras)):
        kinds, team = tuple(_json(kinds) or ()), tuple(_json(team) or ())
        visits[row[0]] = VisitSpec(*row, frozenset(_json(modes)), kinds, team)
        policies[row[0]] = _json(policy)
    return visits, policies


def _read_clinicians(conn) -> dict[int, ClinicianEntry]:
    offered = defaultdict(set)
    cvt = clinician_visit_types.c
    for cid, vid in conn.execute(select(cvt.clinician_id, cvt.visit_type_id)):
        offered[cid].add(vid)
    rules = defaultdict(lambda: defaultdict(list))
    r = AvailabilityRule.__table__.c
    cols = (r.clinician_id, r.location_id, r.weekday, r.start_minute, r.end_minute, _text(r.modes))
    for cid, loc, weekday, start, end, modes in conn.execute(select(*cols).order_by(*cols[:1], *cols[2:4], r.id)):
        rules[cid][loc].append(Rule(loc, weekday, start, end, frozenset(_json(modes))))
    c = Clinician.__table__.c
    return {
        cid: ClinicianEntry(cid, tuple(_json(lic) or ()), frozenset(offered[cid]), _frozen(rules[cid]), specialty)
        for cid, lic, specialty in conn.execute(select(c.id, _text(c.licenses), c.specialty).order_by(c.id))
    }


def _read_resources(conn) -> dict[int, ResourceEntry]:
    rules = defaultdict(list)
    rr = ResourceRule.__table__.c
    all_modes = frozenset(MODES)
    for rid, weekday, start, end in conn.execute(
        select(rr.resource_id, rr.weekday, rr.start_minute, rr.end_minute).order_by(
            rr.resource_id, rr.weekday, rr.start_minute
        )
    ):
        rules[rid].append((weekday, start, end))
    r = Resource.__table__.c
    return {
        rid: ResourceEntry(rid, kind, loc, tuple(Rule(loc, wd, a, b, all_modes) for wd, a, b in rules[rid]))
        for rid, kind, loc in conn.execute(select(r.id, r.kind, r.location_id).order_by(r.id))
    }


def _closures(conn) -> frozenset[tuple[int, date]]:
    sc = SiteClosure.__table__.c
    return frozenset((loc, _day(day)) for loc, day in conn.execute(select(sc.location_id, sc.day)))


def _boards_of(conn) -> dict[int, tuple[BoardEntry, ...]]:
    """Each board member's boards (a handful of rows: boards are few, and so are their members)."""
    members = defaultdict(set)
    bm = board_members.c
    for board_id, cid in conn.execute(select(bm.board_id, bm.clinician_id)):
        members[board_id].add(cid)
    b = Board.__table__.c
    cols = (b.id, b.location_id, b.weekday, b.start_minute, b.duration_minutes)
    out = defaultdict(list)
    for row in conn.execute(select(*cols).order_by(b.id)):
        entry = BoardEntry(*row, frozenset(members[row[0]]))
        for cid in entry.members:
            out[cid].append(entry)
    return {cid: tuple(found) for cid, found in out.items()}


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _frozen(by_location: dict[int, list[Rule]]) -> dict[int, tuple[Rule, ...]]:
    return {loc: tuple(rules) for loc, rules in by_location.items()}


def _text(col):
    """A JSON column read as its text (parsed here, the same way on SQLite and PostgreSQL)."""
    return cast(col, Text)


def _json(text: str | None):
    return None if text is None else json.loads(text)
