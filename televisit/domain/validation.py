"""Validators for contact details and free text (pure)."""

from __future__ import annotations

import re

_E164 = re.compile(r"^\+[1-9]\d{6,14}$", re.ASCII)  # \d must not accept non-ASCII digits
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)

# C0 and C1 control characters (NUL, escape, ...) and the bidirectional marks, overrides and isolates, which make
# text display differently from what it holds. PostgreSQL refuses NUL outright; the rest mangle logs, SMS and pages.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL_IN_LINE = re.compile(f"[{_CONTROLS}\t\n\r\u2028\u2029]")  # a one-line field: no tab or line break either
_CONTROL_IN_LINES = re.compile(f"[{_CONTROLS}]")  # text of several lines (a reason): tab and line breaks allowed
CONTROL_CHARACTERS = "must not contain control characters"
MAX_ID = 2**31 - 1  # ids are 32-bit columns: a larger number names no row


def has_control_characters(text: str, *, lines: bool = False) -> bool:
    """True when `text` holds a control or bidi-override character (`lines`: tab and line breaks are fine)."""
    return bool((_CONTROL_IN_LINES if lines else _CONTROL_IN_LINE).search(text))


def is_id(value: object) -> bool:
    """A positive whole number that fits an id column."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def is_e164(text: object) -> bool:
    """A phone number in E.164 form (+ and 7 to 15 digits)."""
    return isinstance(text, str) and bool(_E164.fullmatch(text))


def is_email(text: object) -> bool:
    """A plausible single address (local@domain.tld), at most 254 characters."""
    # Printable only: a NUL or control character would be refused by PostgreSQL (a 500) or mangle a log line.
    return isinstance(text, str) and len(text) <= 254 and text.isprintable() and bool(_EMAIL.fullmatch(text))


def normalize_email(text: str) -> str:
    """Addresses compare case-insensitively here."""
    return text.strip().lower()
