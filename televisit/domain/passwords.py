"""The password policy (API.md, "Limits every client can rely on"): one rule wherever a password is set."""

from __future__ import annotations

from collections.abc import Container

MIN_LENGTH = 10
MAX_LENGTH = 200  # hashing a megabyte of "password" is work an attacker should not get for free
LOCAL_PART_MIN = 3  # a one- or two-letter local part ("jo@...") would forbid half the alphabet
HINT = f"At least {MIN_LENGTH} characters, not a common password, and not your email address."


def local_part(email: str) -> str:
    """The part of an address before the last '@', lower-cased."""
    return email.rpartition("@")[0].strip().lower() if "@" in email else email.strip().lower()


def password_problem(password: object, email: str, common: Container[str]) -> str | None:
    """Why `password` may not be used for `email` (in plain words), or None when it may.

    `common` holds lower-cased common passwords (a kept list: televisit/services/auth.py).
    """
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if not password.strip():
        return "Use something other than spaces."
    lowered = password.lower()
    name = local_part(email or "")
    if len(name) >= LOCAL_PART_MIN and name in lowered:
        return "Do not use your email address (or the part before the @) in your password."
    if lowered in common or lowered.strip() in common:
        return "This password is too common: attackers try it first. Choose another, such as three unrelated words."
    return None
