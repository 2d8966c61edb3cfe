"""Patient records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from televisit.domain.errors import DuplicatePatient, NotFound
from televisit.domain.validation import normalize_email
from televisit.models import Patient


def create_patient(session: Session, data: dict, *, now: datetime) -> Patient:
    """Register a patient (data already validated); DuplicatePatient when one already has this email."""
    existing = find_by_email(session, data["email"]) if data.get("email") else None
    if existing is not None:
        raise DuplicatePatient(existing.id)
    patient = Patient(created_at=now, **data)
    session.add(patient)
    session.commit()
    return patient


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


def search_patients(session: Session, text: str, *, limit: int = 20) -> list[Patient]:
    """Patients whose name or email contains `text` (case-insensitive), by name."""
    term = text.strip().lower()
    if len(term) < 2:
        return []
    needle = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    name, mail = func.lower(Patient.name), func.lower(Patient.email)
    stmt = (
        select(Patient)
        .where(or_(name.like(needle, escape="\\"), mail.like(needle, escape="\\")))
        .order_by(Patient.name, Patient.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))
