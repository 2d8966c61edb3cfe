"""Where a patient who reports red flags is sent: the emergency number and place, and the clinic's urgent
line, for where they are (their region: `GB`, `US-OH`). Pure; the numbers are formatted by the service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Emergency:
    """A country's emergency number, where to go, and the country's name as a sentence says it."""

    number: str
    place: str
    country: str


EMERGENCY = {
    "GB": Emergency("999", "A&E", "the United Kingdom"),
    "US": Emergency("911", "the nearest emergency department", "the United States"),
}
DEFAULT_COUNTRY = "US"  # the program's home; a patient with no known region is told 911, as before


def country_of(region: str | None) -> str | None:
    """The ISO 3166-1 country of a region code (`US-OH` -> `US`, `GB` -> `GB`); None when unknown."""
    country = (region or "").split("-", 1)[0].strip().upper()
    return country if len(country) == 2 and country.isalpha() and country.isascii() else None


def emergency_for(country: str | None) -> Emergency:
    """The emergency number and place for a country (the program's home country's when unknown)."""
    return EMERGENCY.get(country or "", EMERGENCY[DEFAULT_COUNTRY])


def known_country(country: str | None) -> bool:
    """True when the emergency number of `country` is known (not the home country's by default)."""
    return (country or "") in EMERGENCY


@dataclass(frozen=True)
class UrgentNumber:
    """A configured urgent line and the country it was configured for (None: the catch-all fallback)."""

    number: str
    country: str | None


def urgent_number(lines: Mapping[str, str], fallback: str | None, region: str | None) -> UrgentNumber | None:
    """The clinic's urgent line for a patient in `region`: configured for the region itself (`US-FL`), else
    for its country (`US`), else the catch-all `fallback`; None when there is none."""
    region = (region or "").strip().upper()
    country = country_of(region)
    for key in (region, country):
        if key and lines.get(key):
            return UrgentNumber(lines[key], country_of(key))
    return UrgentNumber(fallback, None) if fallback else None
