"""The transition dates themselves, day lengths, and zone-neutral checks (2026-2028)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from televisit.domain.timezones import day_bounds, local_date, transitions, wall_to_instant

from ._support import ALL_CHANGE_DAYS, CHANGES, FALL_DAYS, SPRING_DAYS, UTC, YEARS, ZONES, case_id, hours

SPAN = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))


def nth_sunday(year: int, month: int, n: int) -> date:
    """The n-th Sunday of a month; n = -1 for the last one."""
    sundays = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == 6]
    return sundays[n]


@pytest.mark.parametrize("year", YEARS)
def test_listed_dates_follow_the_legal_rules(year):
    # US: second Sunday of March, first Sunday of November. UK/EU: last Sunday of March and October.
    assert CHANGES["America/New_York"][year] == (nth_sunday(year, 3, 1), nth_sunday(year, 11, 0))
    assert CHANGES["Europe/London"][year] == (nth_sunday(year, 3, -1), nth_sunday(year, 10, -1))


@pytest.mark.parametrize("name", ZONES, ids=case_id)
def test_transitions_finds_exactly_the_listed_days(name):
    zone = ZONES[name]
    found = transitions(zone, *SPAN)
    expected = [d for y in YEARS for d in CHANGES[name][y]]
    assert [local_date(t, zone) for t, _, _ in found] == expected
    # Spring forward gains an hour of offset, fall back loses it, alternately.
    assert [after - before for _, before, after in found] == [hours(1), hours(-1)] * len(YEARS)


@pytest.mark.parametrize("name", ZONES, ids=case_id)
def test_transition_instants_are_exact_to_the_second(name):
    zone = ZONES[name]
    for instant, before, after in transitions(zone, *SPAN):
        assert (instant - timedelta(seconds=1)).astimezone(zone).utcoffset() == before
        assert instant.astimezone(zone).utcoffset() == after
        # US changes at 02:00 local (07:00/06:00 UTC); the UK at 01:00 UTC both ways.
        utc_hour = {"America/New_York": 7 if after > before else 6, "Europe/London": 1}[name]
        assert (instant.hour, instant.minute, instant.second) == (utc_hour, 0, 0)


@pytest.mark.parametrize("name", ZONES, ids=case_id)
def test_transitions_agree_with_a_brute_force_hourly_scan(name):
    zone = ZONES[name]
    cursor, end, changed = SPAN[0], SPAN[1], []
    while cursor < end:
        if (cursor + hours(1)).astimezone(zone).utcoffset() != cursor.astimezone(zone).utcoffset():
            changed.append(cursor + hours(1))
        cursor += hours(1)
    assert [t for t, _, _ in transitions(zone, *SPAN)] == changed


@pytest.mark.parametrize("name", ZONES, ids=case_id)
def test_transitions_range_is_open_at_start_and_closed_at_end(name):
    # A change counts when offset(t - 1s) != offset(t); it is reported when start < t <= end,
    # so consecutive ranges (a, b], (b, c] neither lose nor repeat a change that falls on b.
    zone = ZONES[name]
    first, _, _ = transitions(zone, *SPAN)[0]
    assert transitions(zone, first - timedelta(days=2), first)[0][0] == first
    assert transitions(zone, first, first + timedelta(days=30)) == []
    assert transitions(zone, first - timedelta(seconds=1), first + timedelta(seconds=1))[0][0] == first
    assert transitions(zone, first - timedelta(days=30), first - timedelta(seconds=1)) == []
    both = transitions(zone, SPAN[0], first) + transitions(zone, first, SPAN[1])
    assert both == transitions(zone, *SPAN)


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_spring_forward_day_is_23_hours(name, day):
    start, end = day_bounds(day, ZONES[name])
    assert end - start == hours(23)


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_fall_back_day_is_25_hours(name, day):
    start, end = day_bounds(day, ZONES[name])
    assert end - start == hours(25)


@pytest.mark.parametrize(("name", "day"), ALL_CHANGE_DAYS, ids=case_id)
@pytest.mark.parametrize("shift", [-7, -1, 1, 7])
def test_days_around_a_change_are_24_hours(name, day, shift):
    other = day + timedelta(days=shift)
    start, end = day_bounds(other, ZONES[name])
    assert end - start == hours(24)
    assert start.astimezone(ZONES[name]).replace(tzinfo=None) == datetime(other.year, other.month, other.day)


@pytest.mark.parametrize(("name", "day"), ALL_CHANGE_DAYS, ids=case_id)
def test_day_bounds_tile_the_timeline(name, day):
    zone = ZONES[name]
    days = [day + timedelta(days=k) for k in range(-2, 3)]
    bounds = [day_bounds(d, zone) for d in days]
    for (_, end), (next_start, _) in zip(bounds, bounds[1:], strict=False):
        assert end == next_start


# Zone-neutral: the same code must hold wherever offsets change, by whatever amount, in either
# hemisphere, at local midnight (Santiago), or never (UTC, Kolkata). Expectations come from zoneinfo.
NEUTRAL_ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Europe/Berlin",
    "UTC",
    "Asia/Kolkata",
]


@pytest.mark.parametrize("name", NEUTRAL_ZONES)
def test_every_day_lasts_24h_minus_the_offset_change(name):
    zone = ZoneInfo(name)
    changes = {local_date(t, zone): after - before for t, before, after in transitions(zone, *SPAN)}
    day = date(2026, 1, 2)
    while day < date(2028, 12, 31):
        start, end = day_bounds(day, zone)
        assert end - start == hours(24) - changes.get(day, timedelta(0)), day
        day += timedelta(days=1)


@pytest.mark.parametrize("name", ["UTC", "Asia/Kolkata", "Asia/Tokyo"])
def test_zone_without_dst_has_no_transitions_and_plain_windows(name):
    zone = ZoneInfo(name)
    assert transitions(zone, *SPAN) == []
    for _, day in ALL_CHANGE_DAYS:
        w_start = wall_to_instant(day, 0, zone)
        assert wall_to_instant(day, 240, zone, closing=True) - w_start == hours(4)
        assert w_start.astimezone(zone).replace(tzinfo=None) == datetime(day.year, day.month, day.day)


def test_half_hour_dst_shift_is_handled_like_any_other():
    zone = ZoneInfo("Australia/Lord_Howe")
    found = transitions(zone, *SPAN)
    assert found and {abs(after - before) for _, before, after in found} == {timedelta(minutes=30)}
    lengths = {day_bounds(local_date(t, zone), zone)[1] - day_bounds(local_date(t, zone), zone)[0] for t, *_ in found}
    assert lengths == {timedelta(hours=23, minutes=30), timedelta(hours=24, minutes=30)}


def test_midnight_gap_starts_the_day_at_the_transition():
    # Chile springs forward at 24:00: local midnight does not exist on that Sunday.
    zone = ZoneInfo("America/Santiago")
    spring = [(t, d) for t, b, a in transitions(zone, *SPAN) if a > b for d in [local_date(t, zone)]]
    assert spring
    for instant, day in spring:
        start, _ = day_bounds(day, zone)
        assert start == instant
        assert start.astimezone(zone).strftime("%H:%M") == "01:00"
        assert day_bounds(day - timedelta(days=1), zone)[1] == instant
