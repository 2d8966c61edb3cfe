"""Telling patients apart (televisit/domain/identity.py): names folded for matching, dates of birth, MRNs, and
what a typed search asks for (a name, an MRN, a birth date in the desk's form, a phone number in any form)."""

from __future__ import annotations

from datetime import date

import pytest

from televisit.domain import identity
from televisit.domain.errors import Invalid

TODAY = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("José  Núñez", "jose nunez"),
        ("ZOË O'Brien", "zoe o'brien"),
        ("Straße", "strasse"),
        (" Ana\u00a0Lima ", "ana lima"),
    ],
)
def test_names_match_whatever_their_case_accents_and_spacing(name, folded):
    assert identity.fold(name) == folded


def test_a_birth_date_is_an_iso_date_from_1900_that_is_not_in_the_future():
    assert identity.parse_birth_date("1958-03-14", today=TODAY) == date(1958, 3, 14)
    assert identity.parse_birth_date("2027-03-01", today=TODAY) == TODAY  # born today
    for raw, words in [
        ("2027-03-02", "cannot be in the future"),
        ("1899-12-31", "1900 or later"),
        ("1958-02-30", "no such date"),
        ("14/03/1958", "YYYY-MM-DD"),
        ("1958-3-14", "YYYY-MM-DD"),
        (19580314, "YYYY-MM-DD"),
    ]:
        with pytest.raises(ValueError, match=words):
            identity.parse_birth_date(raw, today=TODAY)


def test_an_mrn_is_letters_digits_and_hyphens_kept_in_capitals():
    assert identity.parse_mrn(" cle-004512 ") == "CLE-004512"
    for raw in ["", "-12", "CLE 004512", "x" * 21, "MRN#1", None, 12]:
        with pytest.raises(ValueError, match="letters, digits or hyphens"):
            identity.parse_mrn(raw)


def test_a_birth_date_reads_unambiguously_for_each_desk():
    assert identity.birth_date_text(date(1958, 3, 4), "en-US") == "Mar 4, 1958"
    assert identity.birth_date_text(date(1958, 3, 4), "en-GB") == "4 Mar 1958"
    assert identity.birth_date_text(None, "en-GB") == "not recorded"


@pytest.mark.parametrize(
    ("text", "locale", "born"),
    [
        ("1958-03-04", "en-US", date(1958, 3, 4)),  # ISO reads the same everywhere
        ("3/4/1958", "en-US", date(1958, 3, 4)),  # a US desk: month first
        ("03/04/1958", "en-GB", date(1958, 4, 3)),  # a UK desk: day first
        ("14/03/1958", "en-US", date(1958, 3, 14)),  # 14 can only be the day
        ("14.03.1958", "en-GB", date(1958, 3, 14)),
        ("3/14/58", "en-US", None),  # two-digit years would have to guess the century
        ("31/02/1958", "en-GB", None),  # no such date
        ("1/2/0003", "en-US", None),  # before 1900
    ],
)
def test_a_search_reads_a_birth_date_the_desks_way(text, locale, born):
    assert identity.read_query(text, locale=locale, region=None).born == born


@pytest.mark.parametrize(
    ("text", "region", "phone"),
    [
        ("07700 900123", "GB", "+447700900123"),
        ("07700 900123", "US", "+447700900123"),  # a US desk still finds a UK patient's national number
        ("(216) 555-0123", "US", "+12165550123"),
        ("+44 7700 900 123", "US", "+447700900123"),
        ("216.555.0123", "GB", "+12165550123"),
    ],
)
def test_a_search_reads_a_phone_number_in_any_common_form(text, region, phone):
    assert phone in identity.read_query(text, locale="en-US", region=region).phones


def test_a_search_for_a_name_an_mrn_or_nonsense():
    q = identity.read_query("  José   NÚÑEZ ", locale="en-US", region="US")
    assert (q.text, q.name, q.born, q.phones) == ("José NÚÑEZ", "jose nunez", None, ())
    assert identity.read_query("cle-004512", locale="en-US", region="US").mrn == "CLE-004512"
    assert identity.read_query("12-34", locale="en-US", region="US").phones == ()  # too few digits for a phone


@pytest.mark.parametrize("text", ["", " ", "a", " é ", None])
def test_a_one_character_search_asks_for_two(text):
    with pytest.raises(Invalid) as refused:
        identity.read_query(text, locale="en-US", region="US")
    assert "at least two characters" in refused.value.message and "q" in refused.value.fields


def test_an_overlong_search_is_refused_in_words():
    with pytest.raises(Invalid, match="at most 100 characters"):
        identity.read_query("x" * 101, locale="en-US", region="US")
