"""Finding patients as staff do: records that look like one being registered, and the patient search (name,
MRN, date of birth, phone in any common form; televisit/domain/identity.py reads the query); and the FHIR
facade's structured search and read, under the same rule of who sees whom."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from televisit.domain.errors import SAME_NAME_AND_BIRTH, SAME_PHONE, NotFound
from televisit.domain.identity import PatientQuery, fold
from televisit.domain.roles import CLINICIAN, PATIENT, Actor
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


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text: str) -> str:
    return "%" + _escaped(text) + "%"


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


def _visible(actor: Actor):
    """A condition on Patient: the records `actor` may see (desk roles all; a clinician those they treat; a
    patient themself; anyone else none)."""
    if actor.is_booker:
        return true()
    if actor.role == CLINICIAN and actor.clinician_id:
        return treated_by(actor.clinician_id)
    if actor.role == PATIENT and actor.patient_id:
        return Patient.id == actor.patient_id
    return false()


def _word_starts(text: str):
    wanted = _escaped(fold(text))
    if not wanted:
        return false()
    key = Patient.name_key
    return or_(key.like(wanted + "%", escape="\\"), key.like("% " + wanted + "%", escape="\\"))


def _born(span: tuple[date | None, date | None]):
    lo, hi = span
    return and_(
        Patient.date_of_birth.is_not(None),
        Patient.date_of_birth >= lo if lo else true(),
        Patient.date_of_birth < hi if hi else true(),
    )


# What a structured search can ask of a record; each takes one wanted value.
MATCHERS = {
    "id": lambda v: Patient.id == v,
    "mrn": lambda v: Patient.mrn == v,
    "name": _word_starts,  # a word of the name starts with it (case and accents aside)
    "born": _born,  # (from, before): a span of dates, either end open
    "phone": lambda v: Patient.phone == v,  # E.164
    "email": lambda v: Patient.email == v,  # lower case, as stored
}

Criteria = Sequence[tuple[str, Sequence]]  # (a MATCHERS key, its wanted values: any of them) pairs, all required


def find(session: Session, criteria: Criteria, *, actor: Actor, offset: int, limit: int) -> tuple[list[Patient], int]:
    """The records that meet every criterion (a criterion with no values meets none) and that `actor` may see,
    by id from `offset`, at most `limit`; and how many there are in all."""
    tests = [or_(false(), *(MATCHERS[kind](v) for v in values)) for kind, values in criteria]
    stmt = select(Patient).where(_visible(actor), *tests)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = list(session.scalars(stmt.order_by(Patient.id).offset(offset).limit(limit))) if limit else []
    return rows, total or 0


def visible(session: Session, patient_id: int, *, actor: Actor) -> Patient:
    """The record, when `actor` may see it; NotFound otherwise (whether or not it exists: nothing leaks)."""
    found = session.scalar(select(Patient).where(Patient.id == patient_id, _visible(actor)))
    if found is None:
        raise NotFound("No such patient.")
    return found
