"""The desk calendar's pure helpers: which days a view shows, and how days and durations read."""

from __future__ import annotations

from datetime import date

from televisit.domain.calendar import DAY, WEEK, day_label, minutes_text, range_label, step, view_days, week_start
from televisit.domain.formatting import UK, US


def test_a_week_runs_monday_to_sunday_around_any_day():
    assert week_start(date(2027, 3, 10)) == date(2027, 3, 8)
    days = view_days(WEEK, date(2027, 3, 14))
    assert days[0] == date(2027, 3, 8) and days[-1] == date(2027, 3, 14) and len(days) == 7
    assert view_days(DAY, date(2027, 3, 14)) == [date(2027, 3, 14)]


def test_paging_moves_by_the_views_length():
    assert step(WEEK, date(2027, 3, 8), -1) == date(2027, 3, 1)
    assert step(DAY, date(2027, 3, 31), 1) == date(2027, 4, 1)


def test_labels_follow_the_locale():
    assert day_label(date(2027, 3, 8), US) == "Mon, Mar 8"
    assert day_label(date(2027, 3, 8), UK) == "Mon 8 Mar"
    week = view_days(WEEK, date(2027, 3, 8))
    assert range_label(week, US) == "Mon, Mar 8 – Sun, Mar 14, 2027"
    assert range_label(week, UK) == "Mon 8 Mar – Sun 14 Mar 2027"
    assert range_label([date(2027, 3, 8)], UK) == "Mon 8 Mar 2027"


def test_durations_read_naturally():
    assert [minutes_text(m) for m in (45, 60, 90, 1440, 2880)] == ["45 min", "1 h", "1 h 30 min", "1 day", "2 days"]
