"""Inbound SMS replies: C confirms, R sends the reschedule link, Y takes an offered earlier slot,
STOP/START/HELP keep our own opt-out state, anything else gets a short help text."""

from __future__ import annotations

import string
from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.errors import DomainError
from televisit.models import Appointment, Patient
from televisit.services.messaging import links, receipts, waitlist
from televisit.services.messaging.dispatch import mark_phone

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
START_WORDS = {"START", "UNSTOP", "YES"}
HELP_WORDS = {"HELP", "INFO"}
PUNCTUATION = string.punctuation + "\u2018\u2019\u201c\u201d\u00a1\u00bf\u2026"  # phones type curly quotes


def keyword(body: object) -> str:
    """The reply's keyword: its first word, upper-cased, punctuation trimmed."""
    if not isinstance(body, str):
        return ""
    words = body.strip().split()
    return words[0].strip(PUNCTUATION).upper() if words else ""


def _next_appointment(session: Session, phone: str, now: datetime) -> Appointment | None:
    return session.scalars(
        select(Appointment)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(Patient.phone == phone, Appointment.status == st.BOOKED, Appointment.start_at > now)
        .order_by(Appointment.start_at)
    ).first()


def handle_once(session: Session, sid: str, phone: str, body: object, **kw) -> str | None:
    """`handle` the text Twilio calls `sid`, unless it was handled already (a replay or a second delivery:
    then None, and nothing changes). `kw`: as for `handle`."""
    return receipts.once(session, sid, receipts.INBOUND, now=kw["now"], act=partial(handle, session, phone, body, **kw))


def handle(
    session: Session, phone: str, body: object, *, now: datetime, org: str, public_url: str, secret: str
) -> str | None:
    """The text to answer with (None: answer nothing, e.g. after STOP, which Twilio confirms itself)."""
    word = keyword(body)
    if word in STOP_WORDS:
        mark_phone(session, phone, now=now, opted_out=True, reason=f"reply {word}")
        session.commit()
        return None
    offer = waitlist.open_offer_for_phone(session, phone, now=now) if word in ("Y", "YES") else None
    if offer is not None:
        return _accept(session, offer, org, now)
    if word in START_WORDS:
        mark_phone(session, phone, now=now, opted_out=False, reason=f"reply {word}")
        session.commit()
        return f"{org}: you will get text reminders again. Reply STOP to stop."
    if word in ("C", "R"):
        return _about_next(session, phone, word, now=now, org=org, public_url=public_url, secret=secret)
    return help_text(org)


def help_text(org: str) -> str:
    """The short help answer."""
    return (
        f"{org}: reply C to confirm your next appointment, R for a link to reschedule it, "
        "STOP to stop texts. For urgent symptoms call your care team or emergency services."
    )


def _about_next(session: Session, phone: str, word: str, *, now, org, public_url, secret) -> str:
    appt = _next_appointment(session, phone, now)
    if appt is None:
        return f"{org}: we found no upcoming appointment for this number. " + help_text(org).split(": ", 1)[1]
    if word == "C":
        appt.confirmed_at = appt.confirmed_at or now
        session.commit()
        return f"{org}: thank you, your appointment is confirmed."
    link = links.url(public_url, secret, "reschedule", appt.id, appt.sequence, appt.end_at + links.AFTER_VISIT)
    return f"{org}: choose a new time here: {link}"


def _accept(session: Session, offer, org: str, now: datetime) -> str:
    entry_patient = offer.waitlist_entry_id
    try:
        from televisit.models import WaitlistEntry

        entry = session.get(WaitlistEntry, entry_patient)
        waitlist.accept(session, offer.id, patient_id=entry.patient_id, now=now)
    except DomainError as exc:
        return f"{org}: {exc.message}"
    return f"{org}: done, your appointment has moved to the earlier time. We will send the details."
