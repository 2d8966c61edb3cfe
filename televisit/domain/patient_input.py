"""What a patient types at sign-up and in their profile (pure): validation and the choices offered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import available_timezones

from televisit.domain.emergency import country_of, emergency_for
from televisit.domain.regions import CHOICES as REGION_CHOICES
from televisit.domain.timezones import is_zone
from televisit.domain.validation import has_control_characters, is_e164, is_email

MIN_PASSWORD = 10
COMMON_ZONES = (
    ("Europe/London", "United Kingdom (London)"),
    ("America/New_York", "US Eastern (New York, Ohio, Florida)"),
    ("America/Chicago", "US Central (Chicago)"),
    ("America/Denver", "US Mountain (Denver)"),
    ("America/Phoenix", "US Arizona (Phoenix)"),
    ("America/Los_Angeles", "US Pacific (Los Angeles)"),
    ("America/Anchorage", "US Alaska (Anchorage)"),
    ("Pacific/Honolulu", "US Hawaii (Honolulu)"),
)
REGION_CODES = frozenset(code for code, _ in REGION_CHOICES)
DEFAULT_ZONE = "America/New_York"


def other_zones() -> list[str]:
    """Every other IANA zone, sorted (for the 'all time zones' group)."""
    common = {z for z, _ in COMMON_ZONES}
    return sorted(z for z in available_timezones() if "/" in z and z not in common and not z.startswith("Etc/"))


@dataclass(frozen=True)
class Contact:
    """Zone, region, phone and contact preferences (profile and sign-up share these)."""

    timezone: str
    region: str
    phone: str | None
    sms_opt_in: bool
    email_opt_in: bool


@dataclass(frozen=True)
class SignUp:
    """A validated sign-up."""

    name: str
    email: str
    password: str
    contact: Contact


def _checked(form: Mapping, name: str) -> bool:
    return form.get(name) in ("on", "1", "true", "yes")


def parse_contact(form: Mapping) -> tuple[Contact, dict[str, str]]:
    """Contact details from a form, and field errors (empty when all is well)."""
    errors: dict[str, str] = {}
    zone = (form.get("timezone") or "").strip()
    region = (form.get("region") or "").strip()
    phone = "".join((form.get("phone") or "").split()) or None  # spaces people type are not part of E.164
    if not is_zone(zone):
        errors["timezone"] = "Choose your time zone from the list."
    if region not in REGION_CODES:
        errors["region"] = "Choose the US state or country where you live."
    if phone is not None and not is_e164(phone):
        errors["phone"] = "Enter a mobile number as you dial it at home, e.g. 07700 900123 or (216) 555-0123."
    contact = Contact(zone, region, phone, _checked(form, "sms_opt_in"), _checked(form, "email_opt_in"))
    if contact.sms_opt_in and phone is None and "phone" not in errors:
        errors["phone"] = "Add a mobile number to get text messages, or untick text messages."
    return contact, errors


def parse_signup(form: Mapping) -> tuple[SignUp | None, dict[str, str]]:
    """A sign-up from a form, or None and field errors."""
    name = (form.get("name") or "").strip()
    email = (form.get("email") or "").strip()
    password = form.get("password") or ""
    errors: dict[str, str] = {}
    if has_control_characters(name):  # NUL, escape, bidi overrides (PostgreSQL, logs): say so, not "too long"
        errors["name"] = "Your name must not contain control characters."
    elif not name or len(name) > 120:
        errors["name"] = "Enter your full name (up to 120 characters)."
    elif not name.isprintable():  # e.g. a non-breaking or zero-width space pasted in with it
        errors["name"] = "Your name must not contain invisible characters; please type it again."
    if not is_email(email):
        errors["email"] = "Enter an email address like name@example.com."
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"Use at least {MIN_PASSWORD} characters."
    elif len(password) > 200:
        errors["password"] = "Use at most 200 characters."
    contact, contact_errors = parse_contact(form)
    errors |= contact_errors
    return (None, errors) if errors else (SignUp(name, email, password, contact), {})


def emergency_number(region: str | None) -> str:
    """The emergency number where the patient lives: 999 in the UK, else 911."""
    return emergency_for(country_of(region)).number
