"""`scan.Room`: where a visit could still start between bookings. `first` must never be later than the first grid
start the engine could offer (the frontier's bound relies on it), and never offer a start with no room."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from televisit.services.booking.scan import Room

T0 = datetime(2027, 3, 2, 9, tzinfo=timezone.utc)
MIN = timedelta(minutes=1)


def _minutes(a: int, b: int) -> tuple[datetime, datetime]:
    return T0 + a * MIN, T0 + b * MIN


def _first_by_hand(pairs, duration, lo, hi, span):
    """The first grid start s of `span` (ws + k * duration) with lo <= s <= hi whose [s, s + duration) meets no pair."""
    s = span[0]
    while s + duration <= span[1]:
        if lo <= s <= hi and not any(a < s + duration and s < b for a, b in pairs):
            return s
        s += duration
    return None


def test_the_first_start_after_a_booking_is_on_the_windows_grid():
    room = Room([_minutes(0, 50)], 30 * MIN, T0, T0 + 600 * MIN)
    assert room.first(_minutes(0, 240)) == T0 + 60 * MIN  # 09:30 meets the booking; 10:00 is the next grid start
    assert room.fits(_minutes(0, 240))


def test_a_window_filled_to_its_end_has_no_first_start():
    room = Room([_minutes(0, 100), _minutes(100, 200)], 30 * MIN, T0, T0 + 600 * MIN)
    assert room.first(_minutes(0, 200)) is None
    assert not room.fits(_minutes(0, 200))


intervals = st.lists(st.tuples(st.integers(0, 480), st.integers(1, 120)), max_size=8)


@settings(max_examples=300, deadline=None)
@given(intervals, st.sampled_from([15, 20, 30, 45, 60]), st.integers(0, 200), st.integers(0, 480), st.integers(0, 120))
def test_first_is_the_first_free_grid_start(busy, minutes, lo, length, offset):
    pairs = [_minutes(a, a + n) for a, n in busy]
    duration = minutes * MIN
    lo_at, hi_at = T0 + lo * MIN, T0 + 540 * MIN
    span = _minutes(offset, offset + length)
    room = Room(pairs, duration, lo_at, hi_at)
    assert room.first(span) == _first_by_hand(pairs, duration, lo_at, hi_at, span)
