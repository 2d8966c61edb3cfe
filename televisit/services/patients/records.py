"""Patient records: register one (refusing a second record of someone already registered), read one, search."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from televisit.domain.errors import (
    SAME_NAME_AND_BIRTH,
    SAME_PHONE,
    DuplicateMrn,
    DuplicatePatient,
    NotFound,
    PossibleDuplicate,
)
from televisit.domain.validation import normalize_email
from televisit.models import Patient
from televisit.services.patients import identity

EVERY_LIKENESS = frozenset({SAME_NAME_AND_BIRTH, SAME_PHONE})


@dataclass
class Registered:
    """A new record, and the records that look like it which the caller let through (`refuse` did not name)."""

    patient: Patient
    alike: list[tuple[Patient, list[str]]] = field(default_factory=list)


def register(
    session: Session, data: dict, *, now: datetime, confirm_new: bool = False, refuse: Collection[str] = EVERY_LIKENESS
) -> Registered:
    """Register a patient (data already validated).

    DuplicatePatient when a record has this email; DuplicateMrn when one has this MRN; PossibleDuplicate when
    records look alike for a reason in `refuse` (same name and birth date, same phone), unless `confirm_new`.
    """
    existing = find_by_email(session, data["email"]) if data.get("email") else None
    if existing is not None:
        raise DuplicatePatient(existing.id)
    _check_mrn(session, data.get("mrn"))
    alike = identity.likely_duplicates(
        session, name=data["name"], date_of_birth=data.get("date_of_birth"), phone=data.get("phone")
    )
    if not confirm_new and any(set(why) & set(refuse) for _, why in alike):
        raise PossibleDuplicate([(p.id, why) for p, why in alike])
    patient = Patient(created_at=now, **data)
    session.add(patient)
    try:
        session.commit()
    except IntegrityError:  # the same MRN registered a moment ago, in another request: the index refused it
        session.rollback()
        _check_mrn(session, data.get("mrn"))
        raise
    return Registered(patient, alike)


def create_patient(session: Session, data: dict, *, now: datetime) -> Patient:
    """Register a patient whom the caller knows to be new (only the email and the MRN are checked)."""
    return register(session, data, now=now, confirm_new=True).patient


def _check_mrn(session: Session, mrn: str | None) -> None:
    if mrn:
        holder = session.scalar(select(Patient.id).where(Patient.mrn == mrn))
        if holder is not None:
            raise DuplicateMrn(holder)


def find_by_email(session: Session, email: str) -> Patient | None:
    """The earliest patient record with this email, if any (every path stores emails lower-cased: the index serves)."""
    stmt = select(Patient).where(Patient.email == normalize_email(email)).order_by(Patient.id).limit(1)
    return session.scalars(stmt).first()


def get_patient(session: Session, patient_id: int) -> Patient:
    """The patient or NotFound."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("No such patient.")
    return patient
