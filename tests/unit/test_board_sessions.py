"""The tumor board's sessions: a fixed wall time at the board's site, whatever DST does elsewhere."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from televisit.domain.board import (
    Schedule,
    first_session_day,
    plan_key,
    session_on,
    sessions_between,
    sessions_overlapping,
    upcoming,
)

from ._support import LONDON, NY, UK_CHANGES, US_CHANGES

UTC = timezone.utc
CLEVELAND_TUESDAY_0730 = Schedule(weekday=1, start_minute=7 * 60 + 30, duration_minutes=90, zone=NY)


def _london(instant: datetime) -> str:
    return instant.astimezone(LONDON).strftime("%H:%M %Z")


# Tuesdays around spring 2027: the US changes on 14 March, the UK on 28 March.
SPRING_2027 = [
    (date(2027, 3, 9), "07:30 EST", "12:30 GMT"),
    (date(2027, 3, 16), "07:30 EDT", "11:30 GMT"),  # between the two changes: an hour earlier in London
    (date(2027, 3, 23), "07:30 EDT", "11:30 GMT"),
    (date(2027, 3, 30), "07:30 EDT", "12:30 BST"),
    (date(2027, 4, 6), "07:30 EDT", "12:30 BST"),
]
# Autumn 2027: the UK changes on 31 October, the US on 7 November.
AUTUMN_2027 = [
    (date(2027, 10, 26), "07:30 EDT", "12:30 BST"),
    (date(2027, 11, 2), "07:30 EDT", "11:30 GMT"),  # between the two changes
    (date(2027, 11, 9), "07:30 EST", "12:30 GMT"),
]


@pytest.mark.parametrize(("day", "cleveland", "london"), SPRING_2027 + AUTUMN_2027, ids=str)
def test_a_cleveland_0730_board_lands_in_london_by_the_two_zones_rules(day, cleveland, london):
    found = session_on(CLEVELAND_TUESDAY_0730, day)
    assert found.start.astimezone(NY).strftime("%H:%M %Z") == cleveland
    assert _london(found.start) == london
    assert found.end - found.start == timedelta(minutes=90)


def test_the_weeks_between_the_changes_are_exactly_those_an_hour_earlier_in_london():
    year = 2027
    found = sessions_between(CLEVELAND_TUESDAY_0730, date(year, 1, 1), date(year, 12, 31))
    assert len(found) == 52 and all(s.day.weekday() == 1 for s in found)
    earlier = {s.day for s in found if _london(s.start).startswith("11:30")}
    us_spring, us_autumn = US_CHANGES[year]
    uk_spring, uk_autumn = UK_CHANGES[year]
    between = {s.day for s in found if us_spring <= s.day < uk_spring or uk_autumn <= s.day < us_autumn}
    assert earlier == between == {date(2027, 3, 16), date(2027, 3, 23), date(2027, 11, 2)}
    assert all(_london(s.start)[:5] == "12:30" for s in found if s.day not in earlier)
    assert all(s.start.astimezone(NY).strftime("%H:%M") == "07:30" for s in found)


def test_a_london_board_stays_at_its_wall_time_and_moves_in_cleveland():
    london_0800 = Schedule(weekday=3, start_minute=8 * 60, duration_minutes=60, zone=LONDON)
    before, between, after = (
        session_on(london_0800, d) for d in (date(2027, 3, 11), date(2027, 3, 18), date(2027, 4, 1))
    )
    assert [s.start.astimezone(LONDON).strftime("%H:%M") for s in (before, between, after)] == ["08:00"] * 3
    assert [s.start.astimezone(NY).strftime("%H:%M") for s in (before, between, after)] == ["03:00", "04:00", "03:00"]


def test_a_start_in_the_spring_gap_resolves_to_the_transition_instant():
    at_0230 = Schedule(weekday=6, start_minute=2 * 60 + 30, duration_minutes=60, zone=NY)
    found = session_on(at_0230, date(2027, 3, 14))  # 02:00-03:00 does not exist that Sunday
    assert found.start == datetime(2027, 3, 14, 7, 0, tzinfo=UTC)  # 03:00 EDT, the first instant after the gap
    assert found.end - found.start == timedelta(hours=1)


def test_a_repeated_autumn_start_takes_its_first_occurrence_and_lasts_its_real_length():
    at_0130 = Schedule(weekday=6, start_minute=90, duration_minutes=60, zone=NY)
    found = session_on(at_0130, date(2027, 11, 7))
    assert found.start == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert found.end == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)  # 01:30 EST: an hour later, not "02:30"


def test_first_session_day_and_sessions_between_are_inclusive():
    assert first_session_day(CLEVELAND_TUESDAY_0730, date(2027, 3, 2)) == date(2027, 3, 2)
    assert first_session_day(CLEVELAND_TUESDAY_0730, date(2027, 3, 3)) == date(2027, 3, 9)
    days = [s.day for s in sessions_between(CLEVELAND_TUESDAY_0730, date(2027, 3, 2), date(2027, 3, 16))]
    assert days == [date(2027, 3, 2), date(2027, 3, 9), date(2027, 3, 16)]
    assert sessions_between(CLEVELAND_TUESDAY_0730, date(2027, 3, 3), date(2027, 3, 8)) == []


def test_sessions_overlapping_an_instant_range_meet_it_and_no_more():
    session = session_on(CLEVELAND_TUESDAY_0730, date(2027, 3, 16))  # 11:30-13:00 UTC
    assert sessions_overlapping(CLEVELAND_TUESDAY_0730, session.start - timedelta(hours=1), session.start) == []
    assert sessions_overlapping(CLEVELAND_TUESDAY_0730, session.end, session.end + timedelta(hours=1)) == []
    last_minute = session.end - timedelta(minutes=1)
    assert sessions_overlapping(CLEVELAND_TUESDAY_0730, last_minute, session.end) == [session]
    fortnight = sessions_overlapping(
        CLEVELAND_TUESDAY_0730, datetime(2027, 3, 8, tzinfo=UTC), datetime(2027, 3, 22, tzinfo=UTC)
    )
    assert [s.day for s in fortnight] == [date(2027, 3, 9), date(2027, 3, 16)]


def test_upcoming_skips_a_session_that_has_started():
    session = session_on(CLEVELAND_TUESDAY_0730, date(2027, 3, 2))
    assert upcoming(CLEVELAND_TUESDAY_0730, session.start - timedelta(seconds=1))[0] == session
    assert upcoming(CLEVELAND_TUESDAY_0730, session.start)[0].day == date(2027, 3, 9)
    assert len(upcoming(CLEVELAND_TUESDAY_0730, session.start, weeks=4)) == 4


def test_a_case_has_one_plan_key_per_channel():
    assert plan_key(7, "sms") != plan_key(7, "email") != plan_key(8, "email")
    assert plan_key(7, "sms") == plan_key(7, "sms")
