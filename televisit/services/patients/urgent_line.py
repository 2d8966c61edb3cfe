"""What the urgent page tells a patient with red flags: the emergency number for where they are and the
clinic's urgent line for their country, written as people there write it (the `phonenumbers` library)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat

from televisit.domain.emergency import Emergency, country_of, emergency_for, known_country, urgent_number
from televisit.models import Patient


@dataclass(frozen=True)
class UrgentLine:
    """The clinic's urgent line as shown: `shown` (national form at home), `tel` (E.164, for the link) and
    `abroad` (international form, for a patient calling from elsewhere; None when `shown` is already)."""

    shown: str
    tel: str
    abroad: str | None


@dataclass(frozen=True)
class UrgentAdvice:
    """Where to go now (`emergency`) and whom to call at the clinic (`line`, None when none is set); `where`:
    the patient's country as a sentence names it ("the United Kingdom"), None when it is not known."""

    emergency: Emergency
    line: UrgentLine | None
    where: str | None = None


def patient_country(patient: Patient, where: str | None = None) -> str | None:
    """Where the patient is: where they said they are now (`where`, at a check-in), else their region's
    country, else their phone number's."""
    country = country_of(where) or country_of(patient.region)
    if country is None and patient.phone:
        try:
            country = phonenumbers.region_code_for_number(phonenumbers.parse(patient.phone, None))
        except phonenumbers.NumberParseException:
            return None
    return country_of(country)


def format_line(number: str, *, configured_for: str | None, home: str | None) -> UrgentLine:
    """A configured number as the patient should read it: national when it is a number of their own country."""
    try:
        parsed = phonenumbers.parse(number, configured_for)
    except phonenumbers.NumberParseException:  # config refuses these; keep the raw text rather than nothing
        return UrgentLine(number, "+" + "".join(ch for ch in number if ch.isdigit()), None)
    tel = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    international = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    if home and phonenumbers.region_code_for_number(parsed) == home:
        return UrgentLine(phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL), tel, international)
    return UrgentLine(international, tel, None)


def advice_for(
    patient: Patient, lines: Mapping[str, str], fallback: str | None, *, where: str | None = None
) -> UrgentAdvice:
    """The urgent page's advice for this patient (`lines`: urgent numbers by country or region; `where`: the
    region they said they are in right now, which wins over their home)."""
    country = patient_country(patient, where)
    region = next((r for r in (where, patient.region) if r and country_of(r) == country), country)
    found = urgent_number(lines, fallback, region)
    line = format_line(found.number, configured_for=found.country, home=country) if found else None
    emergency = emergency_for(country)
    return UrgentAdvice(emergency, line, emergency.country if known_country(country) else None)
