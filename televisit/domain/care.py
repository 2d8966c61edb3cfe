"""Finding care (pure): what a patient can ask for, times grouped by their own day, and refusals in plain words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from televisit.domain.errors import DomainError, Forbidden
from televisit.domain.formatting import city_clock, clock, date_label
from televisit.domain.regions import CHOICES as REGION_CHOICES
from televisit.domain.specialties import NAMES as SPECIALTY_NAMES
from televisit.domain.timezones import local_date, parse_date, parse_instant


@dataclass(frozen=True)
class Need:
    """Something a patient can book: `key` in URLs, the visit type it books, whether an intake comes first."""

    key: str
    label: str
    hint: str
    visit_type_name: str
    intake: bool


NEEDS = (
    Need(
        "new",
        "New consultation",
        "A first visit about a spine tumor or scan finding.",
        "New patient consultation",
        True,
    ),
    Need(
        "second-opinion", "Second opinion", "You have a diagnosis or plan: hear another view.", "Second opinion", True
    ),
    Need("follow-up", "Follow-up", "You are already under our care.", "Follow-up", False),
    Need("imaging", "Imaging review", "Go through your MRI or CT results (by video).", "Imaging review", False),
)
MODES = (("virtual", "Video visit"), ("in_person", "In person"))
NEEDS_INTAKE_UNTIL = ("booked", "checked_in", "in_visit", "completed")  # any such visit: no intake needed


class IntakeRequired(Forbidden):
    """A first consultation or second opinion needs the intake questions answered first."""

    code = "intake_required"


class UrgentOpen(Forbidden):
    """Red flags in the intake: routine booking is stopped until the team has been in touch."""

    code = "urgent"


def need_for(key: str | None) -> Need | None:
    """The need with this key, or None."""
    return next((n for n in NEEDS if n.key == key), None)


@dataclass(frozen=True)
class CareQuery:
    """What the patient is looking for: the need, video or in person, which site, where they will be, and
    optionally which specialty or which clinician (`seen_by`)."""

    need: Need
    mode: str
    location_id: int | None = None
    region: str | None = None
    specialty: str | None = None
    seen_by: int | None = None

    def params(self, pick: Pick | None = None) -> dict:
        """The query (and a picked time) as URL parameters, for links and forms that keep it."""
        out = {"need": self.need.key, "mode": self.mode}
        if self.location_id:
            out["site"] = self.location_id
        if self.region:
            out["region"] = self.region
        if self.specialty:
            out["specialty"] = self.specialty
        if self.seen_by:
            out["seen_by"] = self.seen_by
        return out | (pick.params() if pick else {})


def _id(text: object) -> int | None:
    return int(text) if isinstance(text, str) and text.isdigit() and 0 < int(text) < 2**31 else None


def _optional_id(args: Mapping, name: str, errors: dict, message: str) -> int | None:
    text = args.get(name) or ""
    found = _id(text)
    if text and found is None:
        errors[name] = message
    return found


def parse_care(args: Mapping, default_region: str | None) -> tuple[CareQuery | None, dict[str, str]]:
    """A care query from URL parameters, or None and field errors."""
    errors: dict[str, str] = {}
    need = need_for(args.get("need"))
    mode = args.get("mode") or ""
    if need is None:
        errors["need"] = "Choose what you need."
    if mode not in dict(MODES):
        errors["mode"] = "Choose a video visit or in person."
    location_id = _optional_id(args, "site", errors, "Choose a site from the list.")
    region = (args.get("region") or default_region or "") if mode == "virtual" else ""
    if mode == "virtual" and region not in dict(REGION_CHOICES):
        errors["region"] = "Choose where you will be during the video visit."
    specialty = args.get("specialty") or None
    if specialty is not None and specialty not in SPECIALTY_NAMES:
        errors["specialty"] = "Choose a specialty from the list."
    seen_by = _optional_id(args, "seen_by", errors, "Choose a clinician from the list.")
    if errors:
        return None, errors
    return CareQuery(need, mode, location_id, region or None, specialty, seen_by), {}


@dataclass(frozen=True)
class Window:
    """Which times a find-care page shows: from a local date the patient chose (`first`), or after the last
    time of the previous page (`after`); neither: the first free times."""

    first: date | None = None
    after: datetime | None = None


def parse_window(args: Mapping) -> tuple[Window, dict[str, str]]:
    """The page's window from `from` (YYYY-MM-DD, the date picker) and `after` (an instant, the "later times"
    link); a malformed date is a field error, a malformed `after` is ignored (the first times are shown)."""
    first_text, after_text = args.get("from") or "", args.get("after") or ""
    first = after = None
    errors = {}
    if first_text:
        try:
            first = parse_date(first_text)
        except ValueError:
            errors["from"] = "Enter a date as day, month and year, or leave it empty for the first free times."
    if after_text:
        try:
            after = parse_instant(after_text)
        except ValueError:
            after = None
    return Window(first, after), errors


@dataclass(frozen=True)
class Pick:
    """The time a patient picked: whose, where and when."""

    clinician_id: int
    location_id: int
    start: datetime

    def params(self) -> dict:
        """The pick as URL parameters."""
        return {"clinician": self.clinician_id, "location": self.location_id, "start": self.start.isoformat()}


def parse_pick(args: Mapping) -> Pick | None:
    """The picked time from parameters, or None when anything is missing or malformed."""
    clinician_id, location_id = _id(args.get("clinician")), _id(args.get("location"))
    try:
        start = parse_instant(args.get("start") or "")
    except ValueError:
        return None
    if clinician_id is None or location_id is None:
        return None
    return Pick(clinician_id, location_id, start)


@dataclass(frozen=True)
class ChosenStep:
    """One step of a clinic day the patient chose: when, who attends (the lead first), where, how, what it holds."""

    start: datetime
    clinician_ids: tuple[int, ...]
    location_id: int
    mode: str
    resource_ids: tuple[int, ...]


def step_value(start: datetime, clinician_ids, location_id: int, mode: str, resource_ids) -> str:
    """A chosen step as one form value: 'start|clinicians|site|mode|resources' (ids comma-separated)."""
    ids = ",".join(map(str, clinician_ids)), ",".join(map(str, resource_ids))
    return "|".join((start.isoformat(), ids[0], str(location_id), mode, ids[1]))


def _ids(text: str) -> tuple[int, ...] | None:
    parts = [_id(p) for p in text.split(",")] if text else []
    return None if None in parts else tuple(parts)


def parse_step(value: object) -> ChosenStep | None:
    """A step from its form value, or None when anything is missing or malformed."""
    parts = value.split("|") if isinstance(value, str) else []
    if len(parts) != 5 or parts[3] not in dict(MODES):
        return None
    try:
        start = parse_instant(parts[0])
    except ValueError:
        return None
    clinicians, site, resources = _ids(parts[1]), _id(parts[2]), _ids(parts[4])
    if not clinicians or site is None or resources is None:
        return None
    return ChosenStep(start, clinicians, site, parts[3], resources)


@dataclass(frozen=True)
class TimeLabel:
    """How one start reads: the patient's own clock, and the site's named by its city when it shows a different
    time ('08:00 in Cleveland', with its date when that is another day)."""

    own: str
    site: str | None


def time_label(instant: datetime, own_zone: ZoneInfo, site_zone: ZoneInfo, city: str, locale: str) -> TimeLabel:
    """The patient's time; the site's too, by its city, when the clocks differ."""
    return TimeLabel(clock(instant, own_zone, locale), city_clock(instant, own_zone, site_zone, city, locale))


def own_clock_first(instant: datetime, own_zone: ZoneInfo, site_zone: ZoneInfo, city: str, locale: str) -> str:
    """The patient's clock first, the site's second named by its city ('13:00 your time (08:00 in Cleveland)');
    one clock alone when both read the same."""
    label = time_label(instant, own_zone, site_zone, city, locale)
    return f"{label.own} your time ({label.site})" if label.site else label.own


# What to bring, by the kind of room or machine a visit holds: practical words only, nothing clinical.
PREPARATION = {
    "mri": "Please arrive 15 minutes early; leave metal objects at home; bring any previous scans.",
}


def preparation(resource_kinds) -> str | None:
    """The note for a visit that holds these kinds of resource (None: nothing to prepare)."""
    notes = [PREPARATION[k] for k in resource_kinds or () if k in PREPARATION]
    return " ".join(notes) or None


def day_heading(day: date, locale: str) -> str:
    """'Mon, Mar 8, 2027' (US) or 'Mon 8 Mar 2027' (UK) for a local date."""
    return date_label(day, locale)


def by_day(items: list, start_of, zone: ZoneInfo) -> list[tuple[date, list]]:
    """`items` (sorted by start) grouped by the local date of `start_of(item)` in `zone`."""
    return [(day, list(group)) for day, group in groupby(items, key=lambda i: local_date(start_of(i), zone))]


# Refusals, by DomainError reason (slot problems) or code, in the words a patient reads.
REASON_TEXT = {
    "taken": "Sorry, someone has just booked that time. Here are the times that are free now.",
    "too_soon": "That time is too soon to book online: this visit needs more notice. Please choose a later time.",
    "too_far": "That time is too far ahead to book yet. Please choose an earlier time.",
    "not_licensed": (
        "This clinician can't see you by video where you'll be: they are not licensed in your region. "
        "Choose another time below, or an in-person visit."
    ),
    "outside_hours": "That time is no longer offered. Please choose one of the times below.",
    "time_off": "The clinician is away at that time. Please choose another time.",
    "not_offered": "That clinician does not offer this kind of visit. Please choose one of the times below.",
    "mode_not_offered": "This visit is not offered that way. Please choose video or in person again.",
    "closed": "The clinic is closed that day. Please choose another day.",
    "no_team": "Not all of the care team is free at that time any more. Please choose another time.",
    "no_resource": "The room or equipment this visit needs is no longer free then. Please choose another time.",
}
CODE_TEXT = {
    "conflict": None,  # its own message says what state the visit is in
    "not_found": "We couldn't find that appointment.",
    "forbidden": "You can't do that for this appointment.",
    "invalid": "Some details were missing or wrong; please check and try again.",
}


def refusal_text(exc: DomainError) -> str:
    """A friendly sentence for a refused booking, move or cancel."""
    if exc.reason in REASON_TEXT:
        return REASON_TEXT[exc.reason]
    if exc.code == "invalid" and "patient_region" in exc.fields:
        return "For a video visit, tell us where you will be (your state or country)."
    return CODE_TEXT.get(exc.code) or exc.message
