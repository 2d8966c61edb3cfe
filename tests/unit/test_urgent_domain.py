"""Issue 14's pure pieces of the urgent flow: an intake in plain words for the desk, the check-in question's
symptoms, the country an emergency number is named for, and the alert address setting."""

from __future__ import annotations

import pytest

from config import ConfigError, load_config
from televisit.domain.emergency import EMERGENCY, emergency_for, known_country
from televisit.domain.triage import CHECK_IN_SYMPTOMS, NEW_SINCE_BOOKING, RED_FLAGS, URGENT, answers_in_words, describe

ANSWERS = {
    "symptoms": ["back_neck_pain", "weakness"],
    "urgent": ["weakness_walking"],
    "since": "days",
    "course": "rapidly_worse",
    "daily_life": "severe",
    "prior_tumor": "yes",
    "prior_tumor_details": "Kidney cancer in 2019",
    "family_history": "unsure",
    "family_details": "",
    "details": "My legs gave way this morning",
}


def test_an_intake_reads_in_plain_words_with_the_patients_own_in_quotes():
    assert answers_in_words(ANSWERS) == [
        ("Symptoms", "Back or neck pain; Weakness in an arm or leg"),
        ("Urgent symptoms", "New weakness in your legs or arms, or new trouble walking"),
        ("Started", "Less than a week"),
        ("Since then", "Getting worse quickly (over hours or days)"),
        ("Daily life", "Severely: I need help with everyday tasks"),
        ("A tumor before", "Yes: “Kidney cancer in 2019”"),
        ("In the family", "Not sure"),
        ("In their own words", "“My legs gave way this morning”"),
    ]


def test_unanswered_questions_of_an_older_intake_are_left_out():
    assert answers_in_words({"urgent": ["bladder_bowel"]}) == [
        ("Urgent symptoms", "New loss of bladder or bowel control (or you cannot pass urine)")
    ]
    assert answers_in_words({}) == []


def test_the_check_in_question_lists_every_red_flag_symptom_and_its_case_reads_in_words():
    assert (
        tuple(label for value, label in URGENT if value != "none") == CHECK_IN_SYMPTOMS and len(CHECK_IN_SYMPTOMS) == 4
    )
    assert describe([NEW_SINCE_BOOKING]) == [RED_FLAGS[NEW_SINCE_BOOKING]]
    assert "check" in RED_FLAGS[NEW_SINCE_BOOKING]


def test_an_emergency_number_is_named_for_its_country_and_an_unknown_one_is_not_claimed():
    assert (emergency_for("GB").number, emergency_for("GB").country) == ("999", "the United Kingdom")
    assert (emergency_for("US").number, emergency_for("US").country) == ("911", "the United States")
    assert known_country("GB") and known_country("US") and not known_country("CA") and not known_country(None)
    assert emergency_for("CA") is EMERGENCY["US"]  # the program's home number, but not named as Canada's


def test_the_alert_address_is_checked_at_start(monkeypatch):
    monkeypatch.setenv("TELEVISIT_URGENT_ALERT_EMAIL", " Desk@Clinic.Example ")
    assert load_config("test").URGENT_ALERT_EMAIL == "Desk@clinic.example"
    monkeypatch.setenv("TELEVISIT_URGENT_ALERT_EMAIL", "the desk")
    with pytest.raises(ConfigError, match="TELEVISIT_URGENT_ALERT_EMAIL"):
        load_config("test")
    monkeypatch.delenv("TELEVISIT_URGENT_ALERT_EMAIL")
    assert load_config("test").URGENT_ALERT_EMAIL is None
