"""The one place that turns local wall time into instants and back.

Policy for the two kinds of DST anomaly (documented in docs/time.md):

* A wall time that does not exist (spring forward gap) resolves to the transition
  instant itself, for window starts and ends alike: the window covers exactly the
  instants whose wall-clock reading lies inside it.
* A wall time that occurs twice (fall back) resolves to its first occurrence when it
  opens a window and to its second occurrence when it closes one, so the window
  again covers every instant whose wall-clock reading lies inside it. Closing at the
  very first repeated minute uses the first occurrence: the minute before it does not
  repeat, so the window's last wall minute has already ended there.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc
MINUTES_PER_DAY = 24 * 60
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")


class UnknownZone(ValueError):
    """The name is not an IANA time zone known to this system."""


class NaiveDatetime(ValueError):
    """An instant was given without a UTC offset."""


class BadInstant(ValueError):
    """Text that is not an ISO 8601 date-time."""


def get_zone(name: str) -> ZoneInfo:
    """Return the IANA zone called `name` or raise UnknownZone."""
    # Checked before the cache: an unhashable value (a JSON list or object) must not raise TypeError.
    if not isinstance(name, str) or not _ZONE_NAME.match(name) or name.lower() == "localtime":
        raise UnknownZone(f"unknown time zone: {name!r}")
    return _load_zone(name)


@lru_cache(maxsize=512)
def _load_zone(name: str) -> ZoneInfo:
    """Load (once) a zone whose name has already passed the shape check."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, IsADirectoryError) as exc:
        raise UnknownZone(f"unknown time zone: {name!r}") from exc


def is_zone(name: object) -> bool:
    """True when `name` is a known IANA zone name."""
    try:
        get_zone(name)  # type: ignore[arg-type]
    except UnknownZone:
        return False
    return True


def parse_instant(text: object) -> datetime:
    """Parse an ISO 8601 instant that carries an offset; return it in UTC."""
    if not isinstance(text, str) or not 10 < len(text) < 40:
        raise BadInstant("expected an ISO 8601 date-time with an offset")
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadInstant("expected an ISO 8601 date-time with an offset") from exc
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime("the date-time has no UTC offset (e.g. +01:00 or Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before datetime.min in UTC
        raise BadInstant("the date-time is out of range") from exc


def parse_date(text: object) -> date:
    """Parse YYYY-MM-DD."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError("expected a date as YYYY-MM-DD")
    return date.fromisoformat(text)


def require_aware(value: datetime) -> datetime:
    """Return `value` in UTC; refuse a naive datetime (a naive datetime is a bug)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime("naive datetime")
    return value.astimezone(UTC)


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The aware local datetime of `instant` in `zone`."""
    return require_aware(instant).astimezone(zone)


def render(instant: datetime, zone: ZoneInfo) -> str:
    """ISO 8601 with seconds and the zone's offset at that instant."""
    return to_local(instant, zone).isoformat(timespec="seconds")


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date of `instant` on the wall in `zone`."""
    return to_local(instant, zone).date()


def wall_minute(instant: datetime, zone: ZoneInfo) -> int:
    """The minute of the local day that `instant` reads on the wall in `zone` (0..1439)."""
    local = to_local(instant, zone)
    return local.hour * 60 + local.minute


def _first_instant_with_offset(lo: datetime, hi: datetime, zone: ZoneInfo) -> datetime:
    """Binary-search the transition instant between `lo` (old offset) and `hi` (new offset)."""
    target = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return hi


def wall_to_instant(day: date, minute: int, zone: ZoneInfo, *, closing: bool = False) -> datetime:
    """The UTC instant of wall time `minute` (0..1440) on local `day`, per the module policy."""
    if not 0 <= minute <= MINUTES_PER_DAY:
        raise ValueError("minute must be within 0..1440")
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return first
    if first.astimezone(zone).replace(tzinfo=None) != naive:
        # Nonexistent: fold=1 lands before the gap, fold=0 after it.
        return _first_instant_with_offset(min(first, second), max(first, second), zone)
    if closing and _repeats(naive - timedelta(minutes=1), zone):
        return max(first, second)
    return min(first, second)


def _repeats(naive: datetime, zone: ZoneInfo) -> bool:
    """True when the wall time `naive` occurs twice in `zone` (a fall-back repeated stretch)."""
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return first != second and first.astimezone(zone).replace(tzinfo=None) == naive


def wall_time_exists(day: date, minute: int, zone: ZoneInfo) -> bool:
    """False when the wall time falls in a spring-forward gap."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == naive


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) instants of the local calendar `day` in `zone` (23, 24 or 25 hours)."""
    return wall_to_instant(day, 0, zone), wall_to_instant(day, MINUTES_PER_DAY, zone)


def date_range_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) instants covering local dates `first`..`last` inclusive."""
    return wall_to_instant(first, 0, zone), wall_to_instant(last, MINUTES_PER_DAY, zone)


def abbreviation(instant: datetime, zone: ZoneInfo) -> str:
    """The zone abbreviation in force at `instant` (EST/EDT, GMT/BST)."""
    return to_local(instant, zone).tzname() or ""


def parse_hhmm(text: object) -> int:
    """Parse "HH:MM" (00:00..24:00) into minutes since local midnight."""
    # ASCII digits only: \d would also take "٠٩:٠٠" (Arabic-Indic), which no client means.
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{2}:[0-9]{2}", text):
        raise ValueError("expected HH:MM")
    hours, minutes = int(text[:2]), int(text[3:])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError("expected a time from 00:00 to 24:00")
    return hours * 60 + minutes


def format_hhmm(minute: int) -> str:
    """Minutes since local midnight as "HH:MM" (1440 -> "24:00")."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
    """Offset changes of `zone` at instants in (start, end]: (instant, offset before, offset after)."""
    out = []
    step = timedelta(days=1)
    cursor = require_aware(start)
    before = cursor.astimezone(zone).utcoffset()
    while cursor < end:
        nxt = min(cursor + step, require_aware(end))
        after = nxt.astimezone(zone).utcoffset()
        if after != before:
            at = _first_instant_with_offset(cursor, nxt, zone)
            out.append((at, before, after))
        cursor, before = nxt, after
    return out
