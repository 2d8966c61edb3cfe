"""Shared builders and DST facts for the pure-domain unit tests (no app, no database)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from televisit.domain.availability import MODES, ClinicianDay, Intervals, Rule, VisitSpec, rule_window, window_starts
from televisit.domain.timezones import parse_hhmm, wall_time_exists, wall_to_instant

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
ZONES = {"America/New_York": NY, "Europe/London": LONDON}
# The program's sites and the zone each keeps its rules in.
SITES = {"Cleveland": "America/New_York", "Weston": "America/New_York", "London": "Europe/London"}
YEARS = (2026, 2027, 2028)

# (spring forward, fall back) local dates; tests re-derive these from zoneinfo and the legal rules.
US_CHANGES = {
    2026: (date(2026, 3, 8), date(2026, 11, 1)),
    2027: (date(2027, 3, 14), date(2027, 11, 7)),
    2028: (date(2028, 3, 12), date(2028, 11, 5)),
}
UK_CHANGES = {
    2026: (date(2026, 3, 29), date(2026, 10, 25)),
    2027: (date(2027, 3, 28), date(2027, 10, 31)),
    2028: (date(2028, 3, 26), date(2028, 10, 29)),
}
CHANGES = {"America/New_York": US_CHANGES, "Europe/London": UK_CHANGES}
# The local hour that is skipped in spring and repeated in autumn.
GAP_HOUR = {"America/New_York": 2, "Europe/London": 1}
REPEATED_HOUR = {"America/New_York": 1, "Europe/London": 1}

SPRING_DAYS = [(name, CHANGES[name][y][0]) for name in ZONES for y in YEARS]
FALL_DAYS = [(name, CHANGES[name][y][1]) for name in ZONES for y in YEARS]
ALL_CHANGE_DAYS = SPRING_DAYS + FALL_DAYS


def case_id(value: object) -> str:
    """Readable parametrize ids for zone names and dates."""
    return str(value).replace("America/", "").replace("Europe/", "")


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def make_visit(
    duration: int = 30,
    *,
    before: int = 0,
    after: int = 0,
    notice: int = 0,
    advance: int = 3650,
    modes: Iterable[str] = MODES,
    visit_id: int = 7,
) -> VisitSpec:
    """A visit type with sensible defaults."""
    return VisitSpec(visit_id, duration, before, after, notice, advance, frozenset(modes))


def make_rule(day: date, start: str, end: str, *, location_id: int = 1, modes: Iterable[str] = MODES) -> Rule:
    """A weekly rule that applies on `day`'s weekday, with HH:MM wall times."""
    return Rule(location_id, day.weekday(), parse_hhmm(start), parse_hhmm(end), frozenset(modes))


def make_day(
    day: date,
    zone: ZoneInfo,
    rules: Iterable[Rule],
    *,
    busy: Iterable[tuple[datetime, datetime]] = (),
    time_off: Iterable[tuple[datetime, datetime]] = (),
    location_id: int = 1,
    clinician_id: int = 3,
) -> ClinicianDay:
    """One clinician's day at one site."""
    return ClinicianDay(clinician_id, location_id, zone, day, tuple(rules), Intervals(busy), Intervals(time_off))


def long_before(day: date) -> datetime:
    """A 'now' far enough before `day` that minimum notice never bites."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=30)


def window_of(day: date, zone: ZoneInfo, start: str, end: str) -> tuple[datetime, datetime] | None:
    """The UTC window of an HH:MM-HH:MM rule on `day`."""
    return rule_window(make_rule(day, start, end), day, zone)


def starts_of(day: date, zone: ZoneInfo, start: str, end: str, minutes: int) -> list[datetime]:
    """Slot starts of a `minutes`-long visit in an HH:MM-HH:MM window on `day`."""
    window = window_of(day, zone, start, end)
    assert window is not None, f"no window {start}-{end} on {day}"
    return list(window_starts(window, timedelta(minutes=minutes)))


def wall(instant: datetime, zone: ZoneInfo) -> str:
    """Local wall time HH:MM of `instant` in `zone`."""
    return instant.astimezone(zone).strftime("%H:%M")


def at(zone: ZoneInfo, y: int, m: int, d: int, hh: int = 0, mm: int = 0, fold: int = 0) -> datetime:
    """An aware local datetime converted to UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=zone, fold=fold).astimezone(UTC)


def round_trips(instant: datetime, zone: ZoneInfo) -> bool:
    """The local reading of `instant` exists, maps back to it, and a first pass is what a window opens at."""
    local = instant.astimezone(zone)
    day, minute = local.date(), local.hour * 60 + local.minute
    back = local.replace(tzinfo=None).replace(tzinfo=zone, fold=local.fold).astimezone(UTC)
    opening = wall_to_instant(day, minute, zone)
    first_pass_ok = opening == instant if local.fold == 0 else opening < instant
    return back == instant and wall_time_exists(day, minute, zone) and first_pass_ok
