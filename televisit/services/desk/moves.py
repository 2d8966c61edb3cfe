"""A move made on the desk's grid: what the scheduler confirms before it is saved (patient, old and new time, in
the grid's zone with the patient's own beside it), checked by the same code as the move itself
(`booking.check_move`); the move is `booking.reschedule`, which plans the patient's message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain.formatting import format_when
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone
from televisit.services.booking import appointments as booking
from televisit.services.desk.calendar import MODE_TEXT, names
from televisit.services.desk.grid import patient_clock


@dataclass(frozen=True)
class MovePlan:
    """The words of the confirmation: who, from when (and with whom) to when (and with whom)."""

    appointment_id: int
    patient: str
    was: str
    becomes: str
    patient_becomes: str | None  # the patient's own clock, when it reads differently
    was_with: str
    becomes_with: str
    location: str
    mode: str
    notice: str


def plan(
    session: Session,
    appointment_id: int,
    move: booking.MoveRequest,
    *,
    zone_name: str | None,
    actor: Actor,
    now: datetime,
    locale: str,
) -> MovePlan:
    """The confirmation for moving the visit as `move` asks (nothing is written); the refusal the move would
    meet otherwise (SlotUnavailable, PartOfWhole, Conflict)."""
    appt, slot = booking.check_move(session, appointment_id, move, actor=actor, now=now)
    zone = get_zone(zone_name or appt.location.timezone)
    known = names(session)["clinicians"]
    return MovePlan(
        appointment_id=appt.id,
        patient=appt.patient.name,
        was=format_when(appt.start_at, zone, locale),
        becomes=format_when(slot.start, zone, locale),
        patient_becomes=patient_clock(slot.start, zone, appt.patient.timezone, locale),
        was_with=" + ".join(known.get(c, "?") for c in appt.attending_ids),
        becomes_with=" + ".join(known.get(c, "?") for c in slot.attending),
        location=appt.location.name,
        mode=MODE_TEXT.get(slot.mode, slot.mode),
        notice=f"{appt.patient.name} will get a message with the new time.",
    )
