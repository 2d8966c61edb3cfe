"""Patient records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain.errors import NotFound
from televisit.models import Patient


def create_patient(session: Session, data: dict, *, now: datetime) -> Patient:
    """Register a patient (data already validated)."""
    patient = Patient(created_at=now, **data)
    session.add(patient)
    session.commit()
    return patient


def get_patient(session: Session, patient_id: int) -> Patient:
    """The patient or NotFound."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("No such patient.")
    return patient
