"""Earlier-slot offers: patients wait for an earlier time for their booked visit; freed time is offered.

* A cancel or a move records the freed time (a FreedSlot) in the same transaction.
* The jobs process offers each freed slot to up to OFFERS_PER_SLOT waiting patients, in the order
  they joined, whose visit is of the same type and later, and who could book that slot.
* The first to accept (SMS reply Y, or the link) gets it: their own appointment is moved there
  (same id, sequence + 1), guarded by the database like every booking. The others are told it is gone.
  Nobody's appointment changes until they accept.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.errors import Conflict, DomainError, Invalid
from televisit.domain.formatting import both_clocks, locale_for
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone
from televisit.models import Appointment, FreedSlot, Location, OutboxMessage, SlotOffer, VisitType, WaitlistEntry
from televisit.services import outbox as ob
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest, check_slot
from televisit.services.messaging import links

OFFERS_PER_SLOT = 3
OFFER_HOURS = 12


def join(session: Session, appointment_id: int, *, actor: Actor, now: datetime) -> WaitlistEntry:
    """Ask for an earlier slot for this booked, future appointment (idempotent)."""
    appt = booking.get_visible(session, appointment_id, actor)
    if appt.status != st.BOOKED or appt.start_at <= now:
        raise Conflict("Only a booked, upcoming appointment can wait for an earlier slot.")
    booking.require_alone(appt)
    notice = session.get(VisitType, appt.visit_type_id).min_notice_minutes
    if not st.can_wait_for_earlier(appt.start_at, now, notice):
        raise st.InsideNotice(st.INSIDE_NOTICE)
    entry = session.scalars(select(WaitlistEntry).where(WaitlistEntry.appointment_id == appt.id)).first()
    if entry is None:
        entry = WaitlistEntry(appointment_id=appt.id, patient_id=appt.patient_id, created_at=now)
        session.add(entry)
    entry.status = "waiting"
    session.commit()
    return entry


def leave(session: Session, appointment_id: int, *, actor: Actor) -> None:
    """Stop waiting for an earlier slot."""
    appt = booking.get_visible(session, appointment_id, actor)
    entry = session.scalars(select(WaitlistEntry).where(WaitlistEntry.appointment_id == appt.id)).first()
    if entry is not None:
        entry.status = "withdrawn"
        session.commit()


def _candidates(session: Session, freed: FreedSlot) -> list[tuple[WaitlistEntry, Appointment]]:
    rows = session.execute(
        select(WaitlistEntry, Appointment)
        .join(Appointment, Appointment.id == WaitlistEntry.appointment_id)
        .where(
            WaitlistEntry.status == "waiting",
            Appointment.status == st.BOOKED,
            Appointment.visit_type_id == freed.visit_type_id,
            Appointment.start_at > freed.start_at,
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    ).all()
    return [(e, a) for e, a in rows]


def _bookable_for(session: Session, freed: FreedSlot, appt: Appointment, now: datetime) -> bool:
    req = SlotRequest(
        freed.visit_type_id,
        freed.clinician_id,
        freed.location_id,
        freed.mode,
        freed.start_at,
        appt.patient_region or appt.patient.region,
    )
    try:
        check_slot(session, req, now=now, exclude_appointment_id=appt.id)
    except DomainError:
        return False
    return True


def _offer(session: Session, freed: FreedSlot, entry: WaitlistEntry, now: datetime) -> SlotOffer:
    offer = SlotOffer(
        freed_slot_id=freed.id,
        waitlist_entry_id=entry.id,
        status="open",
        created_at=now,
        expires_at=min(now + timedelta(hours=OFFER_HOURS), freed.start_at),
    )
    session.add(offer)
    session.flush()
    _notify(session, offer, entry, "offer", now)
    return offer


def _notify(session: Session, offer: SlotOffer, entry: WaitlistEntry, rule: str, now: datetime) -> None:
    """Queue the offer (rule 'offer') or its 'taken' notice (rule 'offer-gone') on the patient's channels."""
    patient = session.get(Appointment, entry.appointment_id).patient
    kind = rule.removeprefix("offer-") if rule != "offer" else "offer"
    for channel in sorted(ob.channels_for(session, patient)):
        ob.enqueue(
            session,
            key=f"offer{offer.id}:{kind}:{channel}",
            rule=rule,
            channel=channel,
            due=now,
            now=now,
            patient_id=patient.id,
            payload=json.dumps({"offer_id": offer.id}),
        )


def expire_offers(session: Session, *, now: datetime) -> int:
    """Mark open offers past their time as expired (accept() refuses them anyway); returns how many."""
    result = session.execute(
        update(SlotOffer).where(SlotOffer.status == "open", SlotOffer.expires_at <= now).values(status="expired")
    )
    session.commit()
    return result.rowcount or 0


def process_freed_slots(session: Session, *, now: datetime, secret: str | None = None) -> dict[str, int]:
    """Expire stale offers, then offer every unprocessed freed slot; returns counts."""
    counts = {"slots": 0, "offers": 0, "expired": expire_offers(session, now=now)}
    for freed in session.scalars(select(FreedSlot).where(FreedSlot.processed_at.is_(None))).all():
        made = 0
        if freed.start_at > now:
            for entry, appt in _candidates(session, freed):
                if made >= OFFERS_PER_SLOT:
                    break
                if _bookable_for(session, freed, appt, now):
                    _offer(session, freed, entry, now)
                    made += 1
        freed.processed_at = now
        session.commit()
        counts["slots"] += 1
        counts["offers"] += made
    return counts


def accept(session: Session, offer_id: int, *, patient_id: int, now: datetime) -> Appointment:
    """Take an offered slot: move the patient's appointment there, atomically; others are told it is gone."""
    offer = session.get(SlotOffer, offer_id)
    entry = session.get(WaitlistEntry, offer.waitlist_entry_id) if offer else None
    if offer is None or entry is None or entry.patient_id != patient_id:
        raise Invalid({"offer": "no such offer"})
    current = _lock_and_reread(session, offer, entry)
    if offer.status == "accepted":
        raise Conflict("You have already taken this earlier time; your appointment has moved.")
    if offer.status != "open" or offer.expires_at <= now:
        raise Conflict("Sorry, that earlier time has already been taken or the offer has expired.")
    freed = session.get(FreedSlot, offer.freed_slot_id)
    if freed.start_at >= current.start_at:  # e.g. they took another, earlier offer meanwhile
        raise Conflict("Your appointment is already at an earlier time than this offer; it is unchanged.")
    actor = Actor(0, "patient", patient_id)
    move = booking.MoveRequest(
        start=freed.start_at, clinician_id=freed.clinician_id, location_id=freed.location_id, mode=freed.mode
    )
    try:
        appt = booking.reschedule(
            session,
            entry.appointment_id,
            move,
            actor=actor,
            now=now,
            before_commit=lambda a: _settle(session, offer, freed, entry, a, now),
        )
    except DomainError:
        _mark_gone(session, offer, now)
        raise Conflict("Sorry, that earlier time has just been taken. Your appointment is unchanged.") from None
    return appt


def _lock_and_reread(session: Session, offer: SlotOffer, entry: WaitlistEntry) -> Appointment:
    """Lock the accepter's appointment, then re-read their offer: a second acceptance by the same
    patient (link and reply at once) waits here and then sees the first, instead of moving again."""
    stmt = select(Appointment).where(Appointment.id == entry.appointment_id).with_for_update(of=Appointment)
    appt = session.scalars(stmt.execution_options(populate_existing=True)).one()
    session.refresh(offer)
    return appt


def _settle(
    session: Session, offer: SlotOffer, freed: FreedSlot, entry: WaitlistEntry, appt: Appointment, now: datetime
) -> None:
    offer.status, entry.status, freed.taken_by_appointment_id = "accepted", "done", appt.id
    others = session.scalars(
        select(SlotOffer).where(
            SlotOffer.freed_slot_id == freed.id, SlotOffer.id != offer.id, SlotOffer.status == "open"
        )
    ).all()
    for other in others:
        _mark_gone(session, other, now, commit=False)


def _mark_gone(session: Session, offer: SlotOffer, now: datetime, *, commit: bool = True) -> None:
    if offer.status == "open":
        offer.status = "gone"
        _notify(session, offer, session.get(WaitlistEntry, offer.waitlist_entry_id), "offer-gone", now)
    if commit:
        session.commit()


def open_offer_for_phone(session: Session, phone: str, *, now: datetime) -> SlotOffer | None:
    """The offer an SMS reply Y answers: the newest open one sent to this number; else the newest
    recent one that is gone or expired, so that a late Y hears "already taken", not a help text."""
    from televisit.models import Patient

    stmt = (
        select(SlotOffer)
        .join(WaitlistEntry, WaitlistEntry.id == SlotOffer.waitlist_entry_id)
        .join(Patient, Patient.id == WaitlistEntry.patient_id)
        .where(Patient.phone == phone)
        .order_by(SlotOffer.created_at.desc(), SlotOffer.id.desc())
    )
    live = session.scalars(stmt.where(SlotOffer.status == "open", SlotOffer.expires_at > now)).first()
    recent = SlotOffer.created_at > now - timedelta(hours=2 * OFFER_HOURS)
    late = SlotOffer.status.in_(("open", "gone", "expired"))
    return live or session.scalars(stmt.where(late, recent)).first()


def build_offer_message(session: Session, settings, msg: OutboxMessage):
    """The SMS or email for an offer (or its 'gone' notice); None when the offer is no longer open."""
    from televisit.adapters.base import OutgoingEmail, OutgoingSMS
    from televisit.services.messaging.messages import message_id_for, render_email, render_sms

    offer = session.get(SlotOffer, json.loads(msg.payload or "{}").get("offer_id", 0))
    if offer is None or (msg.rule == "offer" and offer.status != "open"):
        return None
    ctx = offer_context(session, settings, offer)
    template = "offer" if msg.rule == "offer" else "offer_gone"
    if msg.channel == "sms":
        return OutgoingSMS(
            ctx["phone"], render_sms(template, ctx), f"{settings.public_url}/webhooks/twilio/status?o={msg.id}"
        )
    subject, text, html = render_email(template, ctx)
    return OutgoingEmail(ctx["email"], subject, text, html, message_id_for(msg, settings))


def offer_context(session: Session, settings, offer: SlotOffer) -> dict:
    """What the offer templates show."""
    freed = session.get(FreedSlot, offer.freed_slot_id)
    entry = session.get(WaitlistEntry, offer.waitlist_entry_id)
    appt = session.get(Appointment, entry.appointment_id)
    patient, loc = appt.patient, session.get(Location, freed.location_id)
    locale = patient.locale or locale_for(patient.region, patient.timezone)
    when = both_clocks(freed.start_at, get_zone(loc.timezone), get_zone(patient.timezone), locale)
    current = both_clocks(appt.start_at, get_zone(appt.location.timezone), get_zone(patient.timezone), locale)
    link = links.url(
        settings.public_url, settings.secret, "offer", appt.id, appt.sequence, offer.expires_at, offer_id=offer.id
    )
    return {
        "org": settings.org_name,
        "when": when,
        "current": current,
        "link": link,
        "phone": patient.phone,
        "email": patient.email,
        "patient_name": patient.name,
        "place": "video visit" if freed.mode == "virtual" else f"{loc.name}, {loc.city}",
    }
