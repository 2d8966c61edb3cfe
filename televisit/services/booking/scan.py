"""The slot search's inner loop: which clinician-days can still hold a slot, and the engine's answer.

The engine (`televisit.domain.availability.free_slots`) decides every slot; this module only
avoids asking it about rule windows where no slot can be free, and asks once per clinician-day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from televisit.domain.availability import (
    ClinicianDay,
    Intervals,
    Rule,
    Slot,
    VisitSpec,
    bookable_window,
    free_slots,
    rule_window,
)
from televisit.domain.timezones import local_date

_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)


class Room:
    """Where a slot could still be free: the gaps between intervals its visit must not meet.

    A slot the engine offers starts on its window's grid (window start + k * duration), at or after
    the earliest bookable instant, with its visit clear of time off and of every booking widened by
    the buffers. A rule window where no grid start has such room cannot contribute a slot, so it
    need not be handed to the engine (which still decides every slot it is given).
    """

    def __init__(self, pairs: list[tuple[datetime, datetime]], duration: timedelta, lo: datetime, hi: datetime):
        """Room for visits starting in [lo, hi] (and not earlier or later), around `pairs`."""
        self.duration = duration
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        edge = lo
        for start, end in sorted([*(p for p in pairs if p[0] < p[1]), (hi + duration, _FAR_FUTURE)]):
            if start - edge >= duration:
                self.starts.append(edge)
                self.ends.append(start)
            edge = max(edge, end)

    def fits(self, span: tuple[datetime, datetime]) -> bool:
        """True when some grid start of the rule window `span` has a whole visit's room."""
        return self.first(span) is not None

    def first(self, span: tuple[datetime, datetime]) -> datetime | None:
        """The first grid start of the rule window `span` with a whole visit's room (None: there is none)."""
        ws, we = span
        d = self.duration
        i = max(bisect_right(self.starts, ws) - 1, 0)
        while i < len(self.starts) and self.starts[i] < we:
            lo = max(self.starts[i], ws)
            first = ws + d * -((ws - lo) // d)  # the first grid start at or after lo
            if first + d <= min(self.ends[i], we):
                return first
            i += 1
        return None


def days(lo: datetime, hi: datetime, zone: ZoneInfo) -> list[date]:
    """The local dates of `zone` that [lo, hi) meets."""
    first, last = local_date(lo, zone), local_date(hi - timedelta(microseconds=1), zone)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class ChunkScan:
    """One load of busy time for every clinician, and the engine's answer per clinician-day (memoised)."""

    def __init__(
        self, cat, visit: VisitSpec, busy: dict, off: dict, lo: datetime, hi: datetime, now: datetime, only=None
    ):
        """`cat`: the search's catalog (modes, zones, rules by site); `busy`/`off`: intervals by clinician;
        `only`: the (site, local date) pairs to look at (None: every one)."""
        self.cat, self.visit, self.now, self.memo, self.only = cat, visit, now, {}, only
        self.busy, self.off = busy, off
        self.prune = visit.buffer_before_minutes >= 0 and visit.buffer_after_minutes >= 0
        # Slots outside [lo, hi) are dropped and nothing before the notice is free: no room there.
        self.lo, self.hi = max(lo, bookable_window(visit, now)[0]), hi
        self.buffers = (timedelta(minutes=visit.buffer_before_minutes), timedelta(minutes=visit.buffer_after_minutes))

    def slots(self, lo: datetime, hi: datetime) -> list[Slot]:
        """Free slots starting in [lo, hi), for every clinician of the catalog."""
        days_of = {zone: days(lo, hi, zone) for zone in set(self.cat.zones.values())}
        out: list[Slot] = []
        for cid, by_loc in self.cat.by_loc.items():
            modes = self.cat.modes[cid]
            for loc_id, by_weekday in by_loc.items():
                zone = self.cat.zones[loc_id]
                for day in days_of[zone]:
                    rules = by_weekday.get(day.weekday())
                    if rules and (self.only is None or (loc_id, day) in self.only):
                        found = self._day(cid, loc_id, zone, day, rules)
                        out.extend(s for s in found if lo <= s.start < hi and s.mode in modes)
        return out

    def slots_of(self, days_: list[tuple], lo: datetime, hi: datetime) -> list[Slot]:
        """Free slots starting in [lo, hi) of the clinician-days `days_`: (cid, site, local date, rules)."""
        out: list[Slot] = []
        for cid, loc_id, day, rules in days_:
            if self.only is None or (loc_id, day) in self.only:
                modes = self.cat.modes[cid]
                found = self._day(cid, loc_id, self.cat.zones[loc_id], day, rules)
                out.extend(s for s in found if lo <= s.start < hi and s.mode in modes)
        return out

    def first_start(self, cid: int, loc_id: int, day: date, rules: tuple[Rule, ...]) -> datetime | None:
        """A lower bound of the clinician-day's first free slot: the first grid start of its rule windows with room
        for the visit between the bookings and time off (None: no slot can be free). A visit that may overlap its
        neighbours' buffers is not bounded by room: its first window's start, or the scan's start."""
        if (loc_id, day) in self.cat.closures:
            return None
        zone = self.cat.zones[loc_id]
        spans = [w for r in rules if (w := rule_window(r, day, zone)) is not None]
        if not self.prune:
            return max(min((w[0] for w in spans), default=self.lo), self.lo) if spans else None
        room = self._room(cid)
        return min((f for w in spans if (f := room.first(w)) is not None), default=None)

    def _day(self, cid: int, loc_id: int, zone: ZoneInfo, day: date, rules: tuple[Rule, ...]) -> list[Slot]:
        key = (cid, loc_id, day)
        if key not in self.memo:
            if (loc_id, day) in self.cat.closures:
                rules = ()  # the site is closed that day
            if self.prune:
                room = self._room(cid)
                rules = tuple(r for r in rules if (w := rule_window(r, day, zone)) is not None and room.fits(w))
            self.memo[key] = self._engine(cid, loc_id, zone, day, rules) if rules else []
        return self.memo[key]

    def _room(self, cid: int) -> Room:
        key = ("room", cid)
        if key not in self.memo:
            # A visit at s is refused when [s - before, s + duration + after) meets a booking's blocked
            # interval [bs, be), i.e. when the visit itself meets [bs - after, be + before).
            before, after = self.buffers
            pairs = [(bs - after, be + before) for bs, be in self.busy.get(cid, ())] + self.off.get(cid, [])
            self.memo[key] = Room(pairs, self.visit.duration, self.lo, self.hi)
        return self.memo[key]

    def _engine(self, cid: int, loc_id: int, zone: ZoneInfo, day: date, rules: tuple[Rule, ...]) -> list[Slot]:
        key = ("intervals", cid)
        if key not in self.memo:
            self.memo[key] = (Intervals(self.busy.get(cid, ())), Intervals(self.off.get(cid, ())))
        busy, off = self.memo[key]
        modes = self.cat.modes[cid]
        mode = next(iter(modes)) if len(modes) < len(self.visit.modes) else None
        return free_slots(ClinicianDay(cid, loc_id, zone, day, rules, busy, off), self.visit, now=self.now, mode=mode)


def by_location(rules: list[Rule]) -> dict[int, dict[int, tuple[Rule, ...]]]:
    """Rules per site and weekday (a day is handed only its own weekday's rules)."""
    by_loc: dict[int, dict[int, list[Rule]]] = defaultdict(lambda: defaultdict(list))
    for r in rules:
        by_loc[r.location_id][r.weekday].append(r)
    return {loc_id: {wd: tuple(rs) for wd, rs in days.items()} for loc_id, days in by_loc.items()}
