"""Turn request bodies and query strings into validated values; every problem names its field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import request

from televisit.domain.errors import Invalid, Malformed
from televisit.domain.identity import parse_birth_date, parse_mrn
from televisit.domain.licensure import is_region
from televisit.domain.timezones import (
    BadInstant,
    NaiveDatetime,
    get_zone,
    is_zone,
    parse_date,
    parse_hhmm,
    parse_instant,
)
from televisit.domain.validation import CONTROL_CHARACTERS, email_address, has_control_characters, phone_e164

MISSING = object()
_QUERY_INT = re.compile(r"-?[0-9]{1,11}")
Parser = Callable[[Any], Any]


def json_body() -> dict:
    """The request body as a JSON object, or Malformed (400)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # absurdly deep nesting ([[[[...): malformed, not a 500
        data = None
    if not isinstance(data, dict):
        raise Malformed("The body must be a JSON object (Content-Type: application/json).")
    return data


class Fields:
    """Collects field errors so that one 422 names every bad field."""

    def __init__(self, data: Mapping[str, Any], *, query: bool = False):
        self.data = data
        self.query = query  # query strings carry numbers as text; JSON bodies must use JSON numbers
        self.errors: dict[str, str] = {}

    def get(self, name: str, parser: Parser, *, required: bool = False, default: Any = None) -> Any:
        """Parse `name`; a missing optional field (or JSON null) gives `default`."""
        raw = self.data.get(name, MISSING)
        if raw is MISSING or raw is None or raw == "" and not required:
            if required:
                self.errors[name] = "required"
            return default
        if self.query and isinstance(raw, str) and _QUERY_INT.fullmatch(raw):
            raw = int(raw)
        try:
            return parser(raw)
        except (ValueError, TypeError) as exc:
            self.errors[name] = str(exc) or "invalid"
            return default

    def done(self) -> None:
        """Raise Invalid when any field failed."""
        if self.errors:
            raise Invalid(self.errors)


def integer(raw: Any, *, lo: int = 0, hi: int = 2**31 - 1) -> int:
    """A JSON integer within [lo, hi] (query strings are converted by Fields)."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError("expected a whole number")
    if not lo <= raw <= hi:
        raise ValueError(f"must be between {lo} and {hi}")
    return raw


def ident(raw: Any) -> int:
    """A positive id."""
    return integer(raw, lo=1)


def bounded(lo: int, hi: int) -> Parser:
    """An integer parser within [lo, hi]."""
    return lambda raw: integer(raw, lo=lo, hi=hi)


def text(max_len: int = 200, *, lines: bool = False) -> Parser:
    """A non-blank string of at most `max_len` characters, free of control characters.

    One line unless `lines` (a reason may hold line breaks and tabs; a name may not).
    """

    def parse(raw: Any) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError("expected text")
        value = raw.strip()  # a trailing newline pasted with a name is not part of it
        if has_control_characters(value, lines=lines):
            raise ValueError(CONTROL_CHARACTERS)
        if len(raw) > max_len:
            raise ValueError(f"at most {max_len} characters")
        return value

    return parse


def boolean(raw: Any) -> bool:
    """A JSON boolean (or 'true'/'false' in a query string)."""
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if not isinstance(raw, bool):
        raise ValueError("expected true or false")
    return raw


# Dates and instants outside these years are refused: near datetime's limits (years 1 and 9999)
# the day-bound and margin arithmetic would overflow into a 500.
MIN_YEAR, MAX_YEAR = 1900, 2999


def _in_range(value):
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


def instant(raw: Any):
    """An ISO 8601 instant with an offset, in UTC."""
    try:
        value = parse_instant(raw)
    except NaiveDatetime as exc:
        raise ValueError("needs a UTC offset, e.g. 2027-03-29T09:00:00+01:00") from exc
    except BadInstant as exc:
        raise ValueError(str(exc)) from exc
    return _in_range(value)


def day(raw: Any):
    """A YYYY-MM-DD date."""
    return _in_range(parse_date(raw))


def zone_name(raw: Any) -> str:
    """An IANA time zone name."""
    if not is_zone(raw):
        raise ValueError("unknown IANA time zone (e.g. America/New_York, Europe/London)")
    return raw


def region(raw: Any) -> str:
    """ISO 3166-2 (US-OH) or ISO 3166-1 alpha-2 (GB)."""
    if not is_region(raw):
        raise ValueError("expected a region code such as US-OH or GB")
    return raw


def email(raw: Any) -> str:
    """A single email address in its stored form (email-validator; the message says what is wrong)."""
    return email_address(raw)


def phone(raw: Any) -> str:
    """A phone number with its country code (`+1 216 555 0123`), stored and returned as E.164."""
    return phone_e164(raw)


def national_phone(region_code: str | None) -> Parser:
    """A phone number in any common form: with its country code, or national for `region_code`'s country
    (`07700 900123` with GB or GB-ENG); E.164 out."""
    return lambda raw: phone_e164(raw, region_code)


def birth_date(today) -> Parser:
    """A YYYY-MM-DD date of birth, not after `today`."""
    return lambda raw: parse_birth_date(raw, today=today)


def mrn(raw: Any) -> str:
    """A medical record number (letters, digits, hyphens), in capitals."""
    return parse_mrn(raw)


def one_of(*values: str) -> Parser:
    """One of a fixed set of strings."""

    def parse(raw: Any) -> str:
        if raw not in values:
            raise ValueError(f"one of {', '.join(values)}")
        return raw

    return parse


def list_of(item: Parser, *, min_len: int = 0, max_len: int = 50, unique: bool = True) -> Parser:
    """A JSON list whose items all parse."""

    def parse(raw: Any) -> list:
        if not isinstance(raw, list) or not min_len <= len(raw) <= max_len:
            raise ValueError(f"expected a list of {min_len} to {max_len} items")
        out = [item(x) for x in raw]
        return list(dict.fromkeys(out)) if unique else out

    return parse


def hhmm(raw: Any) -> int:
    """HH:MM from 00:00 to 24:00, as minutes."""
    return parse_hhmm(raw)


def tz_query():
    """The `tz` query parameter as a zone (None: not given; 422 when it is not an IANA name)."""
    f = Fields(request.args, query=True)
    tz = f.get("tz", zone_name)
    f.done()
    return get_zone(tz) if tz else None


def cancel_reason() -> str | None:
    """The optional `reason` of a cancellation (the body itself is optional; line breaks are kept)."""
    f = Fields(json_body() if request.get_data() else {})
    reason = f.get("reason", text(500, lines=True))
    f.done()
    return reason
