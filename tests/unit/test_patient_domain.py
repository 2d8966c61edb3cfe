"""Sign-up and profile input, the find-care query, time labels and refusal wording (pure)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from televisit.domain.availability import REASONS
from televisit.domain.care import (
    REASON_TEXT,
    TimeLabel,
    by_day,
    day_heading,
    need_for,
    parse_care,
    parse_pick,
    refusal_text,
    time_label,
)
from televisit.domain.errors import Conflict, Invalid, SlotUnavailable
from televisit.domain.patient_input import emergency_number, other_zones, parse_contact, parse_signup

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
GOOD = {"name": "Lou", "email": "lou@example.org", "password": "0123456789", "timezone": "Europe/London"}


def test_a_good_signup_parses_and_strips_spaces_from_the_phone():
    form, errors = parse_signup({**GOOD, "region": "GB", "phone": "+44 7700 900123", "email_opt_in": "on"})
    assert errors == {}
    assert (form.contact.phone, form.contact.sms_opt_in, form.contact.email_opt_in) == ("+447700900123", False, True)


def test_signup_errors_name_each_field():
    _, errors = parse_signup({"password": "123456789", "timezone": "Nowhere/Else", "phone": "0770", "region": "ZZ"})
    assert set(errors) == {"name", "email", "password", "timezone", "phone", "region"}


def test_sms_needs_a_phone():
    _, errors = parse_contact({"timezone": "Europe/London", "region": "GB", "sms_opt_in": "on"})
    assert set(errors) == {"phone"}


def test_zone_choices_and_emergency_numbers():
    zones = other_zones()
    assert "Asia/Tokyo" in zones and "Europe/London" not in zones and zones == sorted(zones)
    assert (emergency_number("GB"), emergency_number("US-OH"), emergency_number(None)) == ("999", "911", "911")


def test_the_care_query_defaults_the_video_region_to_the_patients_own():
    q, errors = parse_care({"need": "second-opinion", "mode": "virtual"}, "GB")
    assert errors == {} and (q.need, q.region, q.location_id) == (need_for("second-opinion"), "GB", None)
    q, _ = parse_care({"need": "new", "mode": "in_person", "site": "3", "region": "GB"}, "GB")
    assert (q.location_id, q.region) == (3, None)  # in person: no licensure question
    assert q.params() == {"need": "new", "mode": "in_person", "site": 3}
    _, errors = parse_care({"need": "x", "mode": "virtual", "site": "abc"}, None)
    assert set(errors) == {"need", "site", "region"}


def test_a_pick_needs_ids_and_an_instant_with_an_offset():
    pick = parse_pick({"clinician": "1", "location": "2", "start": "2027-03-03T08:00:00-05:00"})
    assert pick.start == datetime(2027, 3, 3, 13, tzinfo=timezone.utc)
    assert parse_pick({"clinician": "1", "location": "2", "start": "2027-03-03T08:00:00"}) is None
    assert parse_pick({"clinician": "99999999999", "location": "2", "start": "2027-03-03T08:00:00Z"}) is None


def test_time_labels_show_the_site_clock_only_when_it_differs():
    instant = datetime(2027, 3, 3, 13, tzinfo=timezone.utc)
    assert time_label(instant, LONDON, NEW_YORK, "Cleveland", "en-GB") == TimeLabel("13:00", "08:00 in Cleveland")
    assert time_label(instant, NEW_YORK, NEW_YORK, "Cleveland", "en-US") == TimeLabel("8:00 AM", None)
    late = datetime(2027, 3, 4, 1, tzinfo=timezone.utc)  # Thu 01:00 in London is still Wednesday in Ohio
    assert time_label(late, LONDON, NEW_YORK, "Cleveland", "en-GB").site == "Wed 3 Mar, 20:00 in Cleveland"


def test_grouping_by_the_viewers_day_and_headings():
    times = [datetime(2027, 3, 3, h, tzinfo=timezone.utc) for h in (22, 23)] + [
        datetime(2027, 3, 4, 1, tzinfo=timezone.utc)
    ]
    london = by_day(times, lambda t: t, LONDON)
    assert [(d, len(items)) for d, items in london] == [(date(2027, 3, 3), 2), (date(2027, 3, 4), 1)]
    assert [d for d, _ in by_day(times, lambda t: t, NEW_YORK)] == [date(2027, 3, 3)]
    assert (day_heading(date(2027, 3, 3), "en-GB"), day_heading(date(2027, 3, 3), "en-US")) == (
        "Wed 3 Mar 2027",
        "Wed, Mar 3, 2027",
    )


def test_every_slot_refusal_has_friendly_words():
    assert set(REASONS) <= set(REASON_TEXT)
    assert "just booked" in refusal_text(SlotUnavailable("x", reason="taken"))
    assert "not licensed in your region" in refusal_text(SlotUnavailable("x", reason="not_licensed"))
    assert "more notice" in refusal_text(SlotUnavailable("x", reason="too_soon"))
    assert "where you will be" in refusal_text(Invalid({"patient_region": "required"}))
    assert refusal_text(Conflict("This appointment is cancelled.")) == "This appointment is cancelled."
