"""Ordinary clinic hours keep their wall-clock times across DST changes (the Cal.com failure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from televisit.domain.availability import free_slots, grid
from televisit.domain.timezones import get_zone, wall_to_instant

from ._support import (
    ALL_CHANGE_DAYS,
    CHANGES,
    SITES,
    UK_CHANGES,
    US_CHANGES,
    YEARS,
    ZONES,
    case_id,
    hours,
    long_before,
    make_day,
    make_rule,
    make_visit,
    wall,
)

# Standard-time UTC offsets in whole hours; daylight time is one hour later.
STANDARD = {"America/New_York": -5, "Europe/London": 0}


def is_daylight(name: str, day: date) -> bool:
    spring, fall = CHANGES[name][day.year]
    return spring <= day < fall


def clinic_slots(name: str, day: date):
    zone = ZONES[name]
    cd = make_day(day, zone, [make_rule(day, "09:00", "17:00")])
    return free_slots(cd, make_visit(30), now=long_before(day), mode="virtual")


AROUND = [-8, -7, -1, 0, 1, 6, 7]


@pytest.mark.parametrize(("name", "day"), ALL_CHANGE_DAYS, ids=case_id)
@pytest.mark.parametrize("shift", AROUND)
def test_nine_to_five_keeps_its_wall_clock_hours(name, day, shift):
    zone, when = ZONES[name], day + timedelta(days=shift)
    slots = clinic_slots(name, when)
    assert [wall(s.start, zone) for s in slots] == [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)]
    assert wall(slots[-1].end, zone) == "17:00"
    assert slots[-1].end - slots[0].start == hours(8)
    assert all(s.start.astimezone(zone).date() == when for s in slots)
    # 09:00 local is 14:00 UTC in New York winter, 13:00 in summer; 09:00/08:00 UTC in London.
    utc_hour = 9 - STANDARD[name] - (1 if is_daylight(name, when) else 0)
    assert slots[0].start.hour == utc_hour
    assert slots[-1].start.hour == utc_hour + 7  # the afternoon moves with the morning


@pytest.mark.parametrize(("name", "day"), ALL_CHANGE_DAYS, ids=case_id)
def test_utc_offset_of_the_clinic_changes_exactly_on_the_transition_day(name, day):
    zone = ZONES[name]
    eve, today = clinic_slots(name, day - timedelta(days=1)), clinic_slots(name, day)
    shift = today[0].start.astimezone(zone).utcoffset() - eve[0].start.astimezone(zone).utcoffset()
    assert abs(shift) == hours(1)
    assert (today[0].start - eve[0].start) == hours(24) - shift
    # The afternoon shifts by exactly the same amount as the morning.
    assert (today[-1].start - eve[-1].start) == (today[0].start - eve[0].start)


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("year", YEARS)
def test_a_week_of_clinics_across_the_change_stays_at_nine(site, year):
    zone = get_zone(SITES[site])
    for change in CHANGES[SITES[site]][year]:
        monday = change - timedelta(days=change.weekday() + 7)
        for k in range(21):
            day = monday + timedelta(days=k)
            cd = make_day(day, zone, [make_rule(day, "09:00", "17:00")])
            starts = [s for s, _ in grid(cd, make_visit(60, modes=["in_person"]))]
            assert [wall(s, zone) for s in starts] == [f"{h:02d}:00" for h in range(9, 17)], day


def four_hour_weeks(year: int) -> list[tuple[date, date]]:
    """[first, last) local date ranges when New York is 4 hours behind London."""
    return [
        (US_CHANGES[year][0], UK_CHANGES[year][0]),  # US already on EDT, UK still on GMT
        (UK_CHANGES[year][1], US_CHANGES[year][1]),  # UK back on GMT, US still on EDT
    ]


# (spring, autumn) weeks with a 4-hour gap: the US changes 2 or 3 weeks before the UK in March.
ODD_WEEKS = {2026: (3, 1), 2027: (2, 1), 2028: (2, 1)}


@pytest.mark.parametrize("year", YEARS)
def test_four_hour_weeks_per_year(year):
    (s0, s1), (a0, a1) = four_hour_weeks(year)
    assert (s1 - s0, a1 - a0) == tuple(timedelta(weeks=n) for n in ODD_WEEKS[year])


@pytest.mark.parametrize("site", ["Cleveland", "Weston"])
@pytest.mark.parametrize("year", YEARS)
def test_nine_am_in_ohio_or_florida_is_1300_or_1400_in_london(site, year):
    home, london = get_zone(SITES[site]), get_zone(SITES["London"])
    odd = four_hour_weeks(year)
    day, seen = date(year, 2, 1), {13: 0, 14: 0}
    while day < date(year, 12, 1):
        nine = wall_to_instant(day, 9 * 60, home)
        expected = 13 if any(a <= day < b for a, b in odd) else 14
        assert nine.astimezone(london).strftime("%H:%M") == f"{expected}:00", day
        seen[expected] += 1
        day += timedelta(days=1)
    assert seen[13] == 7 * sum(ODD_WEEKS[year])


@pytest.mark.parametrize("year", YEARS)
def test_london_morning_clinic_seen_from_new_york(year):
    # The mirror view: 13:00 in London is 09:00 in New York in the odd weeks, 08:00 otherwise.
    london, ny = ZONES["Europe/London"], ZONES["America/New_York"]
    (s0, s1), (a0, a1) = four_hour_weeks(year)
    for day, expected in [(s0 - timedelta(days=1), "08:00"), (s0, "09:00"), (s1 - timedelta(days=1), "09:00")]:
        assert wall(wall_to_instant(day, 13 * 60, london), ny) == expected, day
    for day, expected in [(s1, "08:00"), (a0, "09:00"), (a1, "08:00")]:
        assert wall(wall_to_instant(day, 13 * 60, london), ny) == expected, day
