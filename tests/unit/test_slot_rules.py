"""The slot engine's rules: buffers, notice, advance, time off and the order of refusal reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from televisit.domain.availability import REASONS, Slot, bookable_window, free_slots, grid, refusal
from televisit.domain.timezones import day_bounds

from ._support import LONDON, NY, UTC, at, long_before, make_day, make_rule, make_visit, wall

DAY = date(2027, 4, 6)  # an ordinary Tuesday in New York
NOW = long_before(DAY)


def nine_to_noon(**kw):
    return make_day(DAY, NY, [make_rule(DAY, "09:00", "12:00")], **kw)


def t(hh: int, mm: int = 0) -> datetime:
    return at(NY, 2027, 4, 6, hh, mm)


def free_walls(cd, visit, **kw) -> list[str]:
    return [wall(s.start, NY) for s in free_slots(cd, visit, now=kw.pop("now", NOW), **kw)]


HALF_HOURS = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


def test_plain_morning_offers_every_half_hour():
    assert free_walls(nine_to_noon(), make_visit(30), mode="virtual") == HALF_HOURS


def test_slots_carry_their_identity_and_end():
    (first, *_rest) = free_slots(nine_to_noon(clinician_id=11, location_id=1), make_visit(30, visit_id=5), now=NOW)
    assert first == Slot(11, 1, 5, "in_person", t(9), t(9, 30))


def test_adjacent_bookings_do_not_conflict_without_buffers():
    visit = make_visit(30)
    cd = nine_to_noon(busy=[visit.blocked(t(10))])
    assert free_walls(cd, visit, mode="virtual") == ["09:00", "09:30", "10:30", "11:00", "11:30"]


@pytest.mark.parametrize(("before", "after"), [(0, 10), (10, 0), (5, 5), (30, 0)])
def test_buffers_make_adjacent_slots_conflict(before, after):
    visit = make_visit(30, before=before, after=after)
    cd = nine_to_noon(busy=[visit.blocked(t(10))])
    assert free_walls(cd, visit, mode="virtual") == ["09:00", "11:00", "11:30"]
    assert refusal(cd, visit, t(9, 30), "virtual", now=NOW) == "taken"
    assert refusal(cd, visit, t(10, 30), "virtual", now=NOW) == "taken"


def test_buffer_is_exactly_as_long_as_configured():
    # Busy 09:00-09:30 and 11:30-12:00: 30-minute buffers just fit around 10:00 and 10:30; 31 do not.
    busy = [(t(9), t(9, 30)), (t(11, 30), t(12))]
    assert free_walls(nine_to_noon(busy=busy), make_visit(30, before=30, after=30), mode="virtual") == [
        "10:00",
        "10:30",
    ]
    assert free_walls(nine_to_noon(busy=busy), make_visit(30, before=31, after=30), mode="virtual") == ["10:30"]
    assert free_walls(nine_to_noon(busy=busy), make_visit(30, before=30, after=31), mode="virtual") == ["10:00"]


def test_blocked_interval_adds_both_buffers():
    visit = make_visit(45, before=10, after=20)
    assert visit.duration == timedelta(minutes=45)
    assert visit.blocked(t(10)) == (t(9, 50), t(11, 5))


def test_minimum_notice_hides_slots_inside_it():
    visit = make_visit(30, notice=120)
    now = t(8, 0)
    assert free_walls(nine_to_noon(), visit, now=now, mode="virtual") == ["10:00", "10:30", "11:00", "11:30"]
    assert refusal(nine_to_noon(), visit, t(9, 30), "virtual", now=now) == "too_soon"
    assert refusal(nine_to_noon(), visit, t(10), "virtual", now=now) is None  # exactly the notice is enough
    assert refusal(nine_to_noon(), visit, t(10), "virtual", now=now + timedelta(seconds=1)) == "too_soon"


def test_maximum_advance_hides_slots_beyond_it():
    visit = make_visit(30, advance=14)
    now = t(10) - timedelta(days=14)
    assert free_walls(nine_to_noon(), visit, now=now, mode="virtual") == ["09:00", "09:30", "10:00"]
    assert refusal(nine_to_noon(), visit, t(10), "virtual", now=now) is None  # exactly the limit is allowed
    assert refusal(nine_to_noon(), visit, t(10, 30), "virtual", now=now) == "too_far"


def test_bookable_window():
    visit = make_visit(30, notice=90, advance=7)
    now = datetime(2027, 4, 1, 12, tzinfo=UTC)
    assert bookable_window(visit, now) == (now + timedelta(minutes=90), now + timedelta(days=7))


def test_partial_time_off_blocks_only_the_visits_it_touches():
    # Time off blocks the visit itself, not its buffers.
    visit = make_visit(30, after=15)
    cd = nine_to_noon(time_off=[(t(10, 5), t(10, 45))])
    assert free_walls(cd, visit, mode="virtual") == ["09:00", "09:30", "11:00", "11:30"]
    assert refusal(cd, visit, t(10), "virtual", now=NOW) == "time_off"
    # 09:30 ends at 10:00; only its after-buffer (to 10:15) reaches the time off, and that is allowed.
    assert refusal(cd, visit, t(9, 30), "virtual", now=NOW) is None


def test_time_off_touching_a_slot_does_not_block_it():
    cd = nine_to_noon(time_off=[(t(8), t(9)), (t(12), t(13))])
    assert free_walls(cd, make_visit(30), mode="virtual") == HALF_HOURS


@pytest.mark.parametrize(("zone", "day"), [(NY, date(2027, 3, 14)), (NY, date(2027, 11, 7)), (LONDON, DAY)])
def test_whole_local_day_off_blocks_the_whole_day_of_any_length(zone, day):
    rules = [make_rule(day, "00:00", "24:00")]
    assert free_slots(make_day(day, zone, rules, time_off=[day_bounds(day, zone)]), make_visit(60), now=NOW) == []
    # Twenty-four hours from midnight would miss the last hour of a 25-hour day.
    start = day_bounds(day, zone)[0]
    left = free_slots(
        make_day(day, zone, rules, time_off=[(start, start + timedelta(hours=24))]), make_visit(60), now=NOW
    )
    hours_left = (day_bounds(day, zone)[1] - start) // timedelta(hours=1) - 24
    assert len({s.start for s in left}) == max(hours_left, 0)


def test_day_off_does_not_spill_into_neighbours():
    eve = DAY - timedelta(days=1)
    cd = make_day(eve, NY, [make_rule(eve, "09:00", "17:00")], time_off=[day_bounds(DAY, NY)])
    assert len(free_slots(cd, make_visit(60), now=NOW, mode="virtual")) == 8


def test_grid_outside_the_rule_is_outside_hours():
    cd, visit = nine_to_noon(), make_visit(30)
    for start in (t(8, 30), t(9, 10), t(11, 45), t(12), t(9) + timedelta(days=7)):
        assert refusal(cd, visit, start, "virtual", now=NOW) == "outside_hours", start


def test_mode_must_be_offered_by_both_visit_type_and_rule():
    visit_only_virtual = make_visit(30, modes=["virtual"])
    assert refusal(nine_to_noon(), visit_only_virtual, t(9), "in_person", now=NOW) == "outside_hours"
    in_person_rule = make_day(DAY, NY, [make_rule(DAY, "09:00", "12:00", modes=["in_person"])])
    assert grid(in_person_rule, visit_only_virtual) == []
    assert refusal(in_person_rule, make_visit(30), t(9), "virtual", now=NOW) == "outside_hours"
    assert refusal(in_person_rule, make_visit(30), t(9), "in_person", now=NOW) is None


def test_rules_of_other_sites_and_weekdays_are_ignored():
    other_site = make_day(DAY, NY, [make_rule(DAY, "09:00", "12:00", location_id=2)])
    assert grid(other_site, make_visit(30)) == []
    tomorrow = make_day(DAY, NY, [make_rule(DAY + timedelta(days=1), "09:00", "12:00")])
    assert grid(tomorrow, make_visit(30)) == []


def test_overlapping_rules_offer_each_start_once_per_mode():
    rules = [make_rule(DAY, "09:00", "11:00"), make_rule(DAY, "10:00", "12:00", modes=["virtual"])]
    offered = grid(make_day(DAY, NY, rules), make_visit(60))
    assert len(offered) == len(set(offered))
    assert [(wall(s, NY), m) for s, m in offered] == [
        ("09:00", "in_person"),
        ("09:00", "virtual"),
        ("10:00", "in_person"),
        ("10:00", "virtual"),
        ("11:00", "virtual"),
    ]


def test_visit_longer_than_the_window_gets_no_slot():
    assert grid(make_day(DAY, NY, [make_rule(DAY, "09:00", "09:45")]), make_visit(60)) == []
    assert len(grid(make_day(DAY, NY, [make_rule(DAY, "09:00", "10:00")]), make_visit(60), "virtual")) == 1


REFUSAL_ORDER = ["outside_hours", "too_soon", "too_far", "time_off", "taken"]


def test_refusal_reasons_come_in_the_documented_order():
    visit = make_visit(30, notice=60, advance=10)
    start = t(10)
    everything = nine_to_noon(busy=[(t(10), t(10, 30))], time_off=[(t(10), t(10, 30))])
    # Each row removes the problem that won the row above.
    assert refusal(everything, visit, t(10, 5), "virtual", now=t(9, 30)) == "outside_hours"
    assert refusal(everything, visit, start, "virtual", now=t(9, 30)) == "too_soon"
    assert refusal(everything, visit, start, "virtual", now=start - timedelta(days=11)) == "too_far"
    assert refusal(everything, visit, start, "virtual", now=start - timedelta(days=1)) == "time_off"
    only_busy = nine_to_noon(busy=[(t(10), t(10, 30))])
    assert refusal(only_busy, visit, start, "virtual", now=start - timedelta(days=1)) == "taken"
    assert refusal(nine_to_noon(), visit, start, "virtual", now=start - timedelta(days=1)) is None
    assert set(REFUSAL_ORDER) <= set(REASONS)


def test_on_grid_hint_is_trusted():
    cd, visit = nine_to_noon(), make_visit(30)
    assert refusal(cd, visit, t(9), "virtual", now=NOW, on_grid=False) == "outside_hours"
    assert refusal(cd, visit, t(9, 10), "virtual", now=NOW, on_grid=True) is None


def test_free_slots_and_refusal_agree_on_every_grid_start():
    visit = make_visit(30, before=5, after=5, notice=30)
    cd = nine_to_noon(busy=[(t(10, 40), t(11, 10))], time_off=[(t(9, 20), t(9, 40))])
    now = t(8, 45)
    free = {(s.start, s.mode) for s in free_slots(cd, visit, now=now)}
    reasons = {}
    for start, mode in grid(cd, visit):
        reasons[wall(start, NY), mode] = refusal(cd, visit, start, mode, now=now)
        assert ((start, mode) in free) == (reasons[wall(start, NY), mode] is None), (start, mode)
    assert sorted(w for (w, m), why in reasons.items() if m == "virtual" and why is None) == ["10:00", "11:30"]
    assert [reasons[w, "virtual"] for w in ("09:00", "09:30", "10:30", "11:00")] == [
        "too_soon",
        "time_off",
        "taken",
        "taken",
    ]


_MINUTE = st.integers(0, 24 * 12).map(lambda k: 5 * k)  # on a 5-minute grid, so edges meet exactly
_MODES = st.sampled_from([("virtual",), ("in_person",), ("virtual", "in_person")])


@st.composite
def _days(draw):
    """A clinician's day with 1-3 rules (overlapping or not, some at another site), bookings and time off."""
    day = draw(st.sampled_from([DAY, date(2027, 3, 14), date(2027, 11, 7)]))  # an ordinary day and both DST days
    rules = []
    for _ in range(draw(st.integers(1, 3))):
        a, b = sorted(draw(st.tuples(_MINUTE, _MINUTE)))
        loc = draw(st.sampled_from([1, 1, 2]))
        rules.append(make_rule(day, f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}", location_id=loc))
        rules[-1] = replace(rules[-1], end_minute=b, modes=frozenset(draw(_MODES)))
    base = day_bounds(day, NY)[0]

    def spans(n):
        out = []
        for _ in range(n):
            start = draw(st.integers(-120, 26 * 60))
            out.append((base + timedelta(minutes=start), base + timedelta(minutes=start + draw(st.integers(1, 240)))))
        return out

    cd = make_day(day, NY, rules, busy=spans(draw(st.integers(0, 4))), time_off=spans(draw(st.integers(0, 2))))
    return replace(cd, closed=draw(st.booleans())), base


@given(
    _days(),
    st.integers(1, 24).map(lambda k: 5 * k),
    st.integers(-15, 30),
    st.integers(-15, 30),
    st.integers(0, 600),
    st.one_of(st.integers(-600, 1200), st.integers(-300, 300).map(lambda k: 5 * k - 24 * 60)),  # `latest` on a start
    st.sampled_from([None, "virtual", "in_person"]),
)
@settings(max_examples=300, deadline=None)
def test_free_slots_is_exactly_the_grid_starts_refusal_lets_through(day, duration, before, after, notice, now_at, mode):
    """The search's fast loop and the booking check's `refusal` never disagree (buffers may be negative)."""
    cd, base = day
    visit = make_visit(duration, before=before, after=after, notice=notice, advance=1)
    now = base + timedelta(minutes=now_at)
    expected = [
        (start, m) for start, m in grid(cd, visit, mode) if refusal(cd, visit, start, m, now=now, on_grid=True) is None
    ]
    got = free_slots(cd, visit, now=now, mode=mode)
    assert [(s.start, s.mode) for s in got] == expected
    assert all(s.end - s.start == visit.duration and s.location_id == cd.location_id for s in got)
