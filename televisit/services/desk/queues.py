"""The schedulers' waitlist for earlier slots (the urgent queue is in desk/urgent.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.formatting import format_when, locale_for
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone
from televisit.models import Appointment, FreedSlot, Location, SlotOffer, WaitlistEntry
from televisit.services.desk.calendar import Entry, entry, names

OFFER_STATUS = {"open": "offered, waiting for a reply", "accepted": "accepted", "gone": "taken by someone else"}


@dataclass(frozen=True)
class Waiting:
    """One waiting patient: their booked visit and the earlier times offered so far."""

    entry_id: int
    since: str
    visit: Entry
    offers: list[str]


def _offers(session: Session, entry_id: int, locs: dict[int, Location]) -> list[str]:
    rows = session.execute(
        select(SlotOffer, FreedSlot)
        .join(FreedSlot, FreedSlot.id == SlotOffer.freed_slot_id)
        .where(SlotOffer.waitlist_entry_id == entry_id)
        .order_by(SlotOffer.id)
    ).all()
    out = []
    for offer, freed in rows:
        loc = locs[freed.location_id]
        when = format_when(freed.start_at, get_zone(loc.timezone), locale_for(loc.region, loc.timezone))
        out.append(f"{when}: {OFFER_STATUS.get(offer.status, offer.status)}")
    return out


def waiting(session: Session, *, locale: str, actor: Actor) -> list[Waiting]:
    """Every waiting entry whose appointment is still booked, longest waiting first."""
    rows = session.execute(
        select(WaitlistEntry, Appointment)
        .join(Appointment, Appointment.id == WaitlistEntry.appointment_id)
        .where(WaitlistEntry.status == "waiting", Appointment.status == "booked")
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    ).all()
    known, locs = names(session), {loc.id: loc for loc in session.scalars(select(Location))}
    out = []
    for e, a in rows:
        zone = get_zone(a.patient.timezone)
        out.append(
            Waiting(
                e.id,
                format_when(e.created_at, zone, locale),
                entry(a, None, locale, known),
                _offers(session, e.id, locs),
            )
        )
    return out
