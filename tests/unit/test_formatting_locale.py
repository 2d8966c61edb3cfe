"""Times and dates through Babel for the reader's locale (en-US, en-GB); the site's clock named by its city."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from televisit.domain.formatting import (
    UK,
    US,
    city_clock,
    clock,
    date_label,
    day_label,
    format_when,
    own_first,
    zone_label,
)

LONDON, NEW_YORK, CHICAGO = ZoneInfo("Europe/London"), ZoneInfo("America/New_York"), ZoneInfo("America/Chicago")
MON_13_UTC = datetime(2027, 3, 8, 13, tzinfo=timezone.utc)  # 08:00 in Cleveland, 13:00 in London


@pytest.mark.parametrize(
    ("locale", "time", "day", "with_year"),
    [(US, "8:00 AM", "Mon, Mar 8", "Mon, Mar 8, 2027"), (UK, "08:00", "Mon 8 Mar", "Mon 8 Mar 2027")],
)
def test_each_locale_writes_its_own_clock_and_dates(locale, time, day, with_year):
    assert clock(MON_13_UTC, NEW_YORK, locale) == time
    assert day_label(date(2027, 3, 8), locale) == day
    assert date_label(date(2027, 3, 8), locale) == with_year
    assert "\u202f" not in clock(MON_13_UTC, NEW_YORK, locale)  # CLDR's narrow space would push SMS to UCS-2


def test_the_patient_reads_their_own_clock_first_and_the_sites_by_its_city():
    assert (
        own_first(MON_13_UTC, LONDON, NEW_YORK, "Cleveland", UK)
        == "Mon 8 Mar 2027, 13:00 your time (08:00 in Cleveland)"
    )
    assert own_first(MON_13_UTC, LONDON, NEW_YORK, "Cleveland", US) == (
        "Mon, Mar 8, 2027, 1:00 PM your time (8:00 AM in Cleveland)"
    )
    assert own_first(MON_13_UTC, CHICAGO, NEW_YORK, "Cleveland", US) == (
        "Mon, Mar 8, 2027, 7:00 AM your time (8:00 AM in Cleveland)"
    )
    assert own_first(MON_13_UTC, NEW_YORK, NEW_YORK, "Cleveland", US) == (
        "Mon, Mar 8, 2027, 8:00 AM (your time, as in Cleveland)"
    )


def test_the_sites_clock_carries_its_date_when_that_is_another_day():
    late = datetime(2027, 3, 9, 2, tzinfo=timezone.utc)  # Tue 02:00 in London, still Monday in Cleveland
    assert city_clock(late, LONDON, NEW_YORK, "Cleveland", UK) == "Mon 8 Mar, 21:00 in Cleveland"
    assert city_clock(late, NEW_YORK, NEW_YORK, "Cleveland", UK) is None


@pytest.mark.parametrize("locale", [US, UK])
def test_no_patient_wording_has_a_bare_zone_name_or_abbreviation(locale):
    text = own_first(MON_13_UTC, LONDON, NEW_YORK, "Cleveland", locale)
    assert not any(word in text for word in ("EST", "EDT", "GMT", "BST", "America/", "Europe/"))
    assert zone_label(NEW_YORK, locale) == "Eastern Time" and zone_label(LONDON, locale) == "British Time"


def test_messages_and_staff_keep_the_sites_clock_with_its_abbreviation():
    assert format_when(MON_13_UTC, NEW_YORK, US) == "Mon, Mar 8, 2027, 8:00 AM EST"
    assert format_when(MON_13_UTC, NEW_YORK, UK) == "Mon 8 Mar 2027, 08:00 EST"
