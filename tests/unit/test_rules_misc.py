"""Licensure, contact validation, roles, appointment states and domain errors."""

from __future__ import annotations

import pytest

from televisit.domain import appointments, errors, licensure, roles, validation
from televisit.domain.roles import Actor


@pytest.mark.parametrize(
    ("licenses", "region", "expected"),
    [
        (["GB"], "GB-ENG", True),  # a country licence covers its subdivisions
        (["GB"], "GB", True),
        (["GB"], "GB-SCT", True),
        (["GB-ENG"], "GB", False),  # a subdivision does not cover the country
        (["GB-ENG"], "GB-SCT", False),
        (["US-OH"], "US-OH", True),
        (["US-OH"], "US-FL", False),  # US licences are per state
        (["US-OH"], "US", False),
        (["US-OH", "US-FL"], "US-FL", True),
        (["US-O"], "US-OH", False),  # no prefix matching
        (["G"], "GB-ENG", False),
        (["GB"], "IE", False),
        ([], "US-OH", False),
        (("GB",), "GB-WLS", True),
        (frozenset({"US-FL"}), "US-FL", True),
    ],
)
def test_licence_covers(licenses, region, expected):
    assert licensure.covers(licenses, region) is expected


@pytest.mark.parametrize("code", ["US-OH", "US-FL", "GB", "GB-ENG", "FR-75"])
def test_region_codes_accepted(code):
    assert licensure.is_region(code)


@pytest.mark.parametrize(
    "code", ["us-oh", "USA", "US-", "US-OHIO", "U", "", "GB\n", "US-OH\n", " GB", None, 44, ["GB"]]
)
def test_region_codes_refused(code):
    assert not licensure.is_region(code)


@pytest.mark.parametrize("number", ["+12165550123", "+447700900123", "+442079460999", "+4930123456"])
def test_e164_accepted(number):
    assert validation.is_e164(number)


@pytest.mark.parametrize(
    "number",
    [
        "12165550123",  # no plus
        "+02165550123",  # country codes never start with 0
        "+123456",  # too short
        "+1234567",  # a country code, then too few digits for it (phonenumbers knows each country's lengths)
        "+1216555012345",  # too long for the US
        "+1234567890123456",  # too long
        "+1 216 555 0123",
        "+1-216-555-0123",
        "+12165550123\n",  # a trailing newline must not slip through
        "+1٢١٦٥٥٥٠١٢٣",  # non-ASCII digits
        "",
        None,
        12165550123,
    ],
    ids=repr,
)
def test_e164_refused(number):
    assert not validation.is_e164(number)


@pytest.mark.parametrize(
    "address",
    ["pat@example.com", "a.b+tag@mail.example.co.uk", "x@a-b.org", "josé@example.org", "demo@x.televisit.local"],
)
def test_email_accepted(address):
    assert validation.is_email(address)


@pytest.mark.parametrize(
    ("raw", "region", "stored"),
    [
        ("07700 900123", "GB", "+447700900123"),  # API.md's example: national form with the patient's region
        ("07700 900123", "GB-ENG", "+447700900123"),  # a subdivision maps to its country
        ("(216) 555-0123", "US-OH", "+12165550123"),
        ("216.555.0123", "US", "+12165550123"),
        ("+44 7700 900123", None, "+447700900123"),  # international needs no region
        ("+1 (216) 555-0123", "GB", "+12165550123"),  # and its own country code wins over the region's
    ],
)
def test_phone_numbers_in_any_common_form_are_stored_as_e164(raw, region, stored):
    assert validation.phone_e164(raw, region) == stored


@pytest.mark.parametrize(
    ("raw", "region", "words"),
    [
        ("07700 900123", None, "country code"),  # national, but whose?
        ("555-0123", "US", "too few digits"),  # a local number without its area code
        ("+12165550123 ext. 12", None, "extension"),
        ("call me", "GB", "not a phone number"),
        ("", "GB", "Enter a phone number"),
        (None, "GB", "Enter a phone number"),
    ],
)
def test_a_refused_phone_number_says_why_in_words(raw, region, words):
    with pytest.raises(ValueError, match=words):
        validation.phone_e164(raw, region)


def test_an_email_address_is_stored_lower_cased_with_an_ascii_domain():
    assert validation.email_address("Pat@Example.ORG") == "pat@example.org"
    assert validation.email_address("ana@bücher.example") == "ana@xn--bcher-kva.example"
    with pytest.raises(ValueError, match="@-sign"):  # email-validator's own words
        validation.email_address("pat@@example.org")


@pytest.mark.parametrize(
    "address",
    [
        "plainaddress",
        "@example.com",
        "pat@",
        "pat@example",  # no dot in the domain
        "pat@@example.com",
        "pat @example.com",
        "pat@example.com\n",
        "a@b.com, c@d.com",
        "pat@-example.com",
        "x" * 65 + "@example.com",  # local part over 64
        "pat@localhost",  # special-use (only .local and .test are let through, for the demo and the tests)
        "pat@site.invalid",
        "p@" + "a" * 250 + ".com",  # whole address over 254
        None,
        ["pat@example.com"],
    ],
    ids=repr,
)
def test_email_refused(address):
    assert not validation.is_email(address)


def test_normalize_email():
    assert validation.normalize_email("  Pat@Example.COM ") == "pat@example.com"


@pytest.mark.parametrize("role", [roles.ADMIN, roles.SCHEDULER])
def test_bookers_see_everything(role):
    actor = Actor(user_id=1, role=role)
    assert actor.is_booker
    assert actor.may_see(patient_id=99, clinician_id=98)


def test_clinician_sees_only_their_own_visits():
    doc = Actor(user_id=2, role=roles.CLINICIAN, clinician_id=7)
    assert not doc.is_booker
    assert doc.may_see(patient_id=1, clinician_id=7)
    assert not doc.may_see(patient_id=1, clinician_id=8)
    assert not Actor(user_id=3, role=roles.CLINICIAN, clinician_id=None).may_see(1, 7)
    assert not Actor(user_id=3, role=roles.CLINICIAN, clinician_id=None).may_see(1, None)  # None never matches
    # A clinician whose user also carries a patient id still sees by clinician only.
    assert not Actor(user_id=4, role=roles.CLINICIAN, patient_id=5, clinician_id=7).may_see(5, 8)


def test_patient_sees_only_their_own_visits():
    pat = Actor(user_id=5, role=roles.PATIENT, patient_id=42)
    assert pat.may_see(patient_id=42, clinician_id=1)
    assert not pat.may_see(patient_id=43, clinician_id=1)
    assert not Actor(user_id=6, role=roles.PATIENT, patient_id=None).may_see(1, 1)


def test_unknown_role_sees_nothing():
    assert not Actor(user_id=7, role="intruder", patient_id=1, clinician_id=1).may_see(1, 1)


def test_role_sets():
    assert set(roles.ROLES) == {"admin", "scheduler", "clinician", "patient"}
    assert roles.PATIENT not in roles.STAFF and roles.CLINICIAN not in roles.BOOKERS


def test_only_booked_appointments_can_change():
    assert [s for s in appointments.STATUSES if appointments.can_change(s)] == ["booked"]


def test_cancelled_and_no_show_free_the_time():
    assert set(appointments.STATUSES) - set(appointments.HOLDS_TIME) == {"cancelled", "no_show"}


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (errors.Malformed, "malformed", 400),
        (errors.Unauthorized, "unauthorized", 401),
        (errors.Forbidden, "forbidden", 403),
        (errors.NotFound, "not_found", 404),
        (errors.SlotUnavailable, "slot_unavailable", 409),
        (errors.Conflict, "conflict", 409),
    ],
)
def test_error_codes_and_statuses(cls, code, status):
    err = cls("nope", reason="taken")
    assert (err.code, err.status, err.message, err.reason, err.fields) == (code, status, "nope", "taken", {})
    assert isinstance(err, errors.DomainError)


def test_invalid_names_each_field():
    err = errors.Invalid({"start": "required"})
    assert (err.code, err.status, err.fields) == ("invalid", 422, {"start": "required"})
