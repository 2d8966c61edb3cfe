"""Finding patients as staff do: records that look like one being registered, and the patient search (name,
MRN, date of birth, phone in any common form; televisit/domain/identity.py reads the query)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm import Session

from televisit.domain.errors import SAME_NAME_AND_BIRTH, SAME_PHONE
from televisit.domain.identity import PatientQuery, fold
from televisit.domain.roles import CLINICIAN, Actor
from televisit.models import Appointment, Patient, Reservation

SEARCH_LIMIT = 50


def likely_duplicates(
    session: Session, *, name: str, date_of_birth: date | None, phone: str | None
) -> list[tuple[Patient, list[str]]]:
    """Records with the same name (case and accents aside) and date of birth, or the same phone number, each
    with why it looks alike (SAME_NAME_AND_BIRTH, SAME_PHONE), oldest record first."""
    same_person = Patient.name_key == fold(name), Patient.date_of_birth == date_of_birth
    tests = []
    if date_of_birth is not None:
        tests.append(same_person[0] & same_person[1])
    if phone:
        tests.append(Patient.phone == phone)
    if not tests:
        return []
    found = session.scalars(select(Patient).where(or_(*tests)).order_by(Patient.id).limit(SEARCH_LIMIT))
    return [(p, _why(p, name, date_of_birth, phone)) for p in found]


def _why(p: Patient, name: str, born: date | None, phone: str | None) -> list[str]:
    reasons = []
    if born is not None and p.date_of_birth == born and p.name_key == fold(name):
        reasons.append(SAME_NAME_AND_BIRTH)
    if phone and p.phone == phone:
        reasons.append(SAME_PHONE)
    return reasons


def treated_by(clinician_id: int):
    """A condition on Patient: someone `clinician_id` has a visit with (the lead, or any clinician of a joint
    visit), whatever became of the visit."""
    attends = exists().where(Reservation.appointment_id == Appointment.id, Reservation.clinician_id == clinician_id)
    visit = exists().where(Appointment.patient_id == Patient.id, or_(Appointment.clinician_id == clinician_id, attends))
    return visit


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matches(q: PatientQuery):
    tests = []
    if q.name:
        tests.append(Patient.name_key.like(_like(q.name), escape="\\"))
        tests.append(func.lower(Patient.email).like(_like(q.text.lower()), escape="\\"))
    elif "@" in q.text:
        tests.append(func.lower(Patient.email).like(_like(q.text.lower()), escape="\\"))
    if q.mrn:
        tests.append(Patient.mrn == q.mrn)
    if q.born:
        tests.append(Patient.date_of_birth == q.born)
    if q.phones:
        tests.append(Patient.phone.in_(q.phones))
    return or_(*tests) if tests else false()


def search(session: Session, q: PatientQuery, *, actor: Actor, limit: int = SEARCH_LIMIT) -> tuple[list[Patient], bool]:
    """Patients the query matches, by name, and whether more matched than `limit`. Desk roles see everyone;
    a clinician only the patients they treat; anyone else no one."""
    if not actor.is_booker and not (actor.role == CLINICIAN and actor.clinician_id):
        return [], False
    stmt = select(Patient).where(_matches(q))
    if not actor.is_booker:
        stmt = stmt.where(treated_by(actor.clinician_id))
    rows = list(session.scalars(stmt.order_by(Patient.name, Patient.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit
