"""Property tests on every pure parser of user input: any value in, a clean answer or a ValueError out.

(Round trips of instants and slot arithmetic live in test_properties.py; reply keywords in
test_replies_keyword.py.) Here: zones, instants, dates, HH:MM, E.164 phones, e-mail addresses, regions,
the patient sign-up and profile forms, and the API's field parsers.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from televisit.domain import patient_input
from televisit.domain.licensure import is_region
from televisit.domain.timezones import (
    UTC,
    BadInstant,
    NaiveDatetime,
    UnknownZone,
    format_hhmm,
    get_zone,
    is_zone,
    parse_date,
    parse_hhmm,
    parse_instant,
)
from televisit.domain.validation import is_e164, is_email, normalize_email, phone_e164
from televisit.web.api import parse

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Anything a JSON body, a query string or a form can carry.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# Text near the shapes the parsers look for, so that the interesting branches are reached.
iso_like = st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\Z"
)
zone_like = st.from_regex(r"\A[A-Za-z_+\-/.0-9]{1,40}\Z") | st.sampled_from(
    ["localtime", "../etc/passwd", "America/New_York/", "/UTC", "Etc/GMT+14", "Etc/GMT-15", "posixrules", "Factory"]
)
phone_like = st.from_regex(r"\A\+?[0-9\u0660-\u0669 ]{0,18}\Z") | st.text()
email_like = st.from_regex(r"\A[^@]{0,70}@[A-Za-z0-9.\-]{0,70}\Z") | st.text()


# --- zones ---------------------------------------------------------------------------------------


@SETTINGS
@given(name=json_values | zone_like)
@example(name="localtime")
@example(name="America/New_York\x00")
def test_a_zone_name_is_known_or_refused_with_unknown_zone(name):
    assert is_zone(name) in (True, False)
    try:
        zone = get_zone(name)
    except UnknownZone:
        assert not is_zone(name)
    else:
        assert is_zone(name) and zone.key == name
        assert datetime(2027, 3, 1, tzinfo=zone).utcoffset() is not None


# --- instants, dates, HH:MM ----------------------------------------------------------------------


@SETTINGS
@given(text=json_values | iso_like)
@example(text="0001-01-01T00:00:00+01:00")
@example(text="9999-12-31T23:59:59-01:00")
@example(text="2027-03-29T09:00:00+24:00")
@example(text="2027-03-29T09:00:00\x00+01:00")
def test_parse_instant_gives_an_aware_utc_instant_or_a_clear_refusal(text):
    try:
        value = parse_instant(text)
    except NaiveDatetime:
        assert isinstance(text, str) and datetime.fromisoformat(text).tzinfo is None
    except BadInstant:
        pass
    else:
        assert value.tzinfo is UTC
        assert value == datetime.fromisoformat(text)  # the same instant, only expressed in UTC


@SETTINGS
@given(text=json_values | iso_like | st.dates().map(date.isoformat))
@example(text="2027-02-29")
@example(text="2027-13-01")
@example(text="٢٠٢٧-٠٣-٠١")  # Arabic-Indic digits match \d but are not a date on the wire
def test_parse_date_gives_that_date_or_a_value_error(text):
    try:
        value = parse_date(text)
    except ValueError:
        return
    assert value.isoformat() == text


@SETTINGS
@given(text=json_values | st.from_regex(r"\A[0-9]{2}:[0-9]{2}\Z") | st.from_regex(r"\A\d\d:\d\d\Z"))
@example(text="24:00")
@example(text="24:01")
@example(text="٠٩:٠٠")
def test_parse_hhmm_is_a_minute_of_the_day_that_formats_back(text):
    try:
        minute = parse_hhmm(text)
    except ValueError:
        return
    assert 0 <= minute <= 1440
    assert format_hhmm(minute) == text


# --- phones, e-mail addresses, regions -----------------------------------------------------------


@SETTINGS
@given(text=json_values | phone_like)
@example(text="+١٢١٦٥٥٥٠١٢٣")  # non-ASCII digits
@example(text="+12165550123\n")
def test_e164_accepts_only_plus_and_7_to_15_ascii_digits(text):
    if not is_e164(text):
        return
    assert text.startswith("+") and text[1:].isascii() and text[1:].isdigit()
    assert 7 <= len(text) - 1 <= 15 and text[1] != "0"
    assert phone_e164(text) == text  # what phonenumbers stores for it is itself


@SETTINGS
@given(text=json_values | phone_like, region=st.sampled_from([None, "GB", "GB-ENG", "US-OH", "FR", "??"]))
@example(text="07700 900123", region="GB-ENG")
@example(text="+١٢١٦٥٥٥٠١٢٣", region=None)  # Arabic-Indic digits: phonenumbers reads them
def test_a_phone_number_read_in_any_form_is_stored_as_e164_or_refused_in_words(text, region):
    try:
        stored = phone_e164(text, region)
    except ValueError as exc:
        assert str(exc)[:1].isupper() and str(exc).endswith(".")  # a sentence, not a code
        return
    assert is_e164(stored) and len(stored) <= 16


@SETTINGS
@given(text=json_values | email_like)
@example(text="a\x00b@example.org")
@example(text="pat@example.org\n")
@example(text="a@b@example.org")
def test_an_accepted_email_is_one_printable_address_that_normalizes_stably(text):
    if not is_email(text):
        return
    local, _, domain = text.rpartition("@")
    assert "@" not in local and 1 <= len(local) <= 64 and len(text) <= 254
    assert "." in domain
    assert text.isprintable() and not any(c.isspace() for c in text)  # nothing a database or a log mangles
    once = normalize_email(text)
    assert once.rpartition("@")[2].isascii() and len(once) <= 254  # stored with the ASCII (IDNA) domain
    assert normalize_email(once) == once and is_email(once)


@SETTINGS
@given(text=json_values | st.from_regex(r"\A[A-Za-z]{2}(-[A-Za-z0-9]{0,4})?\Z"))
def test_a_region_is_two_capitals_and_an_optional_short_subdivision(text):
    if is_region(text):
        country, _, sub = text.partition("-")
        assert len(country) == 2 and country.isascii() and country.isupper()
        assert text.isascii() and (not sub or 1 <= len(sub) <= 3)


# --- the patient's sign-up and profile forms -----------------------------------------------------

form_fields = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=130),
        "email": email_like,
        "password": st.text(max_size=210),
        "timezone": zone_like | st.sampled_from([z for z, _ in patient_input.COMMON_ZONES]),
        "region": st.text(max_size=6) | st.sampled_from(sorted(patient_input.REGION_CODES)),
        "phone": phone_like,
        "sms_opt_in": st.sampled_from(["on", "", "off", "1", "yes"]),
        "email_opt_in": st.sampled_from(["on", "", "off", "true"]),
    },
)


VALID_SIGNUP = {
    "name": "Pat Example",
    "email": "pat@example.org",
    "password": "correct-horse-battery",
    "timezone": "Europe/London",
    "region": "GB",
    "email_opt_in": "on",
}


@SETTINGS
@given(form=form_fields)
@example(form=VALID_SIGNUP)
@example(form={**VALID_SIGNUP, "name": "Pat\x00Example"})
@example(form={**VALID_SIGNUP, "name": "\u202eevil\x1b[31m"})
@example(form={**VALID_SIGNUP, "phone": "+44 7700 900123", "sms_opt_in": "on"})
def test_signup_form_is_valid_or_names_each_bad_field(form):
    data, errors = patient_input.parse_signup(form)
    assert (data is None) == bool(errors)
    assert set(errors) <= {"name", "email", "password", "timezone", "region", "phone"}
    if data is None:
        return
    assert data.name == data.name.strip() and 1 <= len(data.name) <= 120 and data.name.isprintable()
    assert is_email(data.email) and patient_input.MIN_PASSWORD <= len(data.password) <= 200
    contact = data.contact
    assert is_zone(contact.timezone) and contact.region in patient_input.REGION_CODES
    assert contact.phone is None or is_e164(contact.phone)
    assert not contact.sms_opt_in or contact.phone is not None  # text messages need a number


@SETTINGS
@given(form=form_fields)
def test_profile_form_is_valid_or_names_each_bad_field(form):
    contact, errors = patient_input.parse_contact(form)
    assert set(errors) <= {"timezone", "region", "phone"}
    if not errors:
        assert is_zone(contact.timezone) and contact.region in patient_input.REGION_CODES
        assert contact.phone is None or is_e164(contact.phone)


# --- the API's field parsers (televisit/web/api/parse.py; pure apart from json_body) ------------

PARSERS = {
    "ident": parse.ident,
    "bounded": parse.bounded(1, 1000),
    "text": parse.text(200),
    "boolean": parse.boolean,
    "instant": parse.instant,
    "day": parse.day,
    "zone_name": parse.zone_name,
    "region": parse.region,
    "email": parse.email,
    "phone": parse.phone,
    "one_of": parse.one_of("virtual", "in_person"),
    "list_of": parse.list_of(parse.region, min_len=1),
    "hhmm": parse.hhmm,
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_api_field_parser_returns_or_raises_value_error(name):
    parser = PARSERS[name]

    @SETTINGS
    @given(raw=json_values | iso_like | zone_like | email_like)
    def check(raw):
        with contextlib.suppress(ValueError, TypeError):  # Fields turns both into a 422 naming the field
            parser(raw)

    check()


@SETTINGS
@given(raw=json_values | iso_like)
def test_api_instants_are_utc_and_within_the_supported_years(raw):
    try:
        value = parse.instant(raw)
    except ValueError:
        return
    assert value.tzinfo is UTC and parse.MIN_YEAR <= value.year <= parse.MAX_YEAR
    # The day-bound and margin arithmetic done on any accepted instant cannot overflow.
    assert value - timedelta(days=400) < value < value + timedelta(days=400)


@SETTINGS
@given(raw=json_values)
def test_api_text_is_stripped_non_blank_and_free_of_nul(raw):
    try:
        value = parse.text(50)(raw)
    except ValueError:
        return
    assert value == value.strip() and value and len(value) <= 50 and "\x00" not in value


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(["a", "b", "c"]), json_values | st.from_regex(r"\A-?[0-9]{1,14}\Z")))
def test_fields_collects_one_error_per_bad_field_and_never_raises_anything_else(data):
    fields = parse.Fields(data, query=True)
    values = {name: fields.get(name, parse.ident, required=name == "a") for name in ("a", "b", "c")}
    for name, value in values.items():
        assert (name in fields.errors) or value is None or (isinstance(value, int) and value >= 1)
    if fields.errors:
        with pytest.raises(Exception) as exc:
            fields.done()
        assert exc.value.fields == fields.errors
    else:
        fields.done()


def test_offsets_are_kept_exactly():
    """One fixed example beside the properties: +05:45 (Kathmandu) survives parsing to UTC."""
    assert parse_instant("2027-03-29T09:00:00+05:45") == datetime(2027, 3, 29, 3, 15, tzinfo=timezone.utc)
