"""The tumor board's one message to a patient: their care team has reviewed their case and has a plan, with a
link into booking it and the number to call. Never the recommendation, the pathway's name, a clinician or any
clinical word (templates/sms/board_plan.txt, templates/email/board_plan.*).

The link leads to the patient's own booking of that pathway (find care, clinic days) when patients may book it
themselves, else to the call-us page. The message is planned once per case and channel (its outbox key) when
the outcome is recorded (services/board/outcomes.py), and withdrawn instead of sent when, by the time the jobs
come to it, the case is no longer reviewed or the patient's day of that pathway has been booked since.
"""

from __future__ import annotations

import json

import phonenumbers
from phonenumbers import PhoneNumberFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.adapters.base import OutgoingEmail, OutgoingSMS
from televisit.domain.board import PLAN_RULE, REVIEWED
from televisit.domain.lateness import kind_of
from televisit.models import BoardCase, Itinerary, OutboxMessage, Pathway, Patient
from televisit.services.messaging.messages import Settings, message_id_for, render_email, render_sms

GONE = "the case is no longer reviewed"
BOOKED = "the plan was booked before the message went out"


def is_plan(msg: OutboxMessage) -> bool:
    """True for the board's plan message (or its email instead of an SMS)."""
    return kind_of(msg.rule) == PLAN_RULE


def _case(session: Session, msg: OutboxMessage) -> BoardCase | None:
    try:
        found = json.loads(msg.payload or "{}").get("board_case_id")
    except (ValueError, AttributeError):
        return None
    return session.get(BoardCase, found) if isinstance(found, int) else None


def withdraw_reason(session: Session, msg: OutboxMessage) -> str | None:
    """Why the plan message must not go out now (None: send it)."""
    case = _case(session, msg)
    if case is None or case.status != REVIEWED or case.pathway_id is None:
        return GONE
    booked = select(Itinerary.id).where(
        Itinerary.patient_id == case.patient_id,
        Itinerary.pathway_id == case.pathway_id,
        Itinerary.status == "booked",
        Itinerary.created_at >= case.reviewed_at,
    )
    return BOOKED if session.scalar(booked.limit(1)) is not None else None


def link_for(public_url: str, pathway: Pathway) -> str:
    """Into the patient's own booking of the pathway, or the call-us page when the care team books it."""
    if pathway.self_bookable:
        return f"{public_url}/find-care/days/times?pathway={pathway.id}"
    return f"{public_url}/care-plan"


def phone_for(number: str, region: str | None) -> tuple[str, str]:
    """(the number as the patient dials it: national form in its own country, else international; E.164)."""
    parsed = phonenumbers.parse(number, None)
    country = (region or "").split("-", 1)[0].upper()
    same = phonenumbers.region_code_for_number(parsed) == country
    shown = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL if same else PhoneNumberFormat.INTERNATIONAL)
    return shown, phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def phone_for_patient(session: Session, number: str, patient_id: int | None) -> tuple[str, str]:
    """`phone_for` the patient's region (None: no patient, international form)."""
    patient = session.get(Patient, patient_id) if patient_id else None
    return phone_for(number, patient.region if patient else None)


def build(session: Session, settings: Settings, msg: OutboxMessage):
    """The SMS or email for a plan message (None when its case is gone)."""
    case = _case(session, msg)
    if case is None or case.pathway_id is None:
        return None
    patient, pathway = case.patient, session.get(Pathway, case.pathway_id)
    phone, tel = phone_for(settings.care_phone, patient.region)
    ctx = {
        "org": settings.org_name,
        "patient_name": patient.name,
        "link": link_for(settings.public_url, pathway),
        "self_bookable": pathway.self_bookable,
        "phone": phone,
        "tel": tel,
    }
    if msg.channel == "sms":
        callback = f"{settings.public_url}/webhooks/twilio/status?o={msg.id}"
        return OutgoingSMS(patient.phone, render_sms("board_plan", ctx), callback)
    subject, text, html = render_email("board_plan", ctx)
    return OutgoingEmail(patient.email, subject, text, html, message_id_for(msg, settings))
