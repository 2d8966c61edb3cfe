"""How a time reads to a person, in their locale (en-US, en-GB), through Babel's CLDR data.

US readers get 12-hour times and month-first dates; British readers 24-hour, day-first. Babel is a pure
formatting library (CLDR data shipped in the package, no I/O, no clock), so it sits here beside zoneinfo; the
import-linter contracts forbid frameworks, databases and providers in the domain, not it.

Patients read their own clock first and the site's second, named by its city (`own_first`, `city_clock`):
never a bare IANA name, nor an abbreviation on its own. Messages and staff pages keep the site's clock with its
zone's abbreviation (`both_clocks`, `format_when`).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import dates as babel

from televisit.domain.timezones import to_local

US, UK = "en-US", "en-GB"
# CLDR's en_GB "yMMMEd" is "Mon, 8 Mar 2027" while its day without a year ("MMMEd") is "Mon 8 Mar": British
# dates here drop that comma so that a day reads the same with and without its year (as GOV.UK writes them).
DATE_PATTERNS = {UK: "EEE d MMM y"}
NARROW_SPACES = str.maketrans({"\u202f": " ", "\u2009": " "})  # CLDR's "9:00\u202fAM": keep SMS in GSM-7


def locale_for(region: str | None, zone_name: str | None) -> str:
    """en-US for US regions (or American zones when the region is unknown), else en-GB."""
    if region:
        return US if region.startswith("US") else UK
    return US if (zone_name or "").startswith("America/") else UK


def _cldr(locale: str) -> str:
    """Babel's name of one of our two locales (anything else reads as British)."""
    return "en_US" if locale == US else "en_GB"


def clock(instant: datetime, zone: ZoneInfo, locale: str) -> str:
    """The wall clock alone: '9:00 AM' (US) or '09:00' (UK)."""
    return babel.format_time(to_local(instant, zone), "short", locale=_cldr(locale)).translate(NARROW_SPACES)


def day_label(day: date, locale: str) -> str:
    """A local date without its year: 'Mon, Mar 8' (US) or 'Mon 8 Mar' (UK)."""
    return babel.format_skeleton("MMMEd", day, locale=_cldr(locale)).translate(NARROW_SPACES)


def date_label(day: date, locale: str) -> str:
    """A local date with its year: 'Mon, Mar 8, 2027' (US) or 'Mon 8 Mar 2027' (UK)."""
    pattern = DATE_PATTERNS.get(locale)
    if pattern:
        return babel.format_date(day, pattern, locale=_cldr(locale))
    return babel.format_skeleton("yMMMEd", day, locale=_cldr(locale)).translate(NARROW_SPACES)


def zone_label(zone: ZoneInfo, locale: str) -> str:
    """A zone as people name it: 'Eastern Time', 'British Time' (never the IANA name)."""
    return babel.get_timezone_name(zone, width="long", locale=_cldr(locale))


def format_time(instant: datetime, zone: ZoneInfo, locale: str) -> str:
    """'9:00 AM EST' (US) or '14:00 GMT' (UK): the clock and the zone's abbreviation at that instant."""
    return f"{clock(instant, zone, locale)} {to_local(instant, zone).tzname()}"


def format_date(instant: datetime, zone: ZoneInfo, locale: str) -> str:
    """'Mon, Mar 8, 2027' (US) or 'Mon 8 Mar 2027' (UK): the local date of `instant` in `zone`."""
    return date_label(to_local(instant, zone).date(), locale)


def format_when(instant: datetime, zone: ZoneInfo, locale: str) -> str:
    """Date and time in one zone."""
    return f"{format_date(instant, zone, locale)}, {format_time(instant, zone, locale)}"


def same_clock(instant: datetime, one: ZoneInfo, other: ZoneInfo) -> bool:
    """True when both zones show the same wall time (and name) at `instant`."""
    here, there = to_local(instant, one), to_local(instant, other)
    return here.utcoffset() == there.utcoffset() and here.tzname() == there.tzname()


def both_clocks(instant: datetime, site_zone: ZoneInfo, patient_zone: ZoneInfo, locale: str) -> str:
    """The site's time, and in brackets the patient's own when their zone shows a different clock (messages)."""
    site = format_when(instant, site_zone, locale)
    if same_clock(instant, site_zone, patient_zone):
        return site
    return f"{site} ({format_when(instant, patient_zone, locale)} your time)"


def city_clock(instant: datetime, own_zone: ZoneInfo, site_zone: ZoneInfo, city: str, locale: str) -> str | None:
    """The site's clock named by its city ('8:00 AM in Cleveland'), with its date when that is another day
    than the patient's; None when the patient's clock reads the same."""
    if same_clock(instant, own_zone, site_zone):
        return None
    here, there = to_local(instant, own_zone), to_local(instant, site_zone)
    at_site = clock(instant, site_zone, locale)
    if here.date() != there.date():
        at_site = f"{day_label(there.date(), locale)}, {at_site}"
    return f"{at_site} in {city}"


def own_first(instant: datetime, own_zone: ZoneInfo, site_zone: ZoneInfo, city: str, locale: str) -> str:
    """The patient's date and time first, the site's second by its city: 'Wed 3 Mar 2027, 13:00 your time
    (08:00 in Cleveland)'; 'Mon, Mar 8, 2027, 9:00 AM (your time, as in Cleveland)' when both clocks agree."""
    mine = f"{format_date(instant, own_zone, locale)}, {clock(instant, own_zone, locale)}"
    there = city_clock(instant, own_zone, site_zone, city, locale)
    return f"{mine} your time ({there})" if there else f"{mine} (your time, as in {city})"
