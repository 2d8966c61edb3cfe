"""Clinic days as a patient reads and chooses them (pure): their clock first, the site's named by its city;
what to bring for an MRI; a chosen step carried through a form and read back, or refused when malformed."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from televisit.domain.care import ChosenStep, own_clock_first, parse_step, preparation, step_value

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("instant", "own", "locale", "expected"),
    [
        ("2027-03-08T13:00:00+00:00", LONDON, "en-GB", "13:00 your time (08:00 in Cleveland)"),
        ("2027-03-15T13:00:00+00:00", LONDON, "en-GB", "13:00 your time (09:00 in Cleveland)"),  # 4 h weeks
        ("2027-03-08T13:00:00+00:00", LONDON, "en-US", "1:00 PM your time (8:00 AM in Cleveland)"),
        ("2027-03-08T13:00:00+00:00", NEW_YORK, "en-US", "8:00 AM"),  # one clock when both read the same
    ],
)
def test_the_patients_clock_comes_first_and_the_sites_is_named_by_city(instant, own, locale, expected):
    assert own_clock_first(datetime.fromisoformat(instant), own, NEW_YORK, "Cleveland", locale) == expected


def test_an_mri_step_says_what_to_bring_and_nothing_else_does():
    assert (
        preparation(["mri"]) == "Please arrive 15 minutes early; leave metal objects at home; bring any previous scans."
    )
    assert preparation(["linac"]) is None and preparation([]) is None and preparation(None) is None


def test_a_chosen_step_goes_through_a_form_and_comes_back_the_same():
    start = datetime(2027, 3, 8, 13, tzinfo=timezone.utc)
    value = step_value(start, (4, 9), 1, "in_person", (2,))
    assert value == "2027-03-08T13:00:00+00:00|4,9|1|in_person|2"
    assert parse_step(value) == ChosenStep(start, (4, 9), 1, "in_person", (2,))
    assert parse_step(step_value(start, (4,), 1, "virtual", ())) == ChosenStep(start, (4,), 1, "virtual", ())


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "2027-03-08T13:00:00+00:00|4|1|in_person",  # a part missing
        "soon|4|1|in_person|",
        "2027-03-08T13:00:00|4|1|in_person|",  # no offset: not an instant
        "2027-03-08T13:00:00+00:00||1|in_person|",  # nobody attends
        "2027-03-08T13:00:00+00:00|4,x|1|in_person|",
        "2027-03-08T13:00:00+00:00|4|0|in_person|",
        "2027-03-08T13:00:00+00:00|4|1|by_pigeon|",
        "2027-03-08T13:00:00+00:00|4|1|in_person|99999999999",
    ],
)
def test_a_malformed_step_is_refused(value):
    assert parse_step(value) is None
