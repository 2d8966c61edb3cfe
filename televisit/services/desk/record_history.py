"""The history half of a patient's staff record (televisit/services/desk/patient_record.py): their intake
answers in words, the messages sent to them, and who opened or changed their record (the audit trail).

Messages are listed by what, how, when and whether they went: never a body. A body holds the patient's signed
links (join, cancel, move); shown to staff, it would let them act as the patient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from televisit.domain import triage
from televisit.domain.formatting import format_when
from televisit.models import AuditEvent, Intake, OutboxMessage, User

MESSAGE_LIMIT, OPENED_LIMIT = 100, 50
_HOURS_BEFORE = re.compile(r"(\d+)h")
RULES = {
    "confirmation": "Booking confirmation",
    "moved": "Visit moved",
    "cancelled": "Visit cancelled",
    "offer": "Earlier time offered",
    "offer-gone": "Offered time taken by someone else",
    "account-confirm": "Confirm the email address",
    "account-reset": "Set a new password",
    "account-exists": "Sign-up with an address already registered",
}
STATUS = {"unconfirmed": "sent, delivery not confirmed", "withdrawn": "withdrawn (no longer timely or needed)"}
ACTIONS = {
    "patient.record": "opened this record",
    "patient.read": "opened the patient to book",
    "patient.create": "registered the patient",
    "patient.profile": "(the patient) edited their profile",
    "appointment.read": "opened a visit",
    "appointment.list": "listed visits",
    "appointment.create": "booked a visit",
    "appointment.cancel": "cancelled a visit",
    "appointment.reschedule": "moved a visit",
    "intake.read": "read the intake",
    "intake.create": "(the patient) answered the intake",
    "intake.resolve": "resolved an urgent case",
}
QUESTIONS = (  # (answer key, label, choices) in the order the intake asks
    ("symptoms", "Symptoms", triage.SYMPTOMS),
    ("urgent", "Urgent symptoms ticked", triage.URGENT),
    ("since", "Started", triage.SINCE),
    ("course", "Since then", triage.COURSE),
    ("daily_life", "Effect on daily life", triage.DAILY_LIFE),
    ("prior_tumor", "A tumor before", triage.YES_NO),
    ("prior_tumor_details", "About that tumor", ()),
    ("family_history", "Family history", triage.YES_NO),
    ("family_details", "About the family history", ()),
    ("details", "In their own words", ()),
)


@dataclass(frozen=True)
class IntakeRow:
    """One intake: when, what for, each answer in words, and the red flags it raised."""

    when: str
    answers: list[tuple[str, str]]
    flags: list[str]


@dataclass(frozen=True)
class MessageRow:
    """One message: when (sent, else due), how, what, and whether it went."""

    when: str
    channel: str
    what: str
    status: str


@dataclass(frozen=True)
class OpenedRow:
    """One audit event about the patient: when, who, what, through which door, and the outcome."""

    when: str
    who: str
    what: str
    channel: str
    outcome: int


def _answer(value, choices) -> str:
    labels = dict(choices)
    if isinstance(value, list):
        return "; ".join(labels.get(v, v) for v in value)
    return labels.get(value, value) if choices else str(value)


def answers_in_words(answers: dict) -> list[tuple[str, str]]:
    """An intake's stored answers as (question, answer) in words; empty answers left out."""
    return [(label, _answer(answers[key], choices)) for key, label, choices in QUESTIONS if answers.get(key)]


def intakes(session: Session, patient_id: int, zone, locale: str) -> list[IntakeRow]:
    """The patient's intakes, newest first."""
    stmt = select(Intake).where(Intake.patient_id == patient_id).order_by(Intake.created_at.desc(), Intake.id.desc())
    return [_intake(i, zone, locale) for i in session.scalars(stmt)]


def _intake(i: Intake, zone, locale: str) -> IntakeRow:
    return IntakeRow(
        format_when(i.created_at, zone, locale), answers_in_words(i.answers or {}), triage.describe(i.red_flags)
    )


def rule_text(rule: str) -> str:
    """What a message was, in words ('48h' is the reminder 48 hours before)."""
    base = rule.removesuffix("-fallback")
    hours = _HOURS_BEFORE.fullmatch(base)
    text = f"Reminder {hours.group(1)} hours before" if hours else RULES.get(base, base.replace("_", " ").capitalize())
    return f"{text} (by email, as the text failed)" if rule.endswith("-fallback") else text


def messages(session: Session, patient_id: int, zone, locale: str) -> list[MessageRow]:
    """The newest messages to the patient (at most MESSAGE_LIMIT), without their bodies."""
    at = func.coalesce(OutboxMessage.sent_at, OutboxMessage.due_at)
    stmt = (
        select(OutboxMessage.rule, OutboxMessage.channel, OutboxMessage.status, at)
        .where(OutboxMessage.patient_id == patient_id)
        .order_by(at.desc(), OutboxMessage.id.desc())
        .limit(MESSAGE_LIMIT)
    )
    return [
        MessageRow(format_when(when, zone, locale), "Text" if channel == "sms" else "Email", rule_text(rule),
                   STATUS.get(status, status))
        for rule, channel, status, when in session.execute(stmt).all()
    ]  # fmt: skip


def opened(session: Session, patient_id: int, zone, locale: str) -> list[OpenedRow]:
    """The newest audit events about the patient (at most OPENED_LIMIT): who opened or changed what."""
    stmt = (
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.patient_id == patient_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(OPENED_LIMIT)
    )
    return [
        OpenedRow(
            format_when(e.at, zone, locale),
            f"{name} ({e.role})" if name else e.role,
            ACTIONS.get(e.action, e.action.replace(".", " ").replace("_", " ")),
            e.channel,
            e.outcome,
        )
        for e, name in session.execute(stmt).all()
    ]
