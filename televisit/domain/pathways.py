"""Clinic days and treatment courses, pure: chains of slots on one day, and the days of a course.

A clinic day (an option) is a same-day chain at one site: the pathway's steps in order, each starting
between `min_gap` and `max_gap` after the previous one ends. Of all chains on a (date, site) the one
with the shortest time from first start to last end is offered (ties: the earlier start). Steps that
share a clinician or a resource must not overlap, buffers included.

A course is `count` fractions at the same local wall time on the pattern's days: `weekdays` takes
consecutive open weekdays (Monday to Friday, skipping the site's closures), `alternate` every other
open weekday.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from televisit.domain.availability import Slot

PATTERNS = ("weekdays", "alternate")
MAX_FRACTIONS = 10


@dataclass(frozen=True, slots=True)
class Gaps:
    """How long the patient waits between two steps: at least `least`, at most `most`."""

    least: timedelta
    most: timedelta


Clash = Callable[[Slot, Slot], bool]  # True when two steps' slots cannot both be held


def _never(_a: Slot, _b: Slot) -> bool:
    return False


def best_chain(steps: Sequence[Sequence[Slot]], gaps: Gaps, clash: Clash = _never) -> list[Slot] | None:
    """The shortest chain taking one slot of each step in order (None when there is none).

    `steps[i]` holds step i's candidate slots on one day at one site, sorted by start. Backwards, each
    slot learns the earliest last end reachable from it; then the first step's slot with the shortest
    span wins (ties: the earlier start).
    """
    if not steps or any(not candidates for candidates in steps):
        return None
    reach = [[(slot.end, None) for slot in steps[-1]]]  # per slot: (earliest last end, index of the next)
    for i in range(len(steps) - 2, -1, -1):
        following = (steps[i + 1], [s.start for s in steps[i + 1]], reach[0])
        reach.insert(0, [_best_next(slot, following, gaps, clash) for slot in steps[i]])
    best = None
    for j, slot in enumerate(steps[0]):
        end = reach[0][j][0]
        if end is not None and (best is None or end - slot.start < best[0]):
            best = (end - slot.start, j)
    return None if best is None else _walk(steps, reach, best[1])


def _best_next(slot: Slot, following: tuple, gaps: Gaps, clash: Clash):
    """(earliest last end, index) over the next step's slots (with their starts and reach) that may follow `slot`."""
    following, starts, reach_next = following
    best = (None, None)
    for k in range(bisect_left(starts, slot.end + gaps.least), len(following)):
        candidate = following[k]
        if candidate.start > slot.end + gaps.most:
            break
        end = reach_next[k][0]
        if end is not None and (best[0] is None or end < best[0]) and not clash(slot, candidate):
            best = (end, k)
    return best


def _walk(steps: Sequence[Sequence[Slot]], reach: list, j: int) -> list[Slot]:
    chain = []
    for i in range(len(steps)):
        chain.append(steps[i][j])
        j = reach[i][j][1]
    return chain


def shares_party(a: Slot, b: Slot, blocked: Callable[[Slot], tuple[datetime, datetime]]) -> bool:
    """True when two slots need the same clinician or resource at overlapping blocked intervals."""
    if not (set(a.attending) & set(b.attending) or set(a.resource_ids) & set(b.resource_ids)):
        return False
    (a0, a1), (b0, b1) = blocked(a), blocked(b)
    return a0 < b1 and b0 < a1


def course_days(first: date, count: int, pattern: str, closed: set[date] | frozenset[date]) -> list[date]:
    """The `count` days of a course starting on `first` (which must itself be open)."""
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}")
    open_days = _open_weekdays(first, closed)
    step = 1 if pattern == "weekdays" else 2
    return [next(open_days) if i == 0 else _skip(open_days, step) for i in range(count)]


def _open_weekdays(first: date, closed):
    day = first
    while True:
        if day.weekday() < 5 and day not in closed:
            yield day
        day += timedelta(days=1)


def _skip(days, step: int) -> date:
    for _ in range(step - 1):
        next(days)
    return next(days)


def is_course_start(day: date, closed) -> bool:
    """A course starts on an open weekday."""
    return day.weekday() < 5 and day not in closed


def chain_problems(steps: Sequence[Slot], gaps: Gaps, day_of: Callable[[Slot], date]) -> dict[str, str]:
    """Why these steps are not one clinic day, by field: one site, one local date, the gaps kept."""
    problems = {}
    for i in range(1, len(steps)):
        prev, step = steps[i - 1], steps[i]
        field = f"steps[{i}].start"
        if step.location_id != steps[0].location_id:
            problems[f"steps[{i}].location_id"] = "every step of a clinic day is at the same site"
        elif day_of(step) != day_of(steps[0]):
            problems[field] = "every step of a clinic day is on the same local date"
        elif not gaps.least <= step.start - prev.end <= gaps.most:
            least, most = gaps.least // timedelta(minutes=1), gaps.most // timedelta(minutes=1)
            problems[field] = f"must start {least} to {most} minutes after the previous step ends"
    return problems
