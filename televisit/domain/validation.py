"""Validators for contact details (pure)."""

from __future__ import annotations

import re

_E164 = re.compile(r"^\+[1-9]\d{6,14}$", re.ASCII)  # \d must not accept non-ASCII digits
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


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
