"""Validators for contact details and free text (pure).

Phone numbers go through `phonenumbers` (Google's libphonenumber) and email addresses through
`email-validator` (syntax only: no DNS at run time); neither is checked by a hand-written pattern here.
"""

from __future__ import annotations

import re

import email_validator
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

# C0 and C1 control characters (NUL, escape, ...) and the bidirectional marks, overrides and isolates, which make
# text display differently from what it holds. PostgreSQL refuses NUL outright; the rest mangle logs, SMS and pages.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL_IN_LINE = re.compile(f"[{_CONTROLS}\t\n\r\u2028\u2029]")  # a one-line field: no tab or line break either
_CONTROL_IN_LINES = re.compile(f"[{_CONTROLS}]")  # text of several lines (a reason): tab and line breaks allowed
CONTROL_CHARACTERS = "must not contain control characters"
MAX_ID = 2**31 - 1  # ids are 32-bit columns: a larger number names no row
MAX_PHONE_INPUT = 40  # what anyone types for one number, spaces and brackets included
# email-validator refuses special-use domains; its documented switch is this list. The demo's addresses are
# @demo.televisit.local and the tests' @….test, so those two stay usable (no mail is sent there outside the demo).
for _usable in ("local", "test"):
    if _usable in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove(_usable)
PHONE_HOW = "e.g. 07700 900123 in the UK, (216) 555-0123 in the US, or with + and the country code"


def has_control_characters(text: str, *, lines: bool = False) -> bool:
    """True when `text` holds a control or bidi-override character (`lines`: tab and line breaks are fine)."""
    return bool((_CONTROL_IN_LINES if lines else _CONTROL_IN_LINE).search(text))


def is_id(value: object) -> bool:
    """A positive whole number that fits an id column."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def country_of(region: str | None) -> str | None:
    """The ISO 3166-1 country of a region code (`US-OH` -> `US`, `GB-ENG` -> `GB`); None when unknown."""
    country = (region or "").split("-", 1)[0].strip().upper()
    return country if len(country) == 2 and country.isalpha() and country.isascii() else None


def phone_e164(raw: object, region: str | None = None) -> str:
    """A phone number in E.164 (`+447700900123`) from any common form: international (`+44 7700 900123`,
    `00 44 ...` is not guessed) or national for the country of `region` (`07700 900123` with `GB` or `GB-ENG`,
    `(216) 555-0123` with `US-OH`). ValueError in words when it is not a whole number."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"Enter a phone number ({PHONE_HOW}).")
    if len(raw) > MAX_PHONE_INPUT or has_control_characters(raw):
        raise ValueError(f"That is not a phone number ({PHONE_HOW}).")
    country = country_of(region)
    try:
        number = phonenumbers.parse(raw, country)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and not raw.strip().startswith("+"):
            raise ValueError(f"Add the country code, or give the state or country first ({PHONE_HOW}).") from exc
        raise ValueError(f"That is not a phone number ({PHONE_HOW}).") from exc
    if number.extension:
        raise ValueError("Enter the number without an extension: text messages cannot reach one.")
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != ValidationResult.IS_POSSIBLE:  # too short, too long, or a local number without its area code
        raise ValueError(f"That number has too {'many' if reason == ValidationResult.TOO_LONG else 'few'} digits "
                         f"({PHONE_HOW}).")  # fmt: skip
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_e164(text: object) -> bool:
    """A phone number exactly in the E.164 form this service stores (`+` and the digits, nothing else)."""
    if not isinstance(text, str) or not text.startswith("+") or not (text[1:].isascii() and text[1:].isdigit()):
        return False
    try:
        return phone_e164(text) == text
    except ValueError:
        return False


def email_address(raw: object) -> str:
    """One email address as it is stored: checked by `email-validator` (syntax, no DNS: nothing leaves the
    process), the domain in its ASCII form, all lower-cased. ValueError in words when it is not one.

    A domain needs a dot (`pat@example` is a typo); of the special-use domains, `.local` and `.test` are
    accepted (see above)."""
    if not isinstance(raw, str):
        raise ValueError("Enter an email address like name@example.com.")
    try:
        checked = validate_email(raw, check_deliverability=False, strict=True)  # strict: RFC 5321 lengths
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return f"{checked.local_part}@{checked.ascii_domain}".lower()


def is_email(text: object) -> bool:
    """A single valid email address (see `email_address`)."""
    try:
        email_address(text)
    except ValueError:
        return False
    return True


def normalize_email(text: str) -> str:
    """The stored form of an address, for look-ups (addresses compare case-insensitively here); text that is
    not an address is only trimmed and lower-cased, so a look-up of it finds nothing rather than failing."""
    try:
        return email_address(text.strip())
    except ValueError:
        return text.strip().lower()
