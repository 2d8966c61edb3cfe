"""A clinic day or a treatment course told as one: what the templates say about every step or visit.

A clinic day is told once, on its first step (confirmation, moved, cancelled and the reminders): every
message lists each step's time and place; emails add what each step is and with whom, and what to bring
for an MRI. A course's confirmation, move and cancellation (on its first fraction) list every date; each
fraction's reminder speaks of that fraction ("visit 2 of 5"). SMS templates use only times, places (the
city) and counts: never a visit type or a clinician (templates/sms/).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain.care import preparation
from televisit.domain.formatting import both_clocks, format_date, format_time, locale_for
from televisit.domain.timezones import get_zone
from televisit.models import Appointment, Clinician, Itinerary, Pathway, VisitType


def _all(session: Session, appt: Appointment) -> list[Appointment]:
    """Every appointment of `appt`'s clinic day or course, in order ([appt] for a single visit)."""
    if appt.itinerary_id:
        stmt = select(Appointment).where(Appointment.itinerary_id == appt.itinerary_id)
    elif appt.course_id:
        stmt = select(Appointment).where(Appointment.course_id == appt.course_id)
    else:
        return [appt]
    return list(session.scalars(stmt.order_by(Appointment.start_at, Appointment.id)))


def appointments_of(session: Session, appt: Appointment, rule: str) -> list[Appointment]:
    """The whole `appt` belongs to, in order: its clinic day's steps or its course's visits (those told about
    by `rule`: the cancelled ones for a cancellation, the others otherwise); [appt] for a single visit."""
    cancelled = rule.removesuffix("-fallback") == "cancelled"
    return [a for a in _all(session, appt) if (a.status == st.CANCELLED) == cancelled] or [appt]


def _clock(appt: Appointment, *, with_date: bool) -> str:
    """The site's clock, and the patient's own in brackets when it reads differently."""
    patient, site = appt.patient, get_zone(appt.location.timezone)
    locale, own = patient.locale or locale_for(patient.region, patient.timezone), get_zone(patient.timezone)
    if with_date:
        return both_clocks(appt.start_at, site, own, locale)
    here, there = format_time(appt.start_at, site, locale), format_time(appt.start_at, own, locale)
    return here if here == there else f"{here} ({there} your time)"


def _place(appt: Appointment) -> str:
    loc = appt.location
    return "video visit" if appt.mode == "virtual" else f"{loc.name}, {loc.city}"


def _step(session: Session, a: Appointment) -> dict:
    vt = session.get(VisitType, a.visit_type_id)
    names = [session.get(Clinician, c).name for c in a.attending_ids]
    return {
        "time": _clock(a, with_date=False),
        "place": _place(a),
        "city": a.location.city,
        "video": a.mode == "virtual",
        "visit_type": vt.name,
        "clinicians": " and ".join(names),
        "bring": preparation(vt.resource_kinds),
    }


def day_context(session: Session, appt: Appointment, rule: str) -> dict | None:
    """What the templates say about the clinic day `appt` opens (None: not a step of a day)."""
    if not appt.itinerary_id:
        return None
    steps = appointments_of(session, appt, rule)
    first, patient = steps[0], appt.patient
    locale = patient.locale or locale_for(patient.region, patient.timezone)
    it = session.get(Itinerary, appt.itinerary_id)
    return {
        "name": session.get(Pathway, it.pathway_id).name,
        "date": format_date(first.start_at, get_zone(first.location.timezone), locale),
        "city": first.location.city,
        "count": len(steps),
        "steps": [_step(session, a) for a in steps],
    }


def course_context(session: Session, appt: Appointment, rule: str) -> dict | None:
    """What the templates say about the course `appt` belongs to (None: not a visit of a course): every date,
    and which visit of the course `appt` is."""
    if not appt.course_id:
        return None
    visits, every = appointments_of(session, appt, rule), _all(session, appt)
    number = next((i + 1 for i, a in enumerate(every) if a.id == appt.id), 1)
    vt = session.get(VisitType, appt.visit_type_id)
    return {
        "name": vt.name,
        "city": appt.location.city,
        "count": len(visits),
        "number": number,
        "total": len(every),
        "dates": [_clock(a, with_date=True) for a in visits],
    }
