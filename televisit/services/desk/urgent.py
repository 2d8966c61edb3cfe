"""The desk's urgent queue: open cases (oldest first) with the patient's own answers and history, and the
resolved ones with who resolved them and when. Every time is in the desk's zone, with the patient's own clock
beside it where it differs (so one case never reads in CST and the next in GMT)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from televisit.domain.formatting import format_date, format_time, format_when
from televisit.domain.identity import PatientTag, tag_of
from televisit.domain.timezones import get_zone, to_local
from televisit.domain.triage import CHECK_IN_SYMPTOMS, RED_FLAGS, answers_in_words
from televisit.models import Appointment, UrgentCase
from televisit.services.urgent import cases as urgent_cases
from televisit.services.urgent.cases import History

SOURCE = {urgent_cases.FROM_INTAKE: "first-visit intake", urgent_cases.AT_CHECK_IN: "check-in for a video visit"}


@dataclass(frozen=True)
class Clocks:
    """How the desk reads times: its zone and its locale (12-hour US or 24-hour UK)."""

    zone: ZoneInfo
    locale: str


@dataclass(frozen=True)
class When:
    """One instant as the desk reads it, and the patient's own clock beside it (None: the same clock)."""

    desk: str
    patient: str | None


@dataclass(frozen=True)
class Urgent:
    """One open urgent case as the queue shows it."""

    id: int
    patient_id: int
    name: str
    phone: str | None
    email: str | None
    region: str | None
    flags: list[str]
    source: str
    raised: When
    waiting_minutes: int
    answers: list[tuple[str, str]]
    history: list[str]
    who: PatientTag | None = None  # name, date of birth and MRN, as staff tell patients apart


@dataclass(frozen=True)
class Resolved:
    """One resolved case: what it was, and who resolved it, when, with what note."""

    id: int
    patient_id: int
    name: str
    flags: list[str]
    source: str
    raised: When
    resolved: When
    resolved_by: str
    note: str


def city_of(zone: ZoneInfo) -> str:
    """The city an IANA zone is named after ("America/New_York" -> "New York")."""
    return str(zone.key).rsplit("/", 1)[-1].replace("_", " ")


def when(instant: datetime, patient_zone: str, c: Clocks) -> When:
    """`instant` in the desk's zone, with the patient's clock ("4:35 PM GMT in London") when it differs."""
    theirs = get_zone(patient_zone)
    here, there = to_local(instant, c.zone), to_local(instant, theirs)
    same = here.utcoffset() == there.utcoffset() and here.tzname() == there.tzname()
    beside = None if same else f"{format_time(instant, theirs, c.locale)} in {city_of(theirs)}"
    return When(format_when(instant, c.zone, c.locale), beside)


def flags_in_words(case: UrgentCase) -> list[str]:
    """The case's red flags in plain words."""
    return [RED_FLAGS.get(flag, flag.replace("_", " ")) for flag in case.flags or []]


def _answers(session: Session, case: UrgentCase, c: Clocks) -> list[tuple[str, str]]:
    """What the patient told us that opened the case, in plain words."""
    if case.intake is not None:
        return answers_in_words(case.intake.answers or {})
    visit = session.get(Appointment, case.appointment_id) if case.appointment_id else None
    out = [("At check-in", f"Yes, since booking, one of: {'; '.join(CHECK_IN_SYMPTOMS)}")]
    if visit is not None:
        out.append(("Visit", f"{when(visit.start_at, visit.patient.timezone, c).desk} (video)"))
        if visit.check_in_region:
            out.append(("Where they are", visit.check_in_region))
    return out


def _history(case: UrgentCase, past: History, c: Clocks) -> list[str]:
    """The patient's earlier intakes and urgent cases, oldest first (this case and its own intake left out)."""
    out = []
    for earlier in past.intakes:
        if earlier.id != case.intake_id and earlier.created_at <= case.created_at:
            flags = "; ".join(RED_FLAGS.get(f, f) for f in earlier.red_flags or []) or "no red flags"
            out.append(f"Intake, {format_date(earlier.created_at, c.zone, c.locale)}: {flags}")
    for other in past.cases:
        if other.id != case.id and other.created_at <= case.created_at:
            out.append(_case_line(other, past, c))
    return out


def _case_line(other: UrgentCase, past: History, c: Clocks) -> str:
    opened = f"Urgent case, {format_date(other.created_at, c.zone, c.locale)} ({SOURCE.get(other.source, 'intake')})"
    if other.status != urgent_cases.RESOLVED or other.resolved_at is None:
        return f"{opened}: still open"
    who = past.resolvers.get(other.resolved_by_user_id or 0, "someone no longer on staff")
    done = format_date(other.resolved_at, c.zone, c.locale)
    return f"{opened}: resolved {done} by {who}" + (f": “{other.note}”" if other.note else "")


def open_cases(session: Session, *, now: datetime, clocks: Clocks) -> list[Urgent]:
    """Open urgent cases, oldest first, with the red flags and answers in words, history and waiting time."""
    cases = urgent_cases.urgent_queue(session)
    pasts = urgent_cases.histories(session, {case.patient_id for case in cases})
    out = []
    for case in cases:
        p = case.patient
        minutes = max(int((now - case.created_at).total_seconds() // 60), 0)
        out.append(
            Urgent(
                id=case.id,
                patient_id=p.id,
                name=p.name,
                phone=p.phone,
                email=p.email,
                region=p.region,
                flags=flags_in_words(case),
                source=SOURCE.get(case.source, SOURCE[urgent_cases.FROM_INTAKE]),
                raised=when(case.created_at, p.timezone, clocks),
                waiting_minutes=minutes,
                answers=_answers(session, case, clocks),
                history=_history(case, pasts[p.id], clocks),
                who=tag_of(p),
            )
        )
    return out


def resolved_cases(session: Session, *, clocks: Clocks) -> list[Resolved]:
    """The latest resolved cases, newest first, with who resolved them and when."""
    out = []
    for case, by in urgent_cases.resolved(session):
        p = case.patient
        out.append(
            Resolved(
                id=case.id,
                patient_id=p.id,
                name=p.name,
                flags=flags_in_words(case),
                source=SOURCE.get(case.source, SOURCE[urgent_cases.FROM_INTAKE]),
                raised=when(case.created_at, p.timezone, clocks),
                resolved=when(case.resolved_at or case.created_at, p.timezone, clocks),
                resolved_by=by or "someone no longer on staff",
                note=case.note or "",
            )
        )
    return out
