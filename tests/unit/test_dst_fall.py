"""Fall back (2026-2028, New York and London): the repeated hour yields distinct instants."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from televisit.domain.timezones import day_bounds, wall_time_exists, wall_to_instant

from ._support import FALL_DAYS, REPEATED_HOUR, ZONES, case_id, hours, round_trips, starts_of, wall, window_of


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_four_hour_rule_covers_five_real_hours(name, day):
    zone = ZONES[name]
    start, end = window_of(day, zone, "00:00", "04:00")
    assert end - start == hours(5)
    assert (wall(start, zone), wall(end, zone)) == ("00:00", "04:00")


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_half_hour_visits_give_ten_slots_with_the_repeated_hour_twice(name, day):
    zone, rep = ZONES[name], REPEATED_HOUR[name]
    starts = starts_of(day, zone, "00:00", "04:00", 30)
    assert len(starts) == 10
    assert len(set(starts)) == 10
    assert {b - a for a, b in zip(starts, starts[1:], strict=False)} == {timedelta(minutes=30)}
    shown = Counter(wall(s, zone) for s in starts)
    assert shown[f"{rep:02d}:00"] == 2
    assert shown[f"{rep:02d}:30"] == 2
    assert sum(shown.values()) == 10 and max(shown.values()) == 2
    twins = [s for s in starts if wall(s, zone) == f"{rep:02d}:00"]
    offsets = [t.astimezone(zone).utcoffset() for t in twins]
    assert offsets[0] - offsets[1] == hours(1)  # daylight first, then standard time
    assert twins[1] - twins[0] == hours(1)


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_repeated_wall_time_opens_at_first_and_closes_at_second(name, day):
    zone, rep = ZONES[name], REPEATED_HOUR[name]
    minute = rep * 60 + 30
    opening = wall_to_instant(day, minute, zone)
    closing = wall_to_instant(day, minute, zone, closing=True)
    assert closing - opening == hours(1)
    assert opening.astimezone(zone).fold == 0 and closing.astimezone(zone).fold == 1
    assert wall(opening, zone) == wall(closing, zone) == f"{rep:02d}:30"
    assert wall_time_exists(day, minute, zone)


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_unambiguous_times_ignore_the_closing_flag(name, day):
    zone, rep = ZONES[name], REPEATED_HOUR[name]
    for minute in (0, rep * 60 - 1, rep * 60 + 60, 9 * 60, 1440):
        assert wall_to_instant(day, minute, zone) == wall_to_instant(day, minute, zone, closing=True), minute


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_rule_over_the_repeated_hour_covers_both_passes(name, day):
    zone, rep = ZONES[name], REPEATED_HOUR[name]
    start, end = window_of(day, zone, f"{rep:02d}:00", f"{rep + 1:02d}:00")
    assert end - start == hours(2)
    starts = starts_of(day, zone, f"{rep:02d}:00", f"{rep + 1:02d}:00", 60)
    assert [wall(s, zone) for s in starts] == [f"{rep:02d}:00", f"{rep:02d}:00"]
    assert starts[1] - starts[0] == hours(1)


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_rule_closing_inside_the_repeated_hour_keeps_the_first_pass(name, day):
    zone, rep = ZONES[name], REPEATED_HOUR[name]
    start, end = window_of(day, zone, "00:00", f"{rep:02d}:30")
    # 00:00 -> second 01:30: the whole first pass plus half of the second.
    assert end - start == hours(rep) + hours(1.5)
    assert end.astimezone(zone).fold == 1


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_rule_opening_inside_the_repeated_hour_starts_on_the_first_pass(name, day):
    zone, rep = ZONES[name], REPEATED_HOUR[name]
    start, end = window_of(day, zone, f"{rep:02d}:30", f"{rep + 2:02d}:00")
    assert start.astimezone(zone).fold == 0
    assert end - start == hours(2.5)


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_window_ending_at_2400_on_the_long_day(name, day):
    zone = ZONES[name]
    assert window_of(day, zone, "00:00", "24:00") == day_bounds(day, zone)
    assert len(starts_of(day, zone, "00:00", "24:00", 60)) == 25
    start, end = window_of(day, zone, "22:00", "24:00")
    assert end - start == hours(2)
    assert end == day_bounds(day + timedelta(days=1), zone)[0]


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
@pytest.mark.parametrize("minutes", [20, 45, 50, 90])
def test_odd_lengths_step_in_elapsed_time_through_the_repeated_hour(name, day, minutes):
    zone = ZONES[name]
    starts = starts_of(day, zone, "00:00", "06:00", minutes)
    assert len(starts) == (7 * 60) // minutes  # six wall hours are seven real ones
    assert {b - a for a, b in zip(starts, starts[1:], strict=False)} == {timedelta(minutes=minutes)}
    assert all(round_trips(s, zone) for s in starts)
    if minutes <= 60:  # a step this short must land in the second pass at least once
        assert any(s.astimezone(zone).fold for s in starts)


@pytest.mark.parametrize(("name", "day"), FALL_DAYS, ids=case_id)
def test_rule_closing_at_the_start_of_the_repeated_hour_stops_before_it(name, day):
    # Regression: closing at the *second* 01:00 offered 01:00 and 01:30 (first pass) to a rule that ends at 01:00.
    zone, rep = ZONES[name], REPEATED_HOUR[name]
    start, end = window_of(day, zone, "00:00", f"{rep:02d}:00")
    assert end - start == hours(rep)
    assert end.astimezone(zone).fold == 0
    assert [wall(s, zone) for s in starts_of(day, zone, "00:00", f"{rep:02d}:00", 30)] == [
        f"{h:02d}:{m:02d}" for h in range(rep) for m in (0, 30)
    ]
    # One minute later the window's last minute repeats, so it runs to the second pass.
    assert wall_to_instant(day, rep * 60 + 1, zone, closing=True) - end == hours(1) + timedelta(minutes=1)
    # Opening at the start of the repeated hour still takes its first occurrence.
    assert wall_to_instant(day, rep * 60, zone) == end
