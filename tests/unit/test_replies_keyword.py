"""replies.keyword(): the first word of an SMS, upper-cased, punctuation trimmed; never raises."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as hs

from televisit.services.messaging.replies import HELP_WORDS, START_WORDS, STOP_WORDS, keyword

WORD = hs.text(
    alphabet=hs.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=1, max_size=12
)
SPACE = hs.text(alphabet=hs.sampled_from(" \t\n\r\u00a0\u2003"), max_size=4)
PUNCT = hs.text(alphabet=hs.sampled_from(".,!?;:'\"()\u2018\u2019\u201c\u201d\u2026"), max_size=3)


@given(hs.text())
@example("")
@example("\x00")
@example("\u00df")  # upper-cases to two letters
@example("\ufb03 stop")  # a ligature
def test_never_raises_and_is_one_upper_case_word(body):
    word = keyword(body)
    assert isinstance(word, str)
    assert word == word.upper()
    assert word.split() == ([word] if word else [])


@given(hs.one_of(hs.none(), hs.integers(), hs.binary(), hs.lists(hs.text()), hs.dictionaries(hs.text(), hs.text())))
def test_anything_but_text_has_no_keyword(body):
    assert keyword(body) == ""


@given(lead=SPACE, before=PUNCT, word=WORD, after=PUNCT, rest=hs.text())
def test_the_first_word_wins_whatever_surrounds_it(lead, before, word, after, rest):
    assert keyword(f"{lead}{before}{word}{after} {rest}") == word.upper()


@given(hs.text(alphabet=hs.sampled_from(" \t\n.,!?;:'\"\u2019\u2026"), max_size=20))
def test_only_spaces_and_punctuation_mean_no_keyword(body):
    assert keyword(body) == ""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("c", "C"),
        (" C. ", "C"),
        ("r?", "R"),
        ("\u2018Stop\u2019", "STOP"),
        ("Yes!", "YES"),
        ("help me please", "HELP"),
        ("STOP\nSTOP", "STOP"),
        ("\U0001f44d", "\U0001f44d"),
    ],
)
def test_examples(body, expected):
    assert keyword(body) == expected


def test_keyword_sets_are_upper_case_and_disjoint():
    for words in (STOP_WORDS, START_WORDS, HELP_WORDS):
        assert all(w == w.upper() for w in words)
    assert not (STOP_WORDS & START_WORDS) and not (STOP_WORDS & HELP_WORDS) and not (START_WORDS & HELP_WORDS)
    assert {"C", "R", "Y"}.isdisjoint(STOP_WORDS | START_WORDS | HELP_WORDS)
