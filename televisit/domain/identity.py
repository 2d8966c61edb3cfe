"""Telling patients apart (pure): name, date of birth and MRN as staff read them, the rules for each, and what a
search for a patient asks for (a name, an MRN, a birth date, a phone number in any common form).

Dates go through Babel (a locale's short date form: month first on a US desk, day first on a UK one), phone
numbers through `phonenumbers` (televisit/domain/validation.py); neither is read by a hand-written pattern alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from babel.dates import format_date as babel_format_date
from babel.dates import parse_date as babel_parse_date

from televisit.domain.errors import Invalid
from televisit.domain.validation import country_of, has_control_characters, phone_e164

MRN_MAX = 20
_MRN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}", re.ASCII)
# A birth date typed as a desk types it: day and month of one or two digits, a four-digit year (a two-digit one
# would have to guess the century: 3/14/58 is refused rather than read as 2058 or 1958).
_LOCAL_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_PHONE_CHARS = re.compile(r"\+?[\d\s().-]+", re.ASCII)
EARLIEST_BIRTH = date(1900, 1, 1)
QUERY_MIN, QUERY_MAX = 2, 100
SEARCH_COUNTRIES = ("US", "GB")  # where the program's patients live: a national number is tried in each
TOO_SHORT = "Type at least two characters: part of a name, or an MRN, a date of birth or a phone number."
TOO_LONG = f"Type at most {QUERY_MAX} characters, without control characters."
BIRTH_DATE_HOW = "Give the date of birth as YYYY-MM-DD, e.g. 1958-03-14."


class PatientTag(NamedTuple):
    """How staff tell a patient apart: name, date of birth and MRN (and the id their page links to).

    A NamedTuple, not a dataclass: view models holding it are copied with `dataclasses.asdict`, which keeps
    named tuples whole."""

    id: int
    name: str
    date_of_birth: date | None
    mrn: str | None


def tag_of(patient) -> PatientTag:
    """The tag of a patient record (anything with id, name, date_of_birth and mrn)."""
    return PatientTag(patient.id, patient.name, patient.date_of_birth, patient.mrn)


def fold(text: str) -> str:
    """`text` for matching names: case and accents ignored, runs of spaces as one ("José  Núñez" -> "jose nunez")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", bare).split())


def parse_mrn(raw: object) -> str:
    """A medical record number: 1 to 20 letters, digits or hyphens, stored in capitals (ValueError in words)."""
    if not isinstance(raw, str) or not _MRN.fullmatch(raw.strip().upper()):
        raise ValueError(f"An MRN is 1 to {MRN_MAX} letters, digits or hyphens, e.g. CLE-004512.")
    return raw.strip().upper()


def parse_birth_date(raw: object, *, today: date) -> date:
    """A date of birth given as YYYY-MM-DD: a real date, from 1900 on, not after `today` (ValueError in words)."""
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw.strip()):
        raise ValueError(BIRTH_DATE_HOW)
    try:
        born = date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ValueError(f"There is no such date. {BIRTH_DATE_HOW}") from exc
    if born > today:
        raise ValueError("The date of birth cannot be in the future.")
    if born < EARLIEST_BIRTH:
        raise ValueError("The date of birth must be in 1900 or later.")
    return born


def birth_date_text(born: date | None, locale: str) -> str:
    """A date of birth as the desk reads it: 'Mar 14, 1958' (en-US) or '14 Mar 1958' (en-GB); never 03/04."""
    if born is None:
        return "not recorded"
    return babel_format_date(born, "medium", locale=locale.replace("-", "_"))


def local_date(text: str, locale: str) -> date | None:
    """A date typed the desk's way (3/14/1958 on a US desk, 14/03/1958 on a UK one), read by Babel for the
    desk's locale; None when it is not one. A first number over 12 can only be a day, so 14/03/1958 reads the
    same on either desk; a four-digit year is required."""
    if not _LOCAL_DATE.fullmatch(text):
        return None
    try:
        found = babel_parse_date(text, locale=locale.replace("-", "_"), format="short")
    except (ValueError, IndexError):  # Babel raises either for numbers that make no date
        return None
    return found if found >= EARLIEST_BIRTH else None


def _query_date(text: str, locale: str) -> date | None:
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return local_date(text, locale)


def query_phones(text: str, region: str | None) -> tuple[str, ...]:
    """The E.164 numbers `text` may be: itself when international, else read as a national number of the
    desk's country (`region`) first, then of each country the program's patients live in."""
    if not _PHONE_CHARS.fullmatch(text) or sum(c.isdigit() for c in text) < 7:
        return ()
    countries = [None] if text.startswith("+") else dict.fromkeys([country_of(region), *SEARCH_COUNTRIES])
    found = []
    for country in countries:
        try:
            found.append(phone_e164(text, country))
        except ValueError:
            continue
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class PatientQuery:
    """What a patient search matches: the folded name text (when it has letters), an MRN, a birth date, phone
    numbers; and the text itself for email addresses."""

    text: str
    name: str | None
    mrn: str | None
    born: date | None
    phones: tuple[str, ...]


def read_query(raw: object, *, locale: str, region: str | None) -> PatientQuery:
    """A search as typed; Invalid (`q`) when it is shorter than two characters or longer than 100."""
    text = " ".join(raw.split()) if isinstance(raw, str) else ""
    if len(text) < QUERY_MIN:
        raise Invalid({"q": TOO_SHORT}, TOO_SHORT)
    if len(text) > QUERY_MAX or has_control_characters(text):
        raise Invalid({"q": TOO_LONG}, TOO_LONG)
    born = _query_date(text, locale)
    return PatientQuery(
        text=text,
        name=fold(text) if any(c.isalpha() for c in text) else None,
        mrn=text.upper() if _MRN.fullmatch(text.upper()) else None,
        born=born,
        phones=() if born else query_phones(text, region),
    )
