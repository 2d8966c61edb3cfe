"""Clinic-day options: for each (local date, site), the shortest same-day chain of the pathway's steps.

Each step's candidates come from the slot search itself (so every option offered can be booked: the
same engine, with buffers, notice, licensure, time off, closures, teams and resources); the chain is
chosen by the pure `domain.pathways.best_chain`. The range is searched a week at a time and the search
stops once `limit` options are certain.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from televisit.domain.availability import Slot
from televisit.domain.pathways import Gaps, best_chain, shares_party
from televisit.domain.timezones import get_zone, local_date
from televisit.models import Pathway
from televisit.services.booking import snapshot as catalog_snapshot
from televisit.services.booking.search import SlotQuery, search

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class OptionsQuery:
    """Options on local dates `first`..`last` in `zone`, optionally at one site, for a patient's region."""

    first: date
    last: date
    zone: ZoneInfo
    location_id: int | None = None
    patient_region: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class DayOption:
    """One clinic day: its local date at the site, the site, and one slot per step in order."""

    date: date
    location_id: int
    steps: list[Slot]


def day_options(session: Session, pathway: Pathway, q: OptionsQuery, *, now: datetime) -> list[DayOption]:
    """The options of `pathway` in `q`'s range, sorted by first start (at most one per date and site)."""
    snap = catalog_snapshot.current(session)
    gaps = Gaps(timedelta(minutes=pathway.min_gap_minutes), timedelta(minutes=pathway.max_gap_minutes))
    clash = _clash(snap)
    found: dict[tuple[date, int], DayOption] = {}
    first = q.first
    span = WEEK if q.limit is not None else q.last - q.first + timedelta(days=1)  # stop early only for a limit
    while first <= q.last and (q.limit is None or len(found) < q.limit):
        last = min(first + span - timedelta(days=1), q.last)
        for option in _week(session, pathway, q, first, last, gaps, clash, snap, now):
            found.setdefault((option.date, option.location_id), option)
        first = last + timedelta(days=1)
    options = sorted(found.values(), key=lambda o: (o.steps[0].start, o.location_id))
    return options[: q.limit] if q.limit is not None else options


def _week(session, pathway, q, first, last, gaps, clash, snap, now) -> list[DayOption]:
    """Options whose first step falls on `first`..`last` (in q's zone); the search reaches a day either
    side, so a site day that straddles the viewer's date line is seen whole. Each step after the first is
    searched only on the (site, date) pairs every earlier step can fill."""
    per_step, keys = {}, None
    for i in _most_selective_first(pathway.steps, snap):
        step = pathway.steps[i]
        sq = SlotQuery(
            step["visit_type_id"],
            first - timedelta(days=1),
            last + timedelta(days=1),
            q.zone,
            location_id=q.location_id,
            mode=step.get("mode"),
            patient_region=q.patient_region,
            only=None if keys is None else frozenset((loc, day) for day, loc in keys),
        )
        groups = _by_site_day(search(session, sq, now=now, snap=snap), snap)
        keys = set(groups) if keys is None else keys & set(groups)
        per_step[i] = groups
        if not keys:
            return []
    out = []
    for key in keys or ():
        chain = best_chain([per_step[i][key] for i in range(len(pathway.steps))], gaps, clash)
        if chain and first <= local_date(chain[0].start, q.zone) <= last:
            out.append(DayOption(key[0], key[1], chain))
    return out


def _most_selective_first(steps: list[dict], snap) -> list[int]:
    """Step indexes, the step offered at the fewest (clinician, site) pairs first: the later searches then
    look only at the (site, date) pairs it can fill."""

    def offered(step: dict) -> int:
        vid = step["visit_type_id"]
        return sum(len(e.rules) for e in snap.clinicians.values() if vid in e.visit_type_ids)

    return sorted(range(len(steps)), key=lambda i: (offered(steps[i]), i))


def _by_site_day(slots: list[Slot], snap) -> dict[tuple[date, int], list[Slot]]:
    groups: dict[tuple[date, int], list[Slot]] = defaultdict(list)
    zones = {}
    for slot in slots:
        zone = zones.get(slot.location_id) or zones.setdefault(slot.location_id, get_zone(snap.zones[slot.location_id]))
        groups[(local_date(slot.start, zone), slot.location_id)].append(slot)
    return groups


def _clash(snap):
    """Two steps clash when they need one clinician or resource at overlapping blocked intervals."""

    def blocked(slot: Slot):
        return snap.visits[slot.visit_type_id].blocked(slot.start)

    return lambda a, b: shares_party(a, b, blocked)
