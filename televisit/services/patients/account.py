"""Patients' own accounts: sign up (a patient user and its record) and the profile they edit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from televisit.domain.errors import Conflict
from televisit.domain.patient_input import Contact, SignUp
from televisit.domain.roles import PATIENT
from televisit.models import Patient, User
from televisit.services import accounts
from televisit.services.auth import check_password, create_user, find_user, hash_password
from televisit.services.patients.records import get_patient


def _apply(patient: Patient, contact: Contact) -> None:
    patient.timezone, patient.region, patient.phone = contact.timezone, contact.region, contact.phone
    patient.sms_opt_in, patient.email_opt_in = contact.sms_opt_in, contact.email_opt_in


def sign_up(session: Session, form: SignUp, *, now: datetime) -> User | None:
    """A patient's own sign-up, answered the same whatever the address (the page says "check your email").

    A new address gets an unconfirmed account and a confirmation link; an address that has an account gets
    an email pointing to password reset, and None is returned. The password policy is checked first, so a
    refusal (Invalid, field `password`) never depends on whether the address is taken."""
    check_password(form.password, form.email)
    existing = find_user(session, form.email)
    if existing is not None:
        hash_password(form.password)  # the work a new account costs: the time taken tells nothing either
        accounts.already_registered(session, existing, now=now)
        session.commit()
        return None
    try:
        user = create_user(
            session,
            email=form.email,
            password=form.password,
            role=PATIENT,
            name=form.name,
            now=now,
            timezone=form.contact.timezone,
            confirmed=False,
        )
    except (Conflict, IntegrityError):  # the same address signed up a moment ago, in another request
        session.rollback()
        return None
    _apply(user.patient, form.contact)
    accounts.send_confirmation(session, user, now=now)
    session.commit()
    return user


def update_contact(session: Session, patient_id: int, contact: Contact) -> Patient:
    """Save a patient's zone, region, phone and contact preferences."""
    patient = get_patient(session, patient_id)
    _apply(patient, contact)
    session.commit()
    return patient
