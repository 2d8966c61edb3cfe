"""Users, passwords (scrypt via Werkzeug) and revocable, expiring API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from televisit.domain.errors import Conflict, Invalid, Unauthorized
from televisit.domain.roles import PATIENT, ROLES, Actor
from televisit.domain.timezones import is_zone
from televisit.domain.validation import is_email, normalize_email
from televisit.models import ApiToken, Clinician, Patient, User

# scrypt (Werkzeug's default, a memory-hard KDF). The test suite swaps in a cheap method for speed.
HASH_METHOD = "scrypt"
# A hash to compare against when the email is unknown, so timing does not reveal which emails exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def actor_of(user: User) -> Actor:
    """The framework-free view of a signed-in user."""
    return Actor(user.id, user.role, user.patient_id, user.clinician_id)


def find_user(session: Session, email: str) -> User | None:
    """The user with `email` (case-insensitive)."""
    return session.scalars(select(User).where(User.email == normalize_email(email))).first()


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    name: str | None,
    now: datetime,
    timezone: str = "America/New_York",
) -> User:
    """Create a user; a patient user gets its own patient record, a clinician user links by email."""
    errors = {}
    if not is_email(email):
        errors["email"] = "not a valid email address"
    if role not in ROLES:
        errors["role"] = f"one of {', '.join(ROLES)}"
    if not isinstance(password, str) or len(password) < 8:
        errors["password"] = "at least 8 characters"
    if not is_zone(timezone):  # a patient's zone renders their reminders later; refuse a bad one now
        errors["timezone"] = "unknown IANA time zone (e.g. America/New_York, Europe/London)"
    if errors:
        raise Invalid(errors)
    email = normalize_email(email)
    if find_user(session, email):
        raise Conflict("A user with this email exists.", fields={"email": "already registered"})
    user = User(
        email=email,
        name=name or email.split("@")[0],
        role=role,
        created_at=now,
        password_hash=generate_password_hash(password, method=HASH_METHOD),
    )
    _link(session, user, timezone, now)
    session.add(user)
    session.commit()
    return user


def _link(session: Session, user: User, timezone: str, now: datetime) -> None:
    if user.role == PATIENT:
        patient = Patient(name=user.name, email=user.email, timezone=timezone, created_at=now)
        session.add(patient)
        session.flush()
        user.patient_id = patient.id
    elif user.role == "clinician":
        clinician = session.scalars(select(Clinician).where(Clinician.email == user.email)).first()
        user.clinician_id = clinician.id if clinician else None


def authenticate(session: Session, email: object, password: object) -> User:
    """The user for these credentials, or Unauthorized (same message whichever part was wrong)."""
    user = find_user(session, email) if isinstance(email, str) else None
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password if isinstance(password, str) else "")
    if not (user and ok and user.active):
        raise Unauthorized("Email or password is incorrect.")
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, *, now: datetime, hours: int) -> tuple[str, datetime]:
    """A new bearer token (only its hash is stored) and when it expires."""
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now, expires_at=expires))
    session.commit()
    return token, expires


def user_for_token(session: Session, token: str, *, now: datetime) -> User | None:
    """The user a live token belongs to, or None (unknown, expired or revoked)."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    return row.user


def revoke_token(session: Session, token: str, *, now: datetime) -> bool:
    """Revoke a token (sign-out); True when it existed."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is None:
        return False
    row.revoked_at = row.revoked_at or now
    session.commit()
    return True
