"""What a slot needs beyond its lead clinician: the other clinicians of a joint visit and the rooms or
machines a visit holds.

The slot search and the booking check both complete a slot here (DESIGN rule 5): for each further
specialty of the visit's team, the first clinician (by id) who offers the visit, works at the site then
in that mode (licensed where the patient is, for video), is not away and is free for the blocked
interval; for each resource kind, the first resource of that kind at the site that is open then, not
out of service and free for the blocked interval. A slot that cannot be completed is not offered. The
database's reservations are still the last word when the booking is written (rule 6).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain.availability import Intervals, Slot, VisitSpec, rule_window
from televisit.domain.licensure import covers
from televisit.domain.timezones import get_zone, local_date
from televisit.services.booking import busy_time
from televisit.services.booking.snapshot import ClinicianEntry, ResourceEntry, Snapshot


class Extras:
    """The team's other clinicians and the resources a visit needs, with their busy time for one range."""

    def __init__(self, snap: Snapshot, visit: VisitSpec, region: str | None, location_id: int | None = None):
        """Candidates from the catalog: clinicians of each further specialty, resources of each kind."""
        self.snap, self.visit, self.region = snap, visit, region
        offering = [e for e in snap.clinicians.values() if visit.id in e.visit_type_ids]
        self.team = [[e for e in offering if e.specialty == spec] for spec in visit.team[1:]]
        self.kinds = [
            [r for r in snap.resources.values() if r.kind == kind and location_id in (None, r.location_id)]
            for kind in visit.resource_kinds
        ]
        self.busy: dict[int, Intervals] = {}
        self.off: dict[int, Intervals] = {}
        self.resource_busy: dict[int, Intervals] = {}
        self.resource_off: dict[int, Intervals] = {}

    def load(self, session: Session, lo: datetime, hi: datetime, exclude: int | None) -> Extras:
        """Read the candidates' busy time and time off touching [lo, hi)."""
        cids = sorted({e.id for group in self.team for e in group})
        if cids:
            busy, off = busy_time.blocked(session, cids, lo, hi, exclude, snap=self.snap)
            self.busy = {cid: Intervals(busy[cid]) for cid in cids}
            self.off = {cid: Intervals(off[cid]) for cid in cids}
        rids = sorted({r.id for group in self.kinds for r in group})
        if rids:
            busy, off = busy_time.resources_blocked(session, rids, lo, hi, exclude)
            self.resource_busy = {rid: Intervals(busy[rid]) for rid in rids}
            self.resource_off = {rid: Intervals(off[rid]) for rid in rids}
        return self

    def complete(self, slots: list[Slot]) -> list[Slot]:
        """The slots that can be completed, completed; the others dropped."""
        return [done for done in map(self.fill, slots) if done is not None]

    def fill(self, slot: Slot, clinician_ids=None, resource_ids=None) -> Slot | None:
        """`slot` with its attending clinicians and resources (the ones asked for, when given), or None."""
        team = self.team_for(slot, clinician_ids)
        held = None if team is None else self.resources_for(slot, resource_ids)
        return None if held is None else with_parties(slot, team, held)

    def team_for(self, slot: Slot, clinician_ids=None) -> list[int] | None:
        """The attending clinicians, the lead first (None: a needed specialty has nobody free)."""
        zone, day = self._where(slot)
        team = [slot.clinician_id]
        for i, group in enumerate(self.team):
            wanted = None if clinician_ids is None else clinician_ids[i + 1]
            free = (e.id for e in group if e.id not in team and self._clinician_free(e, slot, zone, day, wanted))
            found = next(free, None)
            if found is None:
                return None
            team.append(found)
        return team

    def resources_for(self, slot: Slot, resource_ids=None) -> list[int] | None:
        """One free resource of each kind, in the visit's order (None: a kind has none free)."""
        zone, day = self._where(slot)
        held = []
        for i, group in enumerate(self.kinds):
            wanted = None if resource_ids is None else resource_ids[i]
            found = next((r.id for r in group if self._resource_free(r, slot, zone, day, wanted)), None)
            if found is None:
                return None
            held.append(found)
        return held

    def _where(self, slot: Slot):
        zone = get_zone(self.snap.zones[slot.location_id])
        return zone, local_date(slot.start, zone)

    def _clinician_free(self, e: ClinicianEntry, slot: Slot, zone, day, wanted: int | None) -> bool:
        if wanted is not None and e.id != wanted:
            return False
        # no region given: like the lead (search._modes_for), not filtered by licence (the booking asks for one)
        if slot.mode == "virtual" and self.region is not None and not covers(list(e.licenses), self.region):
            return False
        visit_span = (slot.start, slot.end)
        if not _covers(e.rules_at(slot.location_id), day, zone, visit_span, slot.mode):
            return False
        return not (self.off[e.id].overlaps(*visit_span) or self.busy[e.id].overlaps(*self.visit.blocked(slot.start)))

    def _resource_free(self, r: ResourceEntry, slot: Slot, zone, day, wanted: int | None) -> bool:
        if (wanted is not None and r.id != wanted) or r.location_id != slot.location_id:
            return False
        visit_span = (slot.start, slot.end)
        if not _covers(r.rules, day, zone, visit_span, slot.mode):
            return False
        if self.resource_off[r.id].overlaps(*visit_span):
            return False
        return not self.resource_busy[r.id].overlaps(*self.visit.blocked(slot.start))


def _covers(rules, day, zone, span, mode: str) -> bool:
    """`window_covers` with the rule windows memoised (the same windows are asked for slot after slot)."""
    for rule in rules:
        if mode in rule.modes:
            w = rule_window(rule, day, zone)
            if w is not None and w[0] <= span[0] and span[1] <= w[1]:
                return True
    return False


def with_parties(slot: Slot, team: list[int], held: list[int]) -> Slot:
    """The slot naming its clinicians (only when joint) and its resources."""
    return replace(slot, clinician_ids=tuple(team) if len(team) > 1 else (), resource_ids=tuple(held))
