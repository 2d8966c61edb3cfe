"""Issue 12, item 4: the password policy (televisit/domain/passwords.py) with its kept list of common passwords,
and the settings of item 5 (session limits) and item 2 (account-email throttles)."""

from __future__ import annotations

import pytest

from config import ConfigError, DevConfig
from televisit.domain.passwords import MAX_LENGTH, password_problem
from televisit.services.auth import common_passwords


def _problem(password: str, email: str = "lou.london@example.org") -> str | None:
    return password_problem(password, email, common_passwords())


def test_the_common_list_is_a_real_one():
    common = common_passwords()
    assert len(common) >= 10_000
    assert {"password", "123456", "qwertyuiop", "1234567890", "password1234", "iloveyou12"} <= common


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "Use at least 10 characters."),
        ("nine-char", "Use at least 10 characters."),
        ("x" * (MAX_LENGTH + 1), f"Use at most {MAX_LENGTH} characters."),
        (" " * 10, "Use something other than spaces."),
        ("\t \n" * 4, "Use something other than spaces."),
        ("LOU.LONDON!!", "Do not use your email address (or the part before the @) in your password."),
        ("my lou.london pass", "Do not use your email address (or the part before the @) in your password."),
        ("Password1234", "This password is too common: attackers try it first."),
        ("QWERTYUIOP", "This password is too common: attackers try it first."),
    ],
)
def test_a_refused_password_says_why_in_plain_words(password, reason):
    assert _problem(password).startswith(reason)


@pytest.mark.parametrize("password", ["televisit-demo", "correct-horse-battery", "a" * MAX_LENGTH, "ten chars!"])
def test_good_passwords_pass(password):
    assert _problem(password) is None


def test_a_short_local_part_does_not_forbid_its_letters():
    assert _problem("a-long-password", "al@example.org") is None  # "al" is too short to mean anything
    assert _problem("my-name-is-ann!", "ann@example.org") is not None


def test_session_and_throttle_settings_from_the_environment(monkeypatch):
    for name in ("SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS", "ACCOUNT_EMAIL_RATE_LIMIT", "ACCOUNT_CLIENT_RATE_LIMIT"):
        monkeypatch.delenv(f"TELEVISIT_{name}", raising=False)
    cfg = DevConfig()
    assert (cfg.SESSION_IDLE_MINUTES, cfg.SESSION_MAX_HOURS) == (30, 12)
    assert (cfg.ACCOUNT_EMAIL_RATE_LIMIT, cfg.ACCOUNT_CLIENT_RATE_LIMIT) == ("5 per hour", "20 per hour")
    monkeypatch.setenv("TELEVISIT_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("TELEVISIT_SESSION_MAX_HOURS", "8")
    cfg = DevConfig()
    assert (cfg.SESSION_IDLE_MINUTES, cfg.SESSION_MAX_HOURS) == (15, 8)


@pytest.mark.parametrize("value", ["0", "-5", "half"])
def test_a_session_limit_below_one_is_refused(monkeypatch, value):
    monkeypatch.setenv("TELEVISIT_SESSION_IDLE_MINUTES", value)
    with pytest.raises(ConfigError, match="TELEVISIT_SESSION_IDLE_MINUTES"):
        DevConfig()
