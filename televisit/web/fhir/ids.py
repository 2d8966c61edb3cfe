"""Ids of the resources the facade computes rather than stores: Schedule (one per clinician and site), Slot
(a free time of one clinician at one site for one visit type and mode) and a proposed Appointment from
`$find` (the same fields: `$hold` and `$book` take it back by reference).

A computed id is stable while the thing exists: it is made of what defines the slot, never of a position in
a list. FHIR ids are `[A-Za-z0-9\\-\\.]{1,64}`; these are dot-separated decimal fields with a kind prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from televisit.domain.errors import NotFound

MODES = {"v": "virtual", "p": "in_person"}
CODES = {mode: code for code, mode in MODES.items()}
_SLOT = re.compile(r"^(\d{1,9})\.(\d{1,9})\.(\d{1,9})\.([vp])\.(\d{12})$")
_SCHEDULE = re.compile(r"^(\d{1,9})\.(\d{1,9})$")
STAMP = "%Y%m%d%H%M"


@dataclass(frozen=True)
class SlotKey:
    """What defines a slot: who, where, which visit, how, and when (UTC, to the minute)."""

    clinician_id: int
    location_id: int
    visit_type_id: int
    mode: str
    start: datetime  # aware

    def id(self) -> str:
        """`<clinician>.<site>.<visit type>.<v|p>.<UTC yyyymmddHHMM>`, e.g. `12.3.5.v.202703011400`."""
        when = self.start.astimezone(UTC).strftime(STAMP)
        return f"{self.clinician_id}.{self.location_id}.{self.visit_type_id}.{CODES[self.mode]}.{when}"

    def proposed_id(self) -> str:
        """The id of the proposed Appointment `$find` answers for this slot."""
        return f"p.{self.id()}"


def slot_key(slot_id: str) -> SlotKey:
    """The key of a slot id; NotFound when it is not one (a FHIR read of an unknown id is a 404)."""
    m = _SLOT.match(slot_id or "")
    if not m:
        raise NotFound(f"No slot with id {slot_id!r}.")
    start = datetime.strptime(m.group(5), STAMP).replace(tzinfo=UTC)
    return SlotKey(int(m.group(1)), int(m.group(2)), int(m.group(3)), MODES[m.group(4)], start)


def proposed_key(appointment_id: str) -> SlotKey | None:
    """The slot of a proposed Appointment id (`p.<slot id>`), or None when the id is a stored appointment's."""
    if not (appointment_id or "").startswith("p."):
        return None
    return slot_key(appointment_id[2:])


def schedule_id(clinician_id: int, location_id: int) -> str:
    """`<clinician>.<site>`: one Schedule per clinician and site."""
    return f"{clinician_id}.{location_id}"


def schedule_key(value: str) -> tuple[int, int]:
    """(clinician id, site id) of a Schedule id; NotFound when it is not one."""
    m = _SCHEDULE.match(value or "")
    if not m:
        raise NotFound(f"No schedule with id {value!r}.")
    return int(m.group(1)), int(m.group(2))
