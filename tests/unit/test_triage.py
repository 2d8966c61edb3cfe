"""Intake validation and the red-flag rules (pure)."""

from __future__ import annotations

import pytest

from televisit.domain.triage import RED_FLAGS, describe, parse_intake, red_flags, summary

CALM = {"since": "months", "course": "same", "daily_life": "mild", "prior_tumor": "no", "family_history": "no"}


def _answers(symptoms=("back_neck_pain",), urgent=("none",), **form):
    answers, errors = parse_intake({**CALM, **form}, list(symptoms), list(urgent))
    assert errors == {}, errors
    return answers


def test_calm_answers_raise_no_flag():
    assert red_flags(_answers()) == ()


@pytest.mark.parametrize("flag", ["bladder_bowel", "weakness_walking", "saddle_numbness", "rapid_worsening"])
def test_each_urgent_symptom_is_a_red_flag(flag):
    assert red_flags(_answers(urgent=[flag])) == (flag,)


@pytest.mark.parametrize("symptom", ["back_neck_pain", "radiating_pain", "numbness"])
def test_pain_or_numbness_getting_worse_quickly_is_a_red_flag(symptom):
    assert red_flags(_answers(symptoms=[symptom], course="rapidly_worse")) == ("rapid_worsening",)


def test_a_lump_getting_worse_quickly_is_not_the_pain_red_flag_and_slow_worsening_is_calm():
    assert red_flags(_answers(symptoms=["lump"], course="rapidly_worse")) == ()
    assert red_flags(_answers(symptoms=["numbness"], course="slowly_worse")) == ()


def test_flags_come_in_a_fixed_order_once_each():
    got = red_flags(
        _answers(urgent=["rapid_worsening", "bladder_bowel"], symptoms=["numbness"], course="rapidly_worse")
    )
    assert got == ("bladder_bowel", "rapid_worsening")
    assert describe(got) == [RED_FLAGS["bladder_bowel"], RED_FLAGS["rapid_worsening"]]


def test_every_question_must_be_answered():
    answers, errors = parse_intake({}, [], [])
    assert answers is None
    assert set(errors) == {"symptoms", "urgent", "since", "course", "daily_life", "prior_tumor", "family_history"}


def test_none_of_these_cannot_be_ticked_with_a_symptom_and_unknown_values_are_dropped():
    _, errors = parse_intake(CALM, ["back_neck_pain"], ["none", "saddle_numbness"])
    assert "urgent" in errors
    _, errors = parse_intake(CALM, ["made_up"], ["also_made_up"])
    assert set(errors) == {"symptoms", "urgent"}
    _, errors = parse_intake({**CALM, "course": "sideways"}, ["lump"], ["none"])
    assert set(errors) == {"course"}


def test_free_text_is_bounded_and_answers_serialise_as_plain_data():
    _, errors = parse_intake({**CALM, "details": "x" * 1001}, ["lump"], ["none"])
    assert set(errors) == {"details"}
    data = _answers(details="  since the fall  ").as_dict()
    assert data["symptoms"] == ["back_neck_pain"] and data["urgent"] == ["none"] and data["details"] == "since the fall"


def test_the_care_team_reads_the_answers_in_the_order_asked_in_the_patients_words():
    stored = _answers(symptoms=["numbness", "back_neck_pain"], details="  Worse at night.  ", family_history="unsure")
    assert summary(stored.as_dict()) == [
        ("Do you have any of these right now, that are new?", "None of these"),
        ("What symptoms or findings bring you to us?", "Back or neck pain; Numbness or tingling"),
        ("Tell us more", "Worse at night."),
        ("When did it start?", "1 to 3 months"),
        ("Is it getting worse?", "About the same"),
        ("How much does it affect your daily life?", "A little: I manage my usual activities"),
        ("Have you had cancer or a tumor before?", "No"),
        ("Has anyone in your family had cancer, or a benign tumor of the spine or nerves?", "Not sure"),
    ]


def test_a_summary_leaves_out_what_it_cannot_read():
    assert summary({"since": "someday", "symptoms": ["lump", 7, "nonsense"], "details": None, "course": ["same"]}) == [
        ("What symptoms or findings bring you to us?", "A lump or swelling"),
        ("Is it getting worse?", "About the same"),
    ]
    assert summary({}) == []
