"""Users, passwords (scrypt via Werkzeug; one policy, televisit/domain/passwords.py) and revocable API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from televisit.domain.errors import Conflict, Invalid, Locked, Unauthorized, Unconfirmed
from televisit.domain.passwords import password_problem
from televisit.domain.roles import PATIENT, ROLES, Actor
from televisit.domain.timezones import is_zone
from televisit.domain.validation import CONTROL_CHARACTERS, email_address, has_control_characters, normalize_email
from televisit.models import AccountToken, ApiToken, Clinician, Patient, User, UserSession

# scrypt (Werkzeug's default, a memory-hard KDF). The test suite swaps in a cheap method for speed.
HASH_METHOD = "scrypt"
# A hash to compare against when the email is unknown, so timing does not reveal which emails exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


UNCONFIRMED = (
    "Please confirm your email address first: follow the link in the email we sent when you signed up. "
    "No email, or the link has expired? Use \u201cForgot your password?\u201d to get a new link."
)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, lower-cased: the list zxcvbn (Dropbox's strength estimator, MIT)
    ships, drawn from leaked-password corpora. Loaded once per process, on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def check_password(password: object, email: str) -> None:
    """Invalid (field `password`, in plain words) unless `password` meets the policy for `email`."""
    problem = password_problem(password, email, common_passwords())
    if problem:
        raise Invalid({"password": problem})


def hash_password(password: str) -> str:
    """The stored form of a password."""
    return generate_password_hash(password, method=HASH_METHOD)


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
    confirmed: bool = True,
) -> User:
    """Create a user; a patient user gets its own patient record, a clinician user links by email.

    `confirmed=False` (a patient's own sign-up): no sign-in until the emailed link confirms the address."""
    errors = {}
    try:
        email_address(email)
    except ValueError as exc:  # email-validator's reason, in words
        errors["email"] = str(exc)
    if role not in ROLES:
        errors["role"] = f"one of {', '.join(ROLES)}"
    problem = password_problem(password, email if isinstance(email, str) else "", common_passwords())
    if problem:
        errors["password"] = problem
    if name is not None and has_control_characters(name):
        errors["name"] = CONTROL_CHARACTERS
    elif name is not None and len(name) > 120:
        errors["name"] = "at most 120 characters"
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
        password_hash=hash_password(password),
        confirmed_at=now if confirmed else None,
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


@dataclass(frozen=True)
class Lockout:
    """Lock an account for `minutes` after `failures` consecutive failed sign-ins."""

    failures: int = 5
    minutes: int = 15


def authenticate(session: Session, email: object, password: object, *, now: datetime, lockout=Lockout()) -> User:
    """The user for these credentials, or Unauthorized (same message whichever part was wrong), or Locked."""
    user = find_user(session, email) if isinstance(email, str) else None
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password if isinstance(password, str) else "")
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise _locked(user.locked_until, now)
    if not (user and ok and user.active):
        if user is not None:
            _count_failure(session, user, now, lockout)
        raise Unauthorized("Email or password is incorrect.")
    if user.confirmed_at is None:  # only someone who knows the password learns this
        raise Unconfirmed(UNCONFIRMED)
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until = 0, None
        session.commit()
    return user


def _locked(until: datetime, now: datetime) -> Locked:
    minutes = max(1, round((until - now).total_seconds() / 60))
    message = f"Too many failed sign-in attempts. Please try again in {minutes} minute{'s' if minutes > 1 else ''}."
    return Locked(message, retry_after=int((until - now).total_seconds()) + 1)


def _count_failure(session: Session, user: User, now: datetime, lockout: Lockout) -> None:
    # One UPDATE ... RETURNING: concurrent failures in other processes each count exactly once.
    bump = update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    failures = session.execute(bump.returning(User.failed_logins)).scalar_one()
    if failures >= lockout.failures:
        until = now + timedelta(minutes=lockout.minutes)
        session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=until))
        session.commit()
        raise _locked(until, now)
    session.commit()


def user_for_session(session: Session, session_id: str) -> User | None:
    """The user a session cookie names ("<id>.<epoch>"), unless signed out since (epoch moved) or inactive."""
    user_id, _, epoch = session_id.partition(".")
    if not (user_id.isdigit() and epoch.isdigit() and len(user_id) < 11):
        return None
    user = session.get(User, int(user_id))
    return user if user is not None and user.active and (user.session_epoch or 0) == int(epoch) else None


def end_sessions(session: Session, user: User, *, now: datetime, reason: str = "signed_out") -> None:
    """Sign out everywhere: every session cookie issued to `user` so far stops working (tokens are kept)."""
    _end_everything(session, user.id, now=now, reason=reason)
    session.commit()


def _end_everything(session: Session, user_id: int, *, now: datetime, reason: str) -> None:
    session.execute(update(User).where(User.id == user_id).values(session_epoch=User.session_epoch + 1))
    live = (UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    session.execute(update(UserSession).where(*live).values(ended_at=now, end_reason=reason))


def set_password(session: Session, user: User, password: object, *, now: datetime) -> None:
    """A new password (the policy applies): every session and API token of the account ends, the sign-in
    lockout is cleared, outstanding emailed links die, and the address counts as confirmed (only its owner
    could have followed the reset link). The caller commits."""
    check_password(password, user.email)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    user.confirmed_at = user.confirmed_at or now
    _end_everything(session, user.id, now=now, reason="reset")
    live = (ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    session.execute(update(ApiToken).where(*live).values(revoked_at=now))
    unused = (AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
    session.execute(update(AccountToken).where(*unused).values(used_at=now))


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


def actor_for_token(session: Session, token: str, *, now: datetime) -> Actor | None:
    """The actor of a live token, or None: `user_for_token` as one Core query (every API call runs it)."""
    row = session.connection().execute(_token_stmt(), {"digest": _digest(token), "now": now}).first()
    return Actor(*row) if row else None


@lru_cache(maxsize=1)
def _token_stmt():
    t, u = ApiToken.__table__.c, User.__table__.c
    return (
        select(u.id, u.role, u.patient_id, u.clinician_id)
        .select_from(ApiToken.__table__.join(User.__table__, u.id == t.user_id))
        .where(t.token_hash == bindparam("digest"), t.revoked_at.is_(None), t.expires_at > bindparam("now"))
        .where(u.active.is_(True))
    )


def revoke_token(session: Session, token: str, *, now: datetime) -> bool:
    """Revoke a token (sign-out); True when it existed."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is None:
        return False
    row.revoked_at = row.revoked_at or now
    session.commit()
    return True
