"""How a clinician's local day at a site reads: their weekly hours less their time off. Pure.

Time off blocks the clinician everywhere (as in the slot engine), so every span of it that touches the
local day is shown, in the site's wall time: "Day off" when it covers the whole day, else "Away 13:00–17:00"
("Away from 13:00" / "Away until 11:00" when it runs on from or into another day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from televisit.domain.availability import MODES, Rule, rule_window
from televisit.domain.timezones import MINUTES_PER_DAY, day_bounds, format_hhmm, to_local

DAY_OFF = "Day off"


@dataclass(frozen=True)
class Window:
    """Clinic hours left on the day, in the site's wall time."""

    start: str  # "HH:MM"
    end: str  # "HH:MM" ("24:00" at midnight)
    modes: tuple[str, ...]  # in MODES order


@dataclass(frozen=True)
class ClinicDay:
    """The hours the clinician still holds clinic on the day, and how their time off reads."""

    hours: list[Window]
    away: list[str]

    @property
    def day_off(self) -> bool:
        """True when time off covers the whole local day."""
        return self.away == [DAY_OFF]


def _wall(instant: datetime, zone: ZoneInfo, day_end: datetime) -> str:
    """The wall time of `instant` on its day; the day's end reads 24:00."""
    if instant >= day_end:
        return format_hhmm(MINUTES_PER_DAY)
    local = to_local(instant, zone)
    return format_hhmm(local.hour * 60 + local.minute)


def _merged(spans: Iterable[tuple[datetime, datetime]], lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """`spans` that touch [lo, hi), merged where they meet (not clipped)."""
    out: list[list[datetime]] = []
    for start, end in sorted(s for s in spans if s[0] < hi and s[1] > lo and s[0] < s[1]):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def _minus(window: tuple[datetime, datetime], offs: list[tuple[datetime, datetime]]):
    """The parts of `window` outside every span of `offs` (sorted, merged)."""
    start, end = window
    for off_start, off_end in offs:
        if off_start > start:
            yield start, min(off_start, end)
        start = max(start, off_end)
        if start >= end:
            return
    if start < end:
        yield start, end


def _away_text(span: tuple[datetime, datetime], lo: datetime, hi: datetime, zone: ZoneInfo) -> str:
    start, end = span
    if start <= lo and end >= hi:
        return DAY_OFF
    if start <= lo:
        return f"Away until {_wall(end, zone, hi)}"
    if end >= hi:
        return f"Away from {_wall(start, zone, hi)}"
    return f"Away {_wall(start, zone, hi)}–{_wall(end, zone, hi)}"


def clinic_day(
    rules: Iterable[Rule], offs: Iterable[tuple[datetime, datetime]], day: date, zone: ZoneInfo
) -> ClinicDay:
    """The rules' windows on local `day` less the time off `offs` (instants), and the time off as it reads."""
    lo, hi = day_bounds(day, zone)
    spans = _merged(offs, lo, hi)
    hours = []
    for rule in sorted(rules, key=lambda r: (r.start_minute, r.end_minute)):
        window = rule_window(rule, day, zone)
        for start, end in _minus(window, spans) if window else ():
            modes = tuple(m for m in MODES if m in rule.modes)
            hours.append(Window(_wall(start, zone, hi), _wall(end, zone, hi), modes))
    return ClinicDay(hours, [_away_text(s, lo, hi, zone) for s in spans])
