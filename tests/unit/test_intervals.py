"""Intervals: merged half-open UTC intervals with a bisect overlap test."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from televisit.domain.availability import Intervals

from ._support import UTC

BASE = datetime(2027, 3, 14, 12, tzinfo=UTC)


def m(minute: int) -> datetime:
    """BASE + `minute` minutes."""
    return BASE + timedelta(minutes=minute)


def iv(*pairs: tuple[int, int]) -> Intervals:
    return Intervals((m(a), m(b)) for a, b in pairs)


def test_empty_set_overlaps_nothing():
    empty = Intervals()
    assert len(empty) == 0
    assert not empty.overlaps(m(0), m(10_000))


@pytest.mark.parametrize(
    ("pairs", "count"),
    [
        ([(0, 10), (5, 15)], 1),  # overlapping
        ([(0, 10), (10, 20)], 1),  # touching: the union is one interval
        ([(0, 10), (11, 20)], 2),  # a one-minute hole stays a hole
        ([(0, 30), (10, 20)], 1),  # contained
        ([(40, 50), (0, 10), (20, 30)], 3),  # unsorted input
        ([(0, 10), (20, 30), (5, 25)], 1),  # a bridge joins two
        ([(0, 10), (0, 10)], 1),  # duplicates
        ([(10, 10), (20, 15)], 0),  # empty and inverted pairs are dropped
    ],
)
def test_merge_counts(pairs, count):
    assert len(iv(*pairs)) == count


def test_merge_keeps_the_longest_end_of_a_contained_run():
    merged = iv((0, 30), (10, 20), (25, 28))
    assert merged.overlaps(m(29), m(40))
    assert not merged.overlaps(m(30), m(40))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ((10, 20), True),  # equal
        ((12, 18), True),  # inside
        ((0, 40), True),  # contains
        ((5, 11), True),  # overlaps the start by one minute
        ((19, 25), True),  # overlaps the end by one minute
        ((0, 10), False),  # ends where it starts: half-open, no overlap
        ((20, 30), False),  # starts where it ends
        ((0, 5), False),  # wholly before
        ((25, 30), False),  # wholly after
    ],
)
def test_overlap_is_half_open(query, expected):
    assert iv((10, 20)).overlaps(m(query[0]), m(query[1])) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ((20, 30), False),  # exactly the hole between two intervals
        ((19, 30), True),
        ((20, 31), True),
        ((21, 29), False),
        ((15, 35), True),
        ((40, 60), True),  # reaches the third only
        ((60, 70), False),  # after the last
        ((-10, 0), False),  # before the first
    ],
)
def test_overlap_with_several_intervals(query, expected):
    many = iv((0, 20), (30, 35), (50, 60))
    assert many.overlaps(m(query[0]), m(query[1])) is expected


def test_overlap_compares_instants_not_wall_readings():
    plus_two = timezone(timedelta(hours=2))
    busy = Intervals([(BASE, BASE + timedelta(hours=1))])
    # 14:30+02:00 is 12:30 UTC: inside; 12:30+02:00 is 10:30 UTC: outside.
    assert busy.overlaps(datetime(2027, 3, 14, 14, 30, tzinfo=plus_two), datetime(2027, 3, 14, 15, tzinfo=plus_two))
    assert not busy.overlaps(datetime(2027, 3, 14, 12, 30, tzinfo=plus_two), datetime(2027, 3, 14, 13, tzinfo=plus_two))


def test_accepts_a_one_shot_iterator():
    gen = ((m(a), m(a + 5)) for a in (0, 10, 20))
    assert len(Intervals(gen)) == 3


def test_large_set_is_fast_enough():
    # 20 000 disjoint 5-minute blocks; 20 000 lookups must stay well under a second (bisect, not a scan).
    busy = iv(*[(10 * k, 10 * k + 5) for k in range(20_000)])
    assert len(busy) == 20_000
    hits = sum(busy.overlaps(m(10 * k + 4), m(10 * k + 6)) for k in range(20_000))
    misses = sum(busy.overlaps(m(10 * k + 5), m(10 * k + 10)) for k in range(20_000))
    assert (hits, misses) == (20_000, 0)
