"""Field errors in words (televisit/web/wording.py): a sentence that names the field as its label does."""

from __future__ import annotations

import re

import pytest

from televisit.web.wording import sentence, sentences


@pytest.mark.parametrize(
    ("key", "message", "words"),
    [
        ("location_id", "required", "Please choose the site."),
        ("location_id", "expected a whole number", "Please choose the site from the list."),
        ("mode", "one of virtual, in_person", "Please choose video or in person from the list."),
        ("reason", "expected text", "Please enter the reason."),
        ("reason", "at most 500 characters", "The reason can be at most 500 characters long."),
        ("rules[1].end", "must be after start", "The end time in window 2 must be after start."),
        ("rules-0-location_id", "required", "Please choose the site in window 1."),
        ("steps[2].visit_type_id", "required", "Please choose the visit type in step 3."),
        ("phone", "expected an E.164 number such as +12165550123",
         "Please enter the mobile phone number as an E.164 number such as +12165550123."),
        ("tz", "unknown IANA time zone", "Please check the time zone: unknown IANA time zone."),
        ("favourite_colour_id", "required", "Please enter the favourite colour."),
        ("reason", "Say why the visit is cancelled.", "Say why the visit is cancelled."),  # a sentence already
    ],
)  # fmt: skip
def test_each_error_is_a_sentence_naming_the_field(key, message, words):
    assert sentence(key, message) == words


def test_no_field_key_survives():
    fields = {"location_id": "required", "patient_region": "expected a region code such as US-OH or GB"}
    out = sentences(fields)
    assert set(out) == set(fields)  # still keyed, so each sits next to its field
    for text in out.values():
        assert not re.search(r"[a-z]+_[a-z]+", text) and text.endswith(".") and text[0].isupper()
