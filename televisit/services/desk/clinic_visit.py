"""One visit as a clinician attending it reads it: when (the site's clock and the patient's), who attends, the
rest of the patient's clinic day, the patient's reason and their intake answers, and whether it can be marked
a no-show or ended now. Only the visit's attending clinicians (a joint visit's every one) may open it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import waiting_room as wr
from televisit.domain.errors import DomainError, Forbidden, NotFound
from televisit.domain.formatting import format_date, format_when
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone
from televisit.domain.triage import describe, summary
from televisit.models import Appointment, Clinician, Intake
from televisit.services.desk.calendar import names
from televisit.services.desk.clinic_day import ClinicEntry, clinic_entry, rest_of_days

NOT_YOURS = "Only the clinicians attending this visit can open it and read the patient's answers."


@dataclass(frozen=True)
class IntakeView:
    """The patient's newest intake: when they answered, the red flags it raised, and the answers."""

    answered: str
    flags: list[str]
    answers: list[tuple[str, str]]


@dataclass(frozen=True)
class ClinicVisit:
    """What the clinician's visit page shows."""

    entry: ClinicEntry
    when: str  # date and time on the site's clock
    team: list[str]  # every attending clinician, the lead first
    intake: IntakeView | None
    no_show_refused: str | None  # why it cannot be marked a no-show now (None: it can)
    end_refused: str | None  # why it cannot be ended now (None: it can)

    @property
    def can_no_show(self) -> bool:
        return self.no_show_refused is None

    @property
    def can_end(self) -> bool:
        return self.end_refused is None


def attended(session: Session, appointment_id: int, clinician: Clinician) -> Appointment:
    """The visit, when `clinician` attends it (NotFound: no such visit; Forbidden: not theirs)."""
    appt = session.get(Appointment, appointment_id)
    if appt is None:
        raise NotFound("No such visit.")
    if clinician.id not in appt.attending_ids:
        raise Forbidden(NOT_YOURS)
    return appt


def latest_intake(session: Session, patient_id: int, zone: ZoneInfo, locale: str) -> IntakeView | None:
    """The patient's newest intake as the care team reads it, its date in `zone` (None: none answered)."""
    stmt = select(Intake).where(Intake.patient_id == patient_id).order_by(Intake.created_at.desc(), Intake.id.desc())
    found = session.scalars(stmt.limit(1)).first()
    if found is None:
        return None
    answered = format_date(found.created_at, zone, locale)
    return IntakeView(answered, describe(found.red_flags or []), summary(found.answers or {}))


def _refusal(check, *args) -> str | None:
    """The sentence a waiting-room rule refuses with now (None: it allows)."""
    try:
        check(*args)
    except DomainError as exc:
        return exc.message
    return None


def visit(
    session: Session, appointment_id: int, clinician: Clinician, *, now: datetime, locale: str, actor: Actor
) -> ClinicVisit:
    """The visit page of an attending clinician (Forbidden for anyone else)."""
    appt = attended(session, appointment_id, clinician)
    if not actor.may_see(appt.patient_id, appt.clinician_id, appt.attending_ids):
        raise Forbidden(NOT_YOURS)
    known, zone = names(session), get_zone(appt.location.timezone)
    e = clinic_entry(appt, locale, known, clinician, rest_of_days(session, [appt], known, locale))
    return ClinicVisit(
        entry=e,
        when=format_when(appt.start_at, zone, locale),
        team=[known["clinicians"].get(c, "?") for c in appt.attending_ids],
        intake=latest_intake(session, appt.patient_id, zone, locale),
        no_show_refused=_refusal(wr.require_no_show_allowed, appt.status, appt.start_at, now),
        end_refused=_refusal(wr.require_in_visit, appt.status),
    )
