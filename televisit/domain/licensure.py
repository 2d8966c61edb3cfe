"""Regions and licences: ISO 3166-2 for a US state (US-OH), ISO 3166-1 alpha-2 for a country (GB)."""

from __future__ import annotations

import re

_REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


def is_region(text: object) -> bool:
    """True for 'US-OH', 'GB', 'GB-ENG' shaped codes."""
    return isinstance(text, str) and bool(_REGION.fullmatch(text))


def covers(licenses: list[str] | tuple[str, ...] | frozenset[str], region: str) -> bool:
    """A licence covers its own region, and a country-wide licence covers that country's subdivisions."""
    if region in licenses:
        return True
    country = region.split("-", 1)[0]
    return "-" in region and country in licenses
