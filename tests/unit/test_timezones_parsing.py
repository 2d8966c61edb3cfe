"""timezones.py helpers: zone lookup, instant/date/HH:MM parsing, rendering, naive refusal."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from televisit.domain import timezones as tz
from televisit.domain.timezones import BadInstant, NaiveDatetime, UnknownZone

from ._support import LONDON, NY, UTC


@pytest.mark.parametrize("name", ["America/New_York", "Europe/London", "UTC", "Etc/GMT+5", "America/Argentina/Salta"])
def test_get_zone_returns_the_named_zone(name):
    assert tz.get_zone(name).key == name
    assert tz.is_zone(name) is True


BAD_ZONES = [
    "",
    "../etc",
    "../../etc/passwd",
    "/etc/passwd",
    "America/../Europe/London",
    "Europe/London/",
    "Mars/Olympus_Mons",
    "America",  # a directory of the zone database, not a zone
    "Etc",
    "localtime",
    "LocalTime",
    "UTC\n",
    " UTC",
    "Europe\\London",
    "a/b/c/d",
    None,
    5,
    3.5,
    b"UTC",
    ["UTC"],  # unhashable values must not escape as TypeError
    {"zone": "UTC"},
    {"UTC"},
]


@pytest.mark.parametrize("name", BAD_ZONES, ids=repr)
def test_get_zone_refuses_anything_else(name):
    with pytest.raises(UnknownZone):
        tz.get_zone(name)
    assert tz.is_zone(name) is False


def test_unknown_zone_is_a_value_error():
    assert issubclass(UnknownZone, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-29T09:00:00+01:00", datetime(2027, 3, 29, 8, 0, tzinfo=UTC)),
        ("2027-03-29T09:00:00Z", datetime(2027, 3, 29, 9, 0, tzinfo=UTC)),
        ("2027-03-29T09:00:00-04:00", datetime(2027, 3, 29, 13, 0, tzinfo=UTC)),
        ("2027-03-29T09:00+05:30", datetime(2027, 3, 29, 3, 30, tzinfo=UTC)),
        ("2027-03-29T09:00:00.250000+00:00", datetime(2027, 3, 29, 9, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_parse_instant_returns_utc(text, expected):
    got = tz.parse_instant(text)
    assert got == expected
    assert got.utcoffset() == timedelta(0) and got.tzinfo is UTC


@pytest.mark.parametrize("text", ["2027-03-29T09:00:00", "2027-03-29 09:00", "2027-03-29T09:00:00.5"])
def test_parse_instant_refuses_naive(text):
    with pytest.raises(NaiveDatetime):
        tz.parse_instant(text)


BAD_INSTANTS = [
    None,
    1774771200,
    ["2027-03-29T09:00:00Z"],
    "",
    "2027-03-29",  # a date is not an instant
    "tomorrow at nine",
    "2027-13-29T09:00:00Z",
    "2027-02-30T09:00:00Z",
    "2027-03-29T25:00:00Z",
    "2027-03-29T09:00:00+25:00",
    "2027-03-29T09:00:00Z" + " " * 30,
    "0001-01-01T00:00:00+01:00",  # before datetime.min once in UTC (used to raise OverflowError)
    "9999-12-31T23:59:59-01:00",  # after datetime.max once in UTC
]


@pytest.mark.parametrize("text", BAD_INSTANTS, ids=repr)
def test_parse_instant_refuses_junk_with_bad_instant(text):
    with pytest.raises(BadInstant):
        tz.parse_instant(text)


def test_parse_errors_are_value_errors_and_distinct():
    assert issubclass(NaiveDatetime, ValueError) and issubclass(BadInstant, ValueError)
    assert not issubclass(NaiveDatetime, BadInstant) and not issubclass(BadInstant, NaiveDatetime)


@pytest.mark.parametrize(("text", "minutes"), [("00:00", 0), ("09:30", 570), ("23:59", 1439), ("24:00", 1440)])
def test_parse_hhmm(text, minutes):
    assert tz.parse_hhmm(text) == minutes


@pytest.mark.parametrize(
    "text", ["24:01", "24:30", "25:00", "09:60", "9:00", "0900", "09:00:00", " 09:00", "", None, 540]
)
def test_parse_hhmm_refuses(text):
    with pytest.raises(ValueError):
        tz.parse_hhmm(text)


def test_format_hhmm_inverts_parse_hhmm_for_every_minute():
    for minute in range(0, 1441):
        assert tz.parse_hhmm(tz.format_hhmm(minute)) == minute
    assert (tz.format_hhmm(0), tz.format_hhmm(545), tz.format_hhmm(1440)) == ("00:00", "09:05", "24:00")


def test_parse_date():
    assert tz.parse_date("2027-03-14") == date(2027, 3, 14)
    for bad in ["2027-3-14", "2027-02-30", "14/03/2027", "2027-03-14T00:00", "", None]:
        with pytest.raises(ValueError):
            tz.parse_date(bad)


def test_naive_datetimes_are_refused_by_every_converter():
    naive = datetime(2027, 3, 14, 9, 0)
    for call in (tz.require_aware, lambda v: tz.to_local(v, NY), lambda v: tz.render(v, NY)):
        with pytest.raises(NaiveDatetime):
            call(naive)
    assert tz.require_aware(datetime(2027, 3, 14, 9, tzinfo=NY)) == datetime(2027, 3, 14, 13, tzinfo=UTC)


def test_render_uses_the_offset_in_force_at_that_instant():
    assert tz.render(datetime(2027, 3, 29, 8, tzinfo=UTC), LONDON) == "2027-03-29T09:00:00+01:00"
    assert tz.render(datetime(2027, 3, 27, 9, tzinfo=UTC), LONDON) == "2027-03-27T09:00:00+00:00"
    assert tz.render(datetime(2027, 3, 14, 13, 0, 30, 999, tzinfo=UTC), NY) == "2027-03-14T09:00:30-04:00"
    assert tz.render(datetime(2027, 3, 13, 14, tzinfo=timezone(timedelta(hours=2))), NY) == "2027-03-13T07:00:00-05:00"


def test_abbreviation_names_the_season():
    assert tz.abbreviation(datetime(2027, 1, 5, 12, tzinfo=UTC), NY) == "EST"
    assert tz.abbreviation(datetime(2027, 7, 5, 12, tzinfo=UTC), NY) == "EDT"
    assert tz.abbreviation(datetime(2027, 1, 5, 12, tzinfo=UTC), LONDON) == "GMT"
    assert tz.abbreviation(datetime(2027, 7, 5, 12, tzinfo=UTC), LONDON) == "BST"


def test_local_date_follows_the_wall_not_utc():
    late_evening = datetime(2027, 3, 15, 3, 30, tzinfo=UTC)  # 23:30 EDT on the 14th
    assert tz.local_date(late_evening, NY) == date(2027, 3, 14)
    assert tz.local_date(late_evening, LONDON) == date(2027, 3, 15)


def test_wall_to_instant_range_and_plain_days():
    day = date(2027, 6, 1)
    assert tz.wall_to_instant(day, 0, NY) == datetime(2027, 6, 1, 4, tzinfo=UTC)
    assert tz.wall_to_instant(day, 1440, NY) == datetime(2027, 6, 2, 4, tzinfo=UTC)
    assert tz.wall_to_instant(day, 9 * 60, LONDON) == datetime(2027, 6, 1, 8, tzinfo=UTC)
    for bad in (-1, 1441):
        with pytest.raises(ValueError):
            tz.wall_to_instant(day, bad, NY)


def test_date_range_bounds_spans_inclusive_local_dates():
    start, end = tz.date_range_bounds(date(2027, 3, 13), date(2027, 3, 15), NY)
    assert start == datetime(2027, 3, 13, 5, tzinfo=UTC)
    assert end == datetime(2027, 3, 16, 4, tzinfo=UTC)
    assert end - start == timedelta(hours=71)  # includes the 23-hour 14th
    assert tz.date_range_bounds(date(2027, 3, 14), date(2027, 3, 14), NY) == tz.day_bounds(date(2027, 3, 14), NY)
