"""Phone numbers as a patient reads and types them (the `phonenumbers` library): the national form of their own
country ('07700 900456' in the UK, '(216) 555-0100' in the US), the international form for any other number;
stored in E.164. The clinic's line a patient calls to book is the program's line for the site's region."""

from __future__ import annotations

from collections.abc import Mapping

import phonenumbers
from phonenumbers import PhoneNumberFormat

from televisit.domain.emergency import country_of, urgent_number
from televisit.models import Location, Patient
from televisit.services.patients.urgent_line import UrgentLine, patient_country


def shown(number: str | None, home: str | None) -> str:
    """An E.164 number as its reader in country `home` writes it ('' for none; the raw text when unreadable)."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    # Same calling code: dialled as at home (fiction-range numbers such as 07700 900xxx are not "valid" for
    # the library's metadata, so the country is read from the calling code, not from the number's range).
    national = bool(home) and phonenumbers.country_code_for_region(home) == parsed.country_code
    form = PhoneNumberFormat.NATIONAL if national else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, form)


def for_patient(patient: Patient, number: str | None) -> str:
    """`number` as this patient reads it (national when it is of their own country)."""
    return shown(number, patient_country(patient))


def to_e164(text: str | None, region: str | None) -> str | None:
    """What a patient typed ('07700 900123' with region GB, '+1 216 555 0123', '(216) 555-0123' with US-OH) in
    E.164, or None when it is not a valid number (then the caller's own check reports it in words)."""
    if not text or not text.strip():
        return None
    try:
        parsed = phonenumbers.parse(text, country_of(region))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def with_e164(form: Mapping, *, field: str = "phone", region_field: str = "region") -> dict:
    """The form with its phone in E.164 when it reads as a valid number for the chosen region (else unchanged,
    so that validation explains what is wrong)."""
    out = dict(form.items())
    e164 = to_e164(out.get(field), out.get(region_field))
    if e164:
        out[field] = e164
    return out


def clinic_line(patient: Patient, site: Location | None, lines: Mapping[str, str], fallback: str | None):
    """The number a patient calls about booking at `site` (the program's line for the site's region, else its
    country, else the catch-all), written for the patient's own country; None when none is configured."""
    found = urgent_number(lines, fallback, site.region if site else patient.region)
    if found is None:
        return None
    try:
        parsed = phonenumbers.parse(found.number, found.country)
    except phonenumbers.NumberParseException:  # config refuses these; keep the raw text rather than nothing
        return UrgentLine(found.number, found.number, None)
    tel = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    home = patient_country(patient)
    text = shown(tel, home)
    abroad = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    return UrgentLine(text, tel, abroad if abroad != text else None)
