"""The tumor board's weekly sessions: a fixed wall time at the board's site, whatever DST does. Pure.

A board meets every week on one weekday at one local start time at its site (e.g. Tuesdays 07:30 in
Cleveland, America/New_York) for a fixed length of real time. Each session is that wall time on that
local date turned into an instant by `timezones.wall_to_instant` (the one place that does it), so a
Cleveland 07:30 lands at 12:30 in London most weeks and at 11:30 in the two or three weeks between the US
and the UK clock changes. A start that falls in a spring-forward gap resolves to the transition instant
(the module policy of `timezones`); a repeated autumn wall time to its first occurrence. The end is the
start plus the duration in elapsed time (a 90-minute meeting lasts 90 minutes on a night the clocks move).

Capacity: a session holds at most `capacity` cases that are listed or reviewed; a removed case frees its
place. "Still to come" means the session has not started yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from televisit.domain.timezones import local_date, wall_to_instant

LISTED, REVIEWED, REMOVED = "listed", "reviewed", "removed"
STATUSES = (LISTED, REVIEWED, REMOVED)
HOLDS_A_PLACE = (LISTED, REVIEWED)  # what counts against a session's capacity
MAX_DURATION_MINUTES = 8 * 60
MAX_CAPACITY = 40
HORIZON_WEEKS = 26  # how far ahead "the earliest session with room" is looked for


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a board meets: `weekday` (0 = Monday) at `start_minute` of the local day in `zone`."""

    weekday: int
    start_minute: int
    duration_minutes: int
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class BoardSession:
    """One meeting: its local date at the board's site and its instants (UTC)."""

    day: date
    start: datetime
    end: datetime


def is_session_day(schedule: Schedule, day: date) -> bool:
    """True when the board meets on local `day`."""
    return day.weekday() == schedule.weekday


def session_on(schedule: Schedule, day: date) -> BoardSession:
    """The session on local `day` (a case keeps its date should the board later move to another weekday)."""
    start = wall_to_instant(day, schedule.start_minute, schedule.zone)
    return BoardSession(day, start, start + timedelta(minutes=schedule.duration_minutes))


def first_session_day(schedule: Schedule, day: date) -> date:
    """The first session day on or after `day`."""
    return day + timedelta(days=(schedule.weekday - day.weekday()) % 7)


def sessions_from(schedule: Schedule, day: date) -> Iterator[BoardSession]:
    """Every session from local `day` on, in order (an endless iterator)."""
    current = first_session_day(schedule, day)
    while True:
        yield session_on(schedule, current)
        current += timedelta(days=7)


def sessions_between(schedule: Schedule, first: date, last: date) -> list[BoardSession]:
    """The sessions on local dates `first`..`last` inclusive."""
    out = []
    for found in sessions_from(schedule, first):
        if found.day > last:
            return out
        out.append(found)
    return out  # pragma: no cover - the iterator never ends


def sessions_overlapping(schedule: Schedule, lo: datetime, hi: datetime) -> list[BoardSession]:
    """The sessions whose [start, end) meets [lo, hi) (busy time for the board's members)."""
    if lo >= hi:
        return []
    # a session's local date is within a day of the instants it covers (offsets are under a day)
    first = local_date(lo, schedule.zone) - timedelta(days=1)
    last = local_date(hi, schedule.zone) + timedelta(days=1)
    return [s for s in sessions_between(schedule, first, last) if s.start < hi and lo < s.end]


def upcoming(schedule: Schedule, now: datetime, *, weeks: int = HORIZON_WEEKS) -> list[BoardSession]:
    """The sessions still to come (not started at `now`), over the next `weeks` weeks."""
    today = local_date(now, schedule.zone)
    return [s for s in sessions_between(schedule, today, today + timedelta(weeks=weeks)) if s.start > now]


def still_to_come(session: BoardSession, now: datetime) -> bool:
    """True when the session has not started at `now` (a case may be listed into it or moved to it)."""
    return session.start > now


# The one message the board sends a patient: their care team has a plan (never what it is).
PLAN_RULE = "board-plan"


def plan_key(case_id: int, channel: str) -> str:
    """The outbox key of a case's plan message on one channel: one per case and channel, ever."""
    return f"board-case{case_id}:{PLAN_RULE}:{channel}"
