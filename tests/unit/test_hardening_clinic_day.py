"""Issue 12, item 15: a clinician's day honours time off (televisit/domain/clinic_day.py). Pure, no app."""

from __future__ import annotations

from datetime import date

from televisit.domain.availability import Rule
from televisit.domain.clinic_day import DAY_OFF, clinic_day
from televisit.domain.timezones import day_bounds, get_zone, wall_to_instant

NY = get_zone("America/New_York")
MON = date(2027, 3, 8)
BOTH = frozenset({"in_person", "virtual"})


def _rule(start: str, end: str, weekday: int = 0, modes=BOTH) -> Rule:
    return Rule(1, weekday, int(start[:2]) * 60 + int(start[3:]), int(end[:2]) * 60 + int(end[3:]), modes)


def _at(day: date, hhmm: str):
    return wall_to_instant(day, int(hhmm[:2]) * 60 + int(hhmm[3:]), NY)


def _read(plan) -> tuple[list[str], list[str]]:
    return [f"{w.start}–{w.end}" for w in plan.hours], plan.away


def test_no_time_off_leaves_the_hours():
    plan = clinic_day([_rule("09:00", "12:00"), _rule("13:00", "17:00")], [], MON, NY)
    assert _read(plan) == (["09:00–12:00", "13:00–17:00"], [])
    assert plan.hours[0].modes == ("virtual", "in_person") and not plan.day_off


def test_a_day_off_removes_every_window():
    plan = clinic_day([_rule("09:00", "17:00")], [day_bounds(MON, NY)], MON, NY)
    assert _read(plan) == ([], [DAY_OFF]) and plan.day_off


def test_part_day_time_off_cuts_the_windows_and_reads_in_wall_time():
    offs = [(_at(MON, "13:00"), _at(MON, "15:00")), (_at(MON, "14:30"), _at(MON, "17:00"))]  # overlapping: merged
    plan = clinic_day([_rule("09:00", "12:00"), _rule("12:30", "18:00")], offs, MON, NY)
    assert _read(plan) == (["09:00–12:00", "12:30–13:00", "17:00–18:00"], ["Away 13:00–17:00"])


def test_time_off_running_over_midnight_reads_from_and_until():
    evening = (_at(MON, "20:00"), _at(date(2027, 3, 9), "10:00"))
    assert _read(clinic_day([_rule("09:00", "24:00")], [evening], MON, NY)) == (["09:00–20:00"], ["Away from 20:00"])
    tue = date(2027, 3, 9)
    assert _read(clinic_day([_rule("09:00", "12:00", weekday=1)], [evening], tue, NY)) == (
        ["10:00–12:00"],
        ["Away until 10:00"],
    )


def test_time_off_on_another_day_or_other_weekdays_changes_nothing():
    other = (_at(date(2027, 3, 10), "09:00"), _at(date(2027, 3, 10), "12:00"))
    assert _read(clinic_day([_rule("09:00", "12:00")], [other], MON, NY)) == (["09:00–12:00"], [])
    assert _read(clinic_day([_rule("09:00", "12:00", weekday=2)], [], MON, NY)) == ([], [])


def test_the_short_dst_day_off_is_the_whole_day_and_hours_keep_their_wall_times():
    spring = date(2027, 3, 14)  # 23 hours in New York
    assert clinic_day([_rule("09:00", "12:00", weekday=6)], [day_bounds(spring, NY)], spring, NY).day_off
    off = (_at(spring, "10:00"), _at(spring, "11:00"))
    assert _read(clinic_day([_rule("01:00", "12:00", weekday=6)], [off], spring, NY)) == (
        ["01:00–10:00", "11:00–12:00"],
        ["Away 10:00–11:00"],
    )
