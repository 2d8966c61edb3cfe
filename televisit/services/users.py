"""Users and roles for the admin pages: list, read, change name, role and whether they may sign in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.errors import Invalid, NotFound
from televisit.domain.roles import CLINICIAN, PATIENT, ROLES, STAFF, Actor
from televisit.domain.validation import CONTROL_CHARACTERS, has_control_characters
from televisit.models import Clinician, User


def list_users(session: Session, *, role: str | None = None) -> list[User]:
    """Users, staff roles first, then by email."""
    stmt = select(User).order_by(User.role, User.email)
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    return list(session.scalars(stmt))


def get_user(session: Session, user_id: int) -> User:
    """The user or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def _check(user: User, role: str, active: bool, actor: Actor) -> dict[str, str]:
    errors = {}
    if role not in ROLES:
        errors["role"] = f"one of {', '.join(ROLES)}"
    elif (user.role == PATIENT) != (role == PATIENT):
        # a patient user *is* its patient record; staff and patients are separate sign-ins
        errors["role"] = "a patient stays a patient, and staff stay staff (one of " + ", ".join(STAFF) + ")"
    if user.id == actor.user_id and (role != user.role or not active):
        errors["role" if role != user.role else "active"] = "you cannot demote or deactivate yourself"
    return errors


def update_user(session: Session, user_id: int, *, name: str, role: str, active: bool, actor: Actor) -> User:
    """Change a user's name, role (within staff) and whether they may sign in."""
    user = get_user(session, user_id)
    errors = _check(user, role, active, actor)
    if has_control_characters(name):
        errors["name"] = CONTROL_CHARACTERS
    elif not name or len(name) > 120:
        errors["name"] = "1 to 120 characters"
    if errors:
        raise Invalid(errors)
    user.name, user.role, user.active = name, role, active
    if role == CLINICIAN and user.clinician_id is None:
        user.clinician_id = session.scalars(select(Clinician.id).where(Clinician.email == user.email)).first()
    elif role != CLINICIAN:
        user.clinician_id = None
    session.commit()
    return user
