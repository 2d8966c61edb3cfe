"""Account links by email: confirm a new address, and "forgot password" for every role that signs in.

Nothing here tells a caller whether an address has an account: the pages answer "check your email" either
way, and only the mailbox's owner learns more. A link is single-use (its `account_tokens` row is marked used
in the same UPDATE that checks it) and expires: 24 hours to confirm an address, 1 hour to set a password.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from televisit.domain.errors import Forbidden
from televisit.models import AccountToken, User
from televisit.services.auth import check_password, find_user, set_password
from televisit.services.messaging import account_mail
from televisit.services.messaging.account_mail import CONFIRM, RESET

LASTS = {CONFIRM: timedelta(hours=24), RESET: timedelta(hours=1)}
NOT_VALID = "This link is not valid. Please use the newest email we sent, or ask for a new link."
SPENT = "This link has expired or has been used already. Please ask for a new one."


def _issue(session: Session, user: User, purpose: str, *, now: datetime) -> AccountToken:
    token = AccountToken(user_id=user.id, purpose=purpose, created_at=now, expires_at=now + LASTS[purpose])
    session.add(token)
    session.flush()  # its id is the link
    return token


def send_confirmation(session: Session, user: User, *, now: datetime) -> None:
    """A link that confirms a new sign-up's address (the caller commits)."""
    account_mail.plan(session, user, _issue(session, user, CONFIRM, now=now), "confirm", now=now)


def already_registered(session: Session, user: User, *, now: datetime) -> None:
    """Someone signed up with the address of `user`: tell its owner, with a link to set a new password.
    Nothing for an account an admin has switched off (the caller commits)."""
    if user.active:
        account_mail.plan(session, user, _issue(session, user, RESET, now=now), "exists", now=now)


def request_reset(session: Session, email: str, *, now: datetime) -> None:
    """Forgot password: a reset link to `email` when an active account uses it; nothing otherwise. Commits."""
    user = find_user(session, email)
    if user is not None and user.active:
        account_mail.plan(session, user, _issue(session, user, RESET, now=now), "reset", now=now)
    session.commit()


def _claims(session: Session, secret: str, purpose: str, link: object) -> tuple[AccountToken, User]:
    ids = account_mail.read(secret, purpose, link)
    token = session.get(AccountToken, ids[0]) if ids else None
    user = session.get(User, token.user_id) if token else None
    if token is None or user is None or token.user_id != ids[1] or token.purpose != purpose or not user.active:
        raise Forbidden(NOT_VALID)
    return token, user


def _redeem(session: Session, token: AccountToken, *, now: datetime) -> bool:
    """Mark the link used, in one UPDATE that also checks it is unused and unexpired: it works once."""
    t = AccountToken.__table__.c
    spend = update(AccountToken.__table__).where(t.id == token.id, t.used_at.is_(None), t.expires_at > now)
    return session.execute(spend.values(used_at=now)).rowcount == 1


def confirm(session: Session, secret: str, link: object, *, now: datetime) -> User:
    """Confirm the address a confirmation link was sent to; the same answer when it already is. Commits."""
    token, user = _claims(session, secret, CONFIRM, link)
    if not _redeem(session, token, now=now):
        session.rollback()
        if user.confirmed_at is None:
            raise Forbidden(SPENT)
        return user
    user.confirmed_at = user.confirmed_at or now
    session.commit()
    return user


def reset_target(session: Session, secret: str, link: object, *, now: datetime) -> User:
    """The user a reset link may set a password for (Forbidden when it is not valid, used or expired)."""
    token, user = _claims(session, secret, RESET, link)
    _unspent(token, now)
    return user


def _unspent(token: AccountToken, now: datetime) -> None:
    if token.used_at is not None or token.expires_at <= now:
        raise Forbidden(SPENT)


def reset_password(session: Session, secret: str, link: object, password: object, *, now: datetime) -> User:
    """Set a new password through a reset link: the policy first (a refused password leaves the link usable),
    then the link is spent, and every other session and API token of the account ends. Commits."""
    token, user = _claims(session, secret, RESET, link)
    _unspent(token, now)
    check_password(password, user.email)
    if not _redeem(session, token, now=now):  # spent meanwhile by a concurrent request
        session.rollback()
        raise Forbidden(SPENT)
    set_password(session, user, password, now=now)
    session.commit()
    return user
