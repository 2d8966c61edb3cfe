"""Rendering an outbox row into the SMS or email a patient receives.

SMS bodies carry only the time, the place (or "video visit"), the organisation and a link: never the
visit type, clinician, specialty or reason (templates/sms/). Emails may name the visit type and clinician.
A clinic day or a course is told as one (messaging/whole.py): every step or date, one calendar file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from televisit.adapters.base import OutgoingEmail, OutgoingSMS
from televisit.adapters.calendar_ics import build
from televisit.domain.formatting import both_clocks, locale_for
from televisit.domain.timezones import get_zone
from televisit.models import Appointment, Clinician, OutboxMessage, VisitType
from televisit.services.messaging import links, whole
from televisit.services.messaging.invites import invite_for, itinerary_ics

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
DEMO_CARE_PHONE = "+1 216 555 0100"

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


@dataclass(frozen=True)
class Settings:
    """What rendering needs from configuration."""

    public_url: str
    secret: str
    org_name: str
    mail_from: str
    care_phone: str = DEMO_CARE_PHONE  # the number a patient calls to book a plan (the board's message)


def settings_from(config) -> Settings:
    """Build Settings from a Flask config mapping."""
    return Settings(
        config["PUBLIC_URL"],
        config["SECRET_KEY"],
        config.get("ORG_NAME", "Televisit Health"),
        config["MAIL_FROM"],
        config.get("CARE_TEAM_PHONE") or DEMO_CARE_PHONE,
    )


def appointment_links(s: Settings, appt: Appointment) -> dict[str, str]:
    """Signed links for this appointment at its current sequence (join only for video visits)."""
    expires = appt.end_at + links.AFTER_VISIT
    purposes = ["view", "confirm", "reschedule", "cancel"] + (["join"] if appt.mode == "virtual" else [])
    return {
        p: links.url(s.public_url, s.secret, p, appt.id, appt.sequence, appt.end_at if p == "join" else expires)
        for p in purposes
    }


def appointment_context(session: Session, s: Settings, appt: Appointment, rule: str) -> dict:
    """Everything the appointment templates may use."""
    patient, loc = appt.patient, appt.location
    locale = patient.locale or locale_for(patient.region, patient.timezone)
    when = both_clocks(appt.start_at, get_zone(loc.timezone), get_zone(patient.timezone), locale)
    return {
        "rule": rule,
        "org": s.org_name,
        "when": when,
        "video": appt.mode == "virtual",
        "place": "video visit" if appt.mode == "virtual" else f"{loc.name}, {loc.city}",
        "links": appointment_links(s, appt),
        "patient_name": patient.name,
        "visit_type": session.get(VisitType, appt.visit_type_id).name,
        "clinician": session.get(Clinician, appt.clinician_id).name,
        "sequence": appt.sequence,
        # a clinic day or a treatment course is told as one (messaging/whole.py)
        "day": whole.day_context(session, appt, rule),
        "course": whole.course_context(session, appt, rule),
    }


def render_sms(template: str, ctx: dict) -> str:
    """An SMS body from templates/sms/<template>.txt, whitespace folded to single spaces."""
    return " ".join(_env.get_template(f"sms/{template}.txt").render(**ctx).split())


def render_email(template: str, ctx: dict) -> tuple[str, str, str]:
    """(subject, text, html) from templates/email/<template>.{subject,txt,html}."""
    subject = " ".join(_env.get_template(f"email/{template}.subject").render(**ctx).split())
    return (
        subject,
        _env.get_template(f"email/{template}.txt").render(**ctx),
        _env.get_template(f"email/{template}.html").render(**ctx),
    )


TEMPLATE_FOR_RULE = {"confirmation": "confirmation", "moved": "moved", "cancelled": "cancelled"}


def _template(rule: str) -> str:
    return TEMPLATE_FOR_RULE.get(rule.removesuffix("-fallback"), "reminder")


def build_appointment_message(session: Session, s: Settings, msg: OutboxMessage, appt: Appointment):
    """The OutgoingSMS or OutgoingEmail for an appointment message."""
    ctx = appointment_context(session, s, appt, msg.rule)
    ctx["final"] = msg.rule == "2h" or msg.rule.startswith("2h")
    ctx["notice"] = msg.rule.removesuffix("-fallback") in TEMPLATE_FOR_RULE  # a booking notice, not a reminder
    template = _template(msg.rule)
    if msg.channel == "sms":
        callback = f"{s.public_url}/webhooks/twilio/status?o={msg.id}"
        return OutgoingSMS(appt.patient.phone, render_sms(template, ctx), callback)
    subject, text, html = render_email(template, ctx)
    ics, method = _invitation(session, s, appt, msg.rule)
    return OutgoingEmail(appt.patient.email, subject, text, html, message_id_for(msg, s), ics, method)


def _invitation(session: Session, s: Settings, appt: Appointment, rule: str) -> tuple[bytes | None, str | None]:
    rule = rule.removesuffix("-fallback")  # an SMS notice that fell back to email carries the invitation too
    if rule in ("confirmation", "moved"):
        method = "REQUEST"
    elif rule == "cancelled":
        method = "CANCEL"
    else:
        return None, None
    if appt.itinerary_id or appt.course_id:  # ONE calendar file for the whole day or course: a VEVENT each
        appts = whole.appointments_of(session, appt, rule)
        return itinerary_ics(session, appts, public_url=s.public_url, mail_from=s.mail_from, method=method), method
    invite = invite_for(session, appt, public_url=s.public_url, mail_from=s.mail_from)
    return build(invite, method=method), method


def message_id_for(msg: OutboxMessage, s: Settings) -> str:
    """A stable Message-ID per outbox row, so a resend after a crash is recognisably the same email."""
    domain = s.mail_from.rsplit("@", 1)[-1].rstrip(">").strip() or "televisit.local"
    return f"<outbox-{msg.id}.{msg.key.replace(':', '.')}@{domain}>"


def offer_expiry(now: datetime) -> datetime:
    """How long an earlier-slot offer stays open."""
    return now + timedelta(hours=12)
