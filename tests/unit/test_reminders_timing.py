"""When a reminder falls: whole-day offsets keep the site's wall time across DST, other offsets are
elapsed time, and quiet hours (21:00-08:00 in the patient's zone) move a message to 20:59 before them."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from televisit.domain.reminders import before_quiet, is_quiet, nominal_due

UTC = timezone.utc
NY, LONDON, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Europe/London"), ZoneInfo("Asia/Tokyo")
KOLKATA, LORD_HOWE = ZoneInfo("Asia/Kolkata"), ZoneInfo("Australia/Lord_Howe")  # +05:30; a 30-minute DST
PATIENT_ZONES = [NY, LONDON, TOKYO, KOLKATA, LORD_HOWE]
DAY, HOUR = 24 * 60, 60


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold).astimezone(UTC)


# --- nominal_due ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, minutes, zone, expected, elapsed_hours",
    [
        # Monday 15 March 2027 09:00 EDT (the US changed on the 14th) -> Saturday 09:00 EST.
        (utc(2027, 3, 15, 13), 2 * DAY, NY, utc(2027, 3, 13, 14), 47),
        (utc(2027, 3, 14, 13), 1 * DAY, NY, utc(2027, 3, 13, 14), 23),  # Sunday 09:00 EDT, the change day
        # Monday 8 November 2027 09:00 EST (changed back on the 7th) -> Saturday 09:00 EDT.
        (utc(2027, 11, 8, 14), 2 * DAY, NY, utc(2027, 11, 6, 13), 49),
        # London, Monday 29 March 2027 09:00 BST (changed on the 28th) -> Saturday 09:00 GMT.
        (utc(2027, 3, 29, 8), 2 * DAY, LONDON, utc(2027, 3, 27, 9), 47),
        (utc(2027, 11, 1, 9), 2 * DAY, LONDON, utc(2027, 10, 30, 8), 49),
        # A week ahead, no change in between: exactly 168 hours.
        (utc(2027, 6, 9, 13), 7 * DAY, NY, utc(2027, 6, 2, 13), 168),
    ],
)
def test_whole_day_offsets_keep_the_sites_wall_time(start, minutes, zone, expected, elapsed_hours):
    due = nominal_due(start, minutes, zone)
    assert due == expected
    assert due.astimezone(zone).time() == start.astimezone(zone).time()
    assert start - due == timedelta(hours=elapsed_hours)


@pytest.mark.parametrize(
    "start, minutes",
    [
        (utc(2027, 3, 14, 13), 2 * HOUR),  # Sunday 09:00 EDT; 2 h before is 07:00 EDT, the change was at 07:00Z
        (utc(2027, 3, 14, 8), 2 * HOUR),  # 04:00 EDT; 2 h before crosses the gap: 01:00 EST
        (utc(2027, 11, 7, 7), 3 * HOUR),  # 02:00 EST; 3 h before is 00:00 EDT (the 01:00 hour repeats)
        (utc(2027, 3, 15, 13), 36 * HOUR),  # not a whole number of days: elapsed
        (utc(2027, 3, 15, 13), 47 * HOUR + 59),
        (utc(2027, 3, 15, 13), 15),
    ],
)
def test_other_offsets_are_elapsed_time(start, minutes):
    assert nominal_due(start, minutes, NY) == start - timedelta(minutes=minutes)


def test_two_hours_across_the_spring_gap_reads_three_hours_earlier_on_the_wall():
    due = nominal_due(utc(2027, 3, 14, 8), 2 * HOUR, NY)  # visit 04:00 EDT
    assert due.astimezone(NY).time() == time(1, 0) and due.astimezone(NY).tzname() == "EST"


def test_day_offset_onto_a_missing_wall_time_lands_at_the_change():
    # A 02:30 visit on Tuesday 16 March: 02:30 on Sunday the 14th never happened in New York.
    due = nominal_due(local(NY, 2027, 3, 16, 2, 30), 2 * DAY, NY)
    assert due == utc(2027, 3, 14, 7)  # 03:00 EDT, the first instant after the gap
    assert due.astimezone(NY).time() == time(3, 0)


def test_day_offset_onto_a_repeated_wall_time_takes_the_first_one():
    due = nominal_due(local(NY, 2027, 11, 9, 1, 30), 2 * DAY, NY)
    assert due == utc(2027, 11, 7, 5, 30)  # 01:30 EDT, not 01:30 EST an hour later
    assert due.astimezone(NY).tzname() == "EDT"


# --- quiet hours -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", PATIENT_ZONES, ids=str)
@pytest.mark.parametrize(
    "wall, quiet",
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(3, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_are_read_on_the_patients_own_clock(zone, wall, quiet):
    instant = local(zone, 2027, 6, 10, wall.hour, wall.minute)
    assert is_quiet(instant, zone) is quiet
    assert (before_quiet(instant, zone) == instant) is not quiet


@pytest.mark.parametrize(
    "zone, expected",
    [
        (NY, utc(2027, 6, 10, 0, 59)),
        (LONDON, utc(2027, 6, 9, 19, 59)),
        (TOKYO, utc(2027, 6, 9, 11, 59)),
        (KOLKATA, utc(2027, 6, 9, 15, 29)),
    ],
    ids=str,
)
def test_three_in_the_morning_moves_to_2059_the_evening_before(zone, expected):
    moved = before_quiet(local(zone, 2027, 6, 10, 3, 0), zone)
    assert moved == expected
    assert moved.astimezone(zone).replace(tzinfo=None) == datetime(2027, 6, 9, 20, 59)


@pytest.mark.parametrize("zone", PATIENT_ZONES, ids=str)
@pytest.mark.parametrize("wall", [time(21, 0), time(22, 30), time(23, 59)])
def test_late_evening_moves_to_2059_the_same_evening(zone, wall):
    moved = before_quiet(local(zone, 2027, 6, 10, wall.hour, wall.minute), zone)
    assert moved.astimezone(zone).replace(tzinfo=None) == datetime(2027, 6, 10, 20, 59)


@pytest.mark.parametrize(
    "zone, instant, expected, earlier_by",
    [
        # New York spring forward: 03:30 EDT Sunday -> 20:59 EST Saturday, 5 h 31 min of elapsed time.
        (NY, utc(2027, 3, 14, 7, 30), utc(2027, 3, 14, 1, 59), timedelta(hours=5, minutes=31)),
        # New York fall back: 01:30 EST (the second 01:30) -> 20:59 EDT Saturday, 5 h 31 min.
        (NY, utc(2027, 11, 7, 6, 30), utc(2027, 11, 7, 0, 59), timedelta(hours=5, minutes=31)),
        # New York fall back, the first 01:30 (EDT): 4 h 31 min.
        (NY, utc(2027, 11, 7, 5, 30), utc(2027, 11, 7, 0, 59), timedelta(hours=4, minutes=31)),
        # London spring forward: 07:00 BST Sunday -> 20:59 GMT Saturday, 9 h 1 min.
        (LONDON, utc(2027, 3, 28, 6), utc(2027, 3, 27, 20, 59), timedelta(hours=9, minutes=1)),
        # London fall back: 01:30 GMT (second) -> 20:59 BST Saturday, 5 h 31 min.
        (LONDON, utc(2027, 10, 31, 1, 30), utc(2027, 10, 30, 19, 59), timedelta(hours=5, minutes=31)),
        # Lord Howe moves only 30 minutes (2027-10-03 02:00 -> 02:30).
        (LORD_HOWE, local(LORD_HOWE, 2027, 10, 3, 3, 0), local(LORD_HOWE, 2027, 10, 2, 20, 59), None),
    ],
)
def test_a_dst_change_night_moves_to_2059_on_the_evenings_clock(zone, instant, expected, earlier_by):
    moved = before_quiet(instant, zone)
    assert moved == expected
    assert moved.astimezone(zone).time() == time(20, 59)
    if earlier_by is not None:
        assert instant - moved == earlier_by


def test_quiet_hours_follow_the_patient_not_the_site():
    # 09:00 EST in Cleveland is 14:00 in London (fine) and 23:00 in Tokyo (quiet).
    instant = local(NY, 2027, 3, 8, 9, 0)
    assert not is_quiet(instant, NY) and not is_quiet(instant, LONDON) and is_quiet(instant, TOKYO)
    assert before_quiet(instant, TOKYO) == local(TOKYO, 2027, 3, 8, 20, 59)


@settings(max_examples=400, deadline=None)
@given(
    st.datetimes(datetime(2026, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(PATIENT_ZONES),
)
def test_before_quiet_is_never_later_never_quiet_and_at_most_a_night_earlier(instant, zone):
    moved = before_quiet(instant, zone)
    assert moved <= instant
    assert not is_quiet(moved, zone)
    if moved != instant:
        assert moved.astimezone(zone).time() == time(20, 59)
        # 20:59 to 07:59:59 is 11 h 1 min; a fall-back night adds an hour
        assert instant - moved < timedelta(hours=12, minutes=1)
        # nothing between the moved time and the original one is an allowed minute
        assert is_quiet(moved + timedelta(minutes=1), zone)
