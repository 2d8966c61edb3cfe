"""Field errors as sentences a person reads on a page: never a field key ("location id: required").

The API keeps its machine-readable `fields` (API.md); pages turn each (key, message) into one sentence that
names the field as the form's label does ("Please choose the site."). A message that is a sentence already
(it starts with a capital and ends with a full stop) is kept as it is.
"""

from __future__ import annotations

import re

CHOOSE, ENTER = "choose", "enter"

# field key -> (what a person calls it, how it is given: picked from a list or typed)
LABELS: dict[str, tuple[str, str]] = {
    "location_id": ("the site", CHOOSE),
    "clinician_id": ("the clinician", CHOOSE),
    "clinician_ids": ("the clinicians", CHOOSE),
    "visit_type_id": ("the visit type", CHOOSE),
    "visit_type_ids": ("the visit types", CHOOSE),
    "resource_ids": ("the rooms or machines", CHOOSE),
    "pathway_id": ("the clinic day", CHOOSE),
    "patient_id": ("the patient", CHOOSE),
    "user_id": ("the user", CHOOSE),
    "mode": ("video or in person", CHOOSE),
    "modes": ("video, in person or both", CHOOSE),
    "patient_region": ("where the patient will be", CHOOSE),
    "region": ("the state or country", CHOOSE),
    "timezone": ("the time zone", CHOOSE),
    "tz": ("the time zone", CHOOSE),
    "weekday": ("the day of the week", CHOOSE),
    "view": ("day or week", CHOOSE),
    "by": ("clinicians or rooms and machines", CHOOSE),
    "specialty": ("the specialty", CHOOSE),
    "role": ("the role", CHOOSE),
    "kind": ("the kind", ENTER),
    "affected": ("what happens to the booked visits", CHOOSE),
    "active": ("whether the account is active", CHOOSE),
    "start": ("the start time", ENTER),
    "end": ("the end time", ENTER),
    "first_start": ("the first visit's start", ENTER),
    "date": ("the date", ENTER),
    "from": ("the first date", ENTER),
    "to": ("the last date", ENTER),
    "start_date": ("the start date", ENTER),
    "start_time": ("the start time", ENTER),
    "end_date": ("the end date", ENTER),
    "end_time": ("the end time", ENTER),
    "time": ("the time", ENTER),
    "reason": ("the reason", ENTER),
    "name": ("the name", ENTER),
    "email": ("the email address", ENTER),
    "phone": ("the mobile phone number", ENTER),
    "password": ("the password", ENTER),
    "city": ("the city", ENTER),
    "country": ("the country", ENTER),
    "description": ("the description", ENTER),
    "duration_minutes": ("the length in minutes", ENTER),
    "buffer_before_minutes": ("the minutes kept free before", ENTER),
    "buffer_after_minutes": ("the minutes kept free after", ENTER),
    "min_notice_minutes": ("the minimum notice", ENTER),
    "max_advance_days": ("how far ahead it can be booked", ENTER),
    "min_gap_minutes": ("the shortest gap between steps", ENTER),
    "max_gap_minutes": ("the longest gap between steps", ENTER),
    "count": ("the number of visits", ENTER),
    "pattern": ("the pattern", ENTER),
    "licenses": ("the licences", ENTER),
    "reminder_policy": ("the reminders", ENTER),
    "steps": ("the steps", ENTER),
    "rules": ("the weekly hours", ENTER),
    "team_specialties": ("the specialties of the team", CHOOSE),
    "resource_kinds": ("the kinds of room or machine", ENTER),
    "note": ("the note", ENTER),
    "resolution": ("the resolution note", ENTER),
}
GROUPS = {"rules": "window", "steps": "step", "hours": "row", "fractions": "fraction"}
_NESTED = re.compile(r"^(?P<group>[a-z_]+)(?:\[(?P<i>\d+)\]\.|-(?P<j>\d+)-)(?P<key>.+)$")
_AT_MOST = re.compile(r"^at most (\d+) characters$")


def label(key: str) -> tuple[str, str]:
    """What a person calls the field `key` ("rules[0].end" -> "the end time in window 1"), and how it is given."""
    nested = _NESTED.match(key)
    if nested:
        inner, how = label(nested["key"])
        index = int(nested["i"] or nested["j"]) + 1
        return f"{inner} in {GROUPS.get(nested['group'], nested['group'].replace('_', ' '))} {index}", how
    if key in LABELS:
        return LABELS[key]
    words = key.removesuffix("_id").removesuffix("_ids").replace("_", " ").strip() or "this field"
    return f"the {words}", ENTER


def is_sentence(message: str) -> bool:
    """True when `message` already reads as a sentence (a capital first, a full stop or ? or ! last)."""
    text = message.strip()
    return bool(text) and text[0].isupper() and text[-1] in ".?!"


def sentence(key: str, message: str) -> str:
    """One sentence for a field's error, naming the field in words."""
    if is_sentence(message):
        return message.strip()
    name, how = label(key)
    text = message.strip().rstrip(".")
    if text in ("required", "expected text", ""):
        return f"Please {how} {name}."
    if text in ("expected a whole number", "invalid") or text.startswith("one of "):
        return f"Please choose {name} from the list." if how == CHOOSE else f"Please check {name}: it is not valid."
    if text.startswith("expected "):
        shape = text.removeprefix("expected ")
        return f"Please choose {name}." if how == CHOOSE else f"Please enter {name} as {shape}."
    if text.startswith("must "):
        return _capital(f"{name} {text}.")
    if m := _AT_MOST.match(text):
        return _capital(f"{name} can be at most {m[1]} characters long.")
    return f"Please check {name}: {text}."


def sentences(fields: dict[str, str] | None) -> dict[str, str]:
    """Every field error as a sentence, keyed as before (so each still sits next to its field)."""
    return {key: sentence(key, str(message)) for key, message in (fields or {}).items()}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
