"""Property tests: any of the three sites, any date 2026-2028, any window, any visit length."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from televisit.domain.availability import Intervals, Rule, free_slots, rule_window, window_starts
from televisit.domain.timezones import (
    NaiveDatetime,
    day_bounds,
    get_zone,
    parse_instant,
    transitions,
    wall_to_instant,
)

from ._support import CHANGES, LONDON, NY, SITES, UTC, long_before, make_day, make_visit, round_trips

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

zones = st.sampled_from(sorted(set(SITES.values()))).map(get_zone)
# Half the draws land on a transition day, where the interesting things happen.
change_days = st.sampled_from(sorted({d for per_zone in CHANGES.values() for pair in per_zone.values() for d in pair}))
days = st.one_of(st.dates(date(2026, 1, 1), date(2028, 12, 31)), change_days)
windows = st.tuples(st.integers(0, 1439), st.integers(1, 1440)).filter(lambda w: w[0] < w[1])
durations = st.sampled_from([5, 10, 15, 20, 25, 30, 40, 45, 50, 60, 75, 90, 120])


def repeated_minutes(day: date, zone) -> range:
    """The wall minutes of `day` that occur twice (empty unless it is a fall-back day)."""
    for instant, before, after in transitions(zone, *day_bounds(day, zone)):
        if after < before:
            _, first, _ = local_minute(instant, zone)
            return range(first, first + (before - after) // timedelta(minutes=1))
    return range(0)


def local_minute(instant: datetime, zone) -> tuple[date, int, int]:
    local = instant.astimezone(zone)
    return local.date(), local.hour * 60 + local.minute, local.fold


@FAST
@given(zone=zones, day=days, window=windows, minutes=durations)
# A rule ending where the repeated hour begins once offered that hour's first pass (fixed).
@example(zone=NY, day=date(2026, 11, 1), window=(0, 60), minutes=30)
@example(zone=LONDON, day=date(2027, 3, 28), window=(30, 150), minutes=45)
def test_every_slot_start_round_trips_fits_and_steps_by_the_duration(zone, day, window, minutes):
    rule = Rule(1, day.weekday(), window[0], window[1], frozenset({"virtual"}))
    found = rule_window(rule, day, zone)
    assume(found is not None)
    w_start, w_end = found
    length = timedelta(minutes=minutes)
    starts = list(window_starts(found, length))
    rep = repeated_minutes(day, zone)
    rep_touched = any(window[0] <= m < window[1] for m in rep)
    assert len(starts) == (w_end - w_start) // length
    for start in starts:
        assert w_start <= start and start + length <= w_end
        on_day, minute, fold = local_minute(start, zone)
        assert on_day == day
        # Inside the rule's wall hours, or a repeated (fall-back) reading of a rule that reaches into
        # the repeated stretch: the window is one interval, so it spans both passes there.
        assert window[0] <= minute < window[1] or (minute in rep and rep_touched), (minute, fold)
        assert round_trips(start, zone)
    assert all(b - a == length for a, b in zip(starts, starts[1:], strict=False))


@FAST
@given(zone=zones, day=days, window=windows, offset=st.integers(0, 25 * 60 - 1))
def test_window_covers_every_instant_whose_wall_reading_is_inside(zone, day, window, offset):
    # The policy's definition, checked from the instant's side.
    day_start, day_end = day_bounds(day, zone)
    instant = day_start + timedelta(minutes=offset)
    assume(instant < day_end)
    _, minute, _ = local_minute(instant, zone)
    rule = Rule(1, day.weekday(), window[0], window[1], frozenset({"virtual"}))
    found = rule_window(rule, day, zone)
    if window[0] <= minute < window[1]:
        assert found is not None and found[0] <= instant < found[1]


@FAST
@given(zone=zones, day=days, a=st.integers(0, 1440), b=st.integers(0, 1440), closing=st.booleans())
def test_wall_to_instant_never_runs_backwards(zone, day, a, b, closing):
    lo, hi = sorted((a, b))
    assert wall_to_instant(day, lo, zone, closing=closing) <= wall_to_instant(day, hi, zone, closing=closing)


@FAST
@given(zone=zones, day=days)
def test_days_are_23_24_or_25_hours_and_only_change_days_differ(zone, day):
    start, end = day_bounds(day, zone)
    length = end - start
    changes = {d for pair in CHANGES[zone.key].values() for d in pair}
    assert (length != timedelta(hours=24)) == (day in changes)
    assert length in {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}
    assert start.astimezone(zone).time() == time(0) and end.astimezone(zone).time() == time(0)


@FAST
@given(zone=zones, day=change_days, window=windows, minutes=durations, data=st.data())
def test_free_slots_never_overlap_busy_time_including_buffers(zone, day, window, minutes, data):
    before, after = data.draw(st.integers(0, 30)), data.draw(st.integers(0, 30))
    busy_at = data.draw(st.lists(st.integers(0, 25 * 60), max_size=4))
    day_start = day_bounds(day, zone)[0]
    busy = [(day_start + timedelta(minutes=m), day_start + timedelta(minutes=m + 20)) for m in busy_at]
    visit = make_visit(minutes, before=before, after=after, modes=["virtual"])
    rule = Rule(1, day.weekday(), window[0], window[1], frozenset({"virtual"}))
    cd = make_day(day, zone, [rule], busy=busy)
    for slot in free_slots(cd, visit, now=long_before(day)):
        lo, hi = visit.blocked(slot.start)
        assert not any(s < hi and lo < e for s, e in busy)


pairs = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=12)


@settings(max_examples=500, deadline=None)
@given(pairs=pairs, query=st.tuples(st.integers(0, 200), st.integers(1, 60)))
def test_intervals_agree_with_brute_force(pairs, query):
    base = datetime(2027, 1, 1, tzinfo=UTC)
    at = [(base + timedelta(minutes=a), base + timedelta(minutes=b)) for a, b in pairs]
    q_start, q_end = base + timedelta(minutes=query[0]), base + timedelta(minutes=query[0] + query[1])
    expected = any(s < q_end and q_start < e for s, e in at if s < e)
    assert Intervals(at).overlaps(q_start, q_end) is expected


@FAST
@given(
    moment=st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)),
    offset_minutes=st.integers(-14 * 60, 14 * 60),
)
def test_parse_instant_round_trips_any_offset(moment, offset_minutes):
    from datetime import timezone

    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    parsed = parse_instant(aware.isoformat())
    assert parsed == aware and parsed.tzinfo is UTC
    try:
        parse_instant(moment.replace(microsecond=0).isoformat())
    except NaiveDatetime:
        pass
    else:
        raise AssertionError("a naive instant was accepted")
