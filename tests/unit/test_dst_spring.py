"""Spring forward (2026-2028, New York and London): the skipped hour is never offered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from televisit.domain.timezones import day_bounds, transitions, wall_time_exists, wall_to_instant

from ._support import GAP_HOUR, SPRING_DAYS, ZONES, case_id, hours, round_trips, starts_of, wall, window_of

DURATIONS = [10, 15, 20, 25, 30, 40, 45, 50, 60, 90]


def transition_on(day, zone):
    """The spring-forward instant on local `day`."""
    start, end = day_bounds(day, zone)
    (found,) = transitions(zone, start, end)
    return found[0]


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_gap_hour_does_not_exist_and_its_neighbours_do(name, day):
    zone, gap = ZONES[name], GAP_HOUR[name]
    for minute in range(gap * 60, gap * 60 + 60):
        assert not wall_time_exists(day, minute, zone), minute
    assert wall_time_exists(day, gap * 60 - 1, zone)
    assert wall_time_exists(day, gap * 60 + 60, zone)
    assert wall_time_exists(day - timedelta(days=1), gap * 60 + 30, zone)


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_four_hour_rule_covers_three_real_hours(name, day):
    start, end = window_of(day, ZONES[name], "00:00", "04:00")
    assert end - start == hours(3)
    assert (wall(start, ZONES[name]), wall(end, ZONES[name])) == ("00:00", "04:00")


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_two_hour_rule_straddling_the_gap_covers_one_real_hour(name, day):
    start, end = window_of(day, ZONES[name], "01:00", "03:00")
    assert end - start == hours(1)
    assert wall(end, ZONES[name]) == "03:00"


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
@pytest.mark.parametrize("minutes", DURATIONS)
def test_no_slot_starts_in_the_gap_and_every_start_round_trips(name, day, minutes):
    zone, gap = ZONES[name], GAP_HOUR[name]
    starts = starts_of(day, zone, "00:00", "04:00", minutes)
    assert len(starts) == 180 // minutes  # three real hours
    for start in starts:
        local = start.astimezone(zone)
        assert local.hour != gap, local
        assert local.date() == day
        minute = local.hour * 60 + local.minute
        assert wall_time_exists(day, minute, zone)
        assert wall_to_instant(day, minute, zone) == start
        assert round_trips(start, zone)
    gaps = {b - a for a, b in zip(starts, starts[1:], strict=False)}
    assert gaps == {timedelta(minutes=minutes)}


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_half_hour_slots_skip_straight_over_the_gap(name, day):
    zone, gap = ZONES[name], GAP_HOUR[name]
    shown = [wall(s, zone) for s in starts_of(day, zone, "00:00", "04:00", 30)]
    expected = [f"{h:02d}:{m:02d}" for h in range(4) if h != gap for m in (0, 30)]
    assert shown == expected


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
@pytest.mark.parametrize("opening", ["00", "15", "30", "59"])
def test_window_opening_in_the_gap_starts_at_the_transition(name, day, opening):
    zone, gap = ZONES[name], GAP_HOUR[name]
    start, end = window_of(day, zone, f"{gap:02d}:{opening}", f"{gap + 3:02d}:00")
    assert start == transition_on(day, zone)
    assert wall(start, zone) == f"{gap + 1:02d}:00"
    assert end - start == hours(2)
    first = starts_of(day, zone, f"{gap:02d}:{opening}", f"{gap + 3:02d}:00", 30)[0]
    assert first == start


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_window_closing_in_the_gap_ends_at_the_transition(name, day):
    zone, gap = ZONES[name], GAP_HOUR[name]
    start, end = window_of(day, zone, "00:00", f"{gap:02d}:30")
    assert end == transition_on(day, zone)
    assert end - start == hours(gap)
    assert wall_to_instant(day, gap * 60 + 30, zone, closing=True) == end


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_window_wholly_inside_the_gap_offers_nothing(name, day):
    gap = GAP_HOUR[name]
    assert window_of(day, ZONES[name], f"{gap:02d}:00", f"{gap:02d}:45") is None
    assert window_of(day, ZONES[name], f"{gap:02d}:10", f"{gap + 1:02d}:00") is None


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_window_ending_at_2400_reaches_next_midnight(name, day):
    zone = ZONES[name]
    start, end = window_of(day, zone, "20:00", "24:00")
    assert end - start == hours(4)
    assert end == day_bounds(day + timedelta(days=1), zone)[0]
    starts = starts_of(day, zone, "20:00", "24:00", 60)
    assert [wall(s, zone) for s in starts] == ["20:00", "21:00", "22:00", "23:00"]


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_whole_day_rule_is_the_23_hour_day(name, day):
    zone = ZONES[name]
    assert window_of(day, zone, "00:00", "24:00") == day_bounds(day, zone)
    assert len(starts_of(day, zone, "00:00", "24:00", 60)) == 23


@pytest.mark.parametrize(("name", "day"), SPRING_DAYS, ids=case_id)
def test_gap_resolution_ignores_the_closing_flag(name, day):
    zone, gap = ZONES[name], GAP_HOUR[name]
    for minute in (gap * 60, gap * 60 + 1, gap * 60 + 59):
        opening = wall_to_instant(day, minute, zone)
        assert opening == wall_to_instant(day, minute, zone, closing=True)
        assert opening == transition_on(day, zone)
