"""Weekly rules + time off + bookings -> free slots. Pure: stdlib only.

Definitions (docs/time.md):

* A rule window is every instant whose wall-clock reading at the location lies in
  [start, end) on a local date with the rule's weekday (see timezones.wall_to_instant).
* Slots step through real elapsed time from the window's start by the visit length;
  a slot is offered when the visit [start, end) fits inside the window.
* An appointment occupies its *blocked* interval [start - buffer_before, end + buffer_after);
  two blocked intervals of one clinician may never overlap. Time off blocks the visit itself.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from televisit.domain.timezones import wall_to_instant

MODES = ("virtual", "in_person")


@dataclass(frozen=True, slots=True)
class Rule:
    """A weekly availability window in the location's wall time."""

    location_id: int
    weekday: int  # 0 = Monday
    start_minute: int
    end_minute: int  # up to 1440 (24:00)
    modes: frozenset[str]


@dataclass(frozen=True, slots=True)
class VisitSpec:
    """What the slot engine needs to know about a visit type."""

    id: int
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    max_advance_days: int
    modes: frozenset[str]
    resource_kinds: tuple[str, ...] = ()  # one resource of each kind at the site, for the blocked interval
    team: tuple[str, ...] = ()  # a joint visit: one clinician of each specialty, the first leads

    @property
    def needs_more(self) -> bool:
        """True when a slot needs more than its one clinician: resources, or a team."""
        return bool(self.resource_kinds) or len(self.team) > 1

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    def blocked(self, start: datetime) -> tuple[datetime, datetime]:
        """The interval an appointment starting at `start` occupies, buffers included."""
        end = start + self.duration
        return (
            start - timedelta(minutes=self.buffer_before_minutes),
            end + timedelta(minutes=self.buffer_after_minutes),
        )


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable (clinician, location, visit type, mode, start, end)."""

    clinician_id: int
    location_id: int
    visit_type_id: int
    mode: str
    start: datetime
    end: datetime
    clinician_ids: tuple[int, ...] = ()  # a joint visit's attending clinicians, the first is clinician_id
    resource_ids: tuple[int, ...] = ()  # the resources the visit holds

    @property
    def attending(self) -> tuple[int, ...]:
        """Every attending clinician (the lead alone when the visit is not joint)."""
        return self.clinician_ids or (self.clinician_id,)


class Intervals:
    """A sorted, merged set of half-open UTC intervals with a fast overlap test."""

    def __init__(self, pairs: Iterable[tuple[datetime, datetime]] = ()):
        merged: list[list[datetime]] = []
        for start, end in sorted(p for p in pairs if p[0] < p[1]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [m[0] for m in merged]
        self._ends = [m[1] for m in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """True when [start, end) overlaps any interval of the set."""
        i = bisect_right(self._starts, start) - 1
        if i >= 0 and self._ends[i] > start:
            return True
        return i + 1 < len(self._starts) and self._starts[i + 1] < end

    def __len__(self) -> int:
        return len(self._starts)


def rule_window(rule: Rule, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The UTC window of `rule` on local `day`, or None when the rule does not apply that day (memoised: it is
    pure, and a program's clinicians share a few sets of hours, asked for every day a search looks at)."""
    return _window_of(rule.weekday, rule.start_minute, rule.end_minute, day, zone)


@lru_cache(maxsize=65536)
def _window_of(weekday: int, start_minute: int, end_minute: int, day: date, zone: ZoneInfo):
    if day.weekday() != weekday:
        return None
    start = wall_to_instant(day, start_minute, zone)
    end = wall_to_instant(day, end_minute, zone, closing=True)
    return (start, end) if start < end else None


def window_starts(window: tuple[datetime, datetime], duration: timedelta) -> Iterator[datetime]:
    """Slot starts stepping by `duration` in real time while the visit fits in `window`."""
    start, end = window
    while start + duration <= end:
        yield start
        start += duration


def bookable_window(visit: VisitSpec, now: datetime) -> tuple[datetime, datetime]:
    """Earliest and latest start allowed by minimum notice and maximum advance."""
    return (
        now + timedelta(minutes=visit.min_notice_minutes),
        now + timedelta(days=visit.max_advance_days),
    )


@dataclass(frozen=True, slots=True)
class ClinicianDay:
    """Everything needed to list one clinician's free slots on one local day at one site."""

    clinician_id: int
    location_id: int
    zone: ZoneInfo
    day: date
    rules: tuple[Rule, ...]
    busy: Intervals  # other appointments' blocked intervals
    time_off: Intervals
    closed: bool = False  # the site is closed that local day (a holiday)


def grid(cd: ClinicianDay, visit: VisitSpec, mode: str | None = None) -> list[tuple[datetime, str]]:
    """(start, mode) pairs the rules offer on the day, before notice, time off and bookings."""
    modes = visit.modes if mode is None else visit.modes & {mode}
    windows = []
    for rule in cd.rules:
        rule_modes = modes & rule.modes
        if rule.location_id != cd.location_id or not rule_modes:
            continue
        window = rule_window(rule, cd.day, cd.zone)
        if window is not None:
            windows.append((window, sorted(rule_modes)))
    if len(windows) == 1:  # the usual day: one window, whose starts come in order and once each
        (window, ordered), duration = windows[0], visit.duration
        return [(start, m) for start in window_starts(window, duration) for m in ordered]
    seen: set[tuple[datetime, str]] = set()
    for window, ordered in windows:
        for start in window_starts(window, visit.duration):
            seen.update((start, m) for m in ordered)
    return sorted(seen)


def refusal(
    cd: ClinicianDay, visit: VisitSpec, start: datetime, mode: str, *, now: datetime, on_grid: bool | None = None
) -> str | None:
    """Why `start` in `mode` cannot be booked (a reason code), or None when it is free."""
    if on_grid is None:
        on_grid = (start, mode) in set(grid(cd, visit, mode))
    if not on_grid:
        return "outside_hours"
    if cd.closed:
        return "closed"
    earliest, latest = bookable_window(visit, now)
    if start < earliest:
        return "too_soon"
    if start > latest:
        return "too_far"
    if cd.time_off.overlaps(start, start + visit.duration):
        return "time_off"
    if cd.busy.overlaps(*visit.blocked(start)):
        return "taken"
    return None


def free_slots(cd: ClinicianDay, visit: VisitSpec, *, now: datetime, mode: str | None = None) -> list[Slot]:
    """Free slots of `visit` for one clinician, site and local day, in start order: the grid starts that
    `refusal` finds nothing against (the same tests, with the visit's constants worked out once per day:
    the search's inner loop)."""
    if cd.closed:
        return []
    earliest, latest = bookable_window(visit, now)
    duration = visit.duration
    before, after = timedelta(minutes=visit.buffer_before_minutes), timedelta(minutes=visit.buffer_after_minutes)
    off = cd.time_off.overlaps if len(cd.time_off) else None
    busy = cd.busy.overlaps if len(cd.busy) else None
    cid, loc, vid = cd.clinician_id, cd.location_id, visit.id
    out = []
    for start, m in grid(cd, visit, mode):
        if start < earliest or start > latest:
            continue
        end = start + duration
        if (off is None or not off(start, end)) and (busy is None or not busy(start - before, end + after)):
            out.append(Slot(cid, loc, vid, m, start, end))
    return out


REASONS = {
    "outside_hours": "The clinician does not offer that time (outside their hours, not a slot start, or wrong mode).",
    "too_soon": "That time is inside the visit type's minimum notice.",
    "too_far": "That time is beyond how far ahead this visit type can be booked.",
    "time_off": "The clinician is away at that time.",
    "taken": "That time has just been taken.",
    "not_offered": "The clinician does not offer this visit type.",
    "not_licensed": "The clinician is not licensed where the patient will be for a video visit.",
    "mode_not_offered": "This visit type is not offered in that mode.",
    "closed": "The site is closed that day.",
    "no_team": "Not every clinician this joint visit needs is free at that time.",
    "no_resource": "No room or machine this visit needs is free at that time.",
}


def window_covers(rules: Iterable[Rule], day: date, zone: ZoneInfo, span: tuple[datetime, datetime], mode: str) -> bool:
    """True when one of `rules` (at the site, in `mode`) holds the whole of `span` on local `day`."""
    for rule in rules:
        if mode not in rule.modes:
            continue
        window = rule_window(rule, day, zone)
        if window is not None and window[0] <= span[0] and span[1] <= window[1]:
            return True
    return False
