"""How a time reads to a person: the site's clock with its abbreviation, and the patient's when different.

US readers get 12-hour times and month-first dates; everyone else 24-hour, day-first.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from televisit.domain.timezones import to_local

US, UK = "en-US", "en-GB"


def locale_for(region: str | None, zone_name: str | None) -> str:
    """en-US for US regions (or American zones when the region is unknown), else en-GB."""
    if region:
        return US if region.startswith("US") else UK
    return US if (zone_name or "").startswith("America/") else UK


def format_time(instant: datetime, zone: ZoneInfo, locale: str) -> str:
    """'9:00 AM EST' (US) or '14:00 GMT' (UK)."""
    local = to_local(instant, zone)
    if locale == US:
        clock = local.strftime("%I:%M %p").lstrip("0")
    else:
        clock = local.strftime("%H:%M")
    return f"{clock} {local.tzname()}"


def format_date(instant: datetime, zone: ZoneInfo, locale: str) -> str:
    """'Mon, Mar 8, 2027' (US) or 'Mon 8 Mar 2027' (UK)."""
    local = to_local(instant, zone)
    if locale == US:
        return f"{local:%a}, {local:%b} {local.day}, {local.year}"
    return f"{local:%a} {local.day} {local:%b} {local.year}"


def format_when(instant: datetime, zone: ZoneInfo, locale: str) -> str:
    """Date and time in one zone."""
    return f"{format_date(instant, zone, locale)}, {format_time(instant, zone, locale)}"


def both_clocks(instant: datetime, site_zone: ZoneInfo, patient_zone: ZoneInfo, locale: str) -> str:
    """The site's time, and in brackets the patient's own when their zone shows a different clock."""
    site = format_when(instant, site_zone, locale)
    here, there = to_local(instant, site_zone), to_local(instant, patient_zone)
    if here.utcoffset() == there.utcoffset() and here.tzname() == there.tzname():
        return site
    return f"{site} ({format_when(instant, patient_zone, locale)} your time)"
