"""Patients' own accounts: sign up (a patient user and its record) and the profile they edit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain.patient_input import Contact, SignUp
from televisit.domain.roles import PATIENT
from televisit.models import Patient, User
from televisit.services.auth import create_user
from televisit.services.patients.records import get_patient


def _apply(patient: Patient, contact: Contact) -> None:
    patient.timezone, patient.region, patient.phone = contact.timezone, contact.region, contact.phone
    patient.sms_opt_in, patient.email_opt_in = contact.sms_opt_in, contact.email_opt_in


def sign_up(session: Session, form: SignUp, *, now: datetime) -> User:
    """Create a patient user with its contact details; Conflict (field `email`) when the email is taken."""
    user = create_user(
        session,
        email=form.email,
        password=form.password,
        role=PATIENT,
        name=form.name,
        now=now,
        timezone=form.contact.timezone,
    )
    _apply(user.patient, form.contact)
    session.commit()
    return user


def update_contact(session: Session, patient_id: int, contact: Contact) -> Patient:
    """Save a patient's zone, region, phone and contact preferences."""
    patient = get_patient(session, patient_id)
    _apply(patient, contact)
    session.commit()
    return patient
