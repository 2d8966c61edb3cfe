"""Sign-in sessions kept on the server: an idle timeout and an absolute lifetime (docs/security.md).

The session cookie (signed by Flask) carries the user's id and epoch (services/auth.py) and a random key;
the key's SHA-256 names a `user_sessions` row. Every page request and every waiting-room event checks the
row on the app clock (televisit/clock.py): no activity for `idle`, or `lifetime` since sign-in, ends it.
Activity is written at most once a minute, so a busy page costs one read, not one write, per request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from televisit.models import User, UserSession
from televisit.services.auth import user_for_session

IDLE, LIFETIME = "idle", "lifetime"
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Limits:
    """How long a session lasts without activity, and at most."""

    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=12)

    def message(self, reason: str) -> str:
        """What the person is told when a session ends for `reason` (idle or lifetime), in plain words."""
        if reason == IDLE:
            return f"You were signed out after {_span(self.idle)} without activity. Please sign in again."
        return f"You were signed out because you signed in more than {_span(self.lifetime)} ago. Please sign in again."


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class Resumed:
    """A cookie's session: the user while it is live; else None and why it ended (None: it never was one)."""

    user: User | None
    expired: str | None = None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(session: Session, user: User, *, now: datetime) -> str:
    """A new session for `user`; returns the key for the cookie (only its hash is stored). Commits."""
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, key_hash=_digest(key), created_at=now, last_seen_at=now))
    session.commit()
    return key


def _row(session: Session, key: object) -> UserSession | None:
    if not isinstance(key, str) or not key or len(key) > 100:
        return None
    return session.scalars(select(UserSession).where(UserSession.key_hash == _digest(key))).first()


def expiry(row: UserSession, now: datetime, limits: Limits) -> str | None:
    """Why the session is over at `now` (idle or lifetime), or None while it lasts."""
    if now - row.created_at >= limits.lifetime:
        return LIFETIME
    if now - row.last_seen_at >= limits.idle:
        return IDLE
    return None


def check(session: Session, key: object, user_id: int, *, now: datetime, limits: Limits) -> str | None:
    """None while the session `key` of `user_id` lasts (this counts as activity); else why it is over:
    idle, lifetime, or "ended" (signed out, reset, or not a session of this user). Commits what it writes."""
    row = _row(session, key)
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return row.end_reason if row is not None and row.ended_at is not None else "ended"
    reason = expiry(row, now, limits)
    if reason:
        _end(session, row.id, now, reason)
    elif now - row.last_seen_at >= TOUCH_EVERY:
        live = (UserSession.id == row.id, UserSession.ended_at.is_(None))
        session.execute(update(UserSession).where(*live).values(last_seen_at=now))
        session.commit()
    return reason


def _end(session: Session, row_id: int, now: datetime, reason: str) -> None:
    live = (UserSession.id == row_id, UserSession.ended_at.is_(None))
    session.execute(update(UserSession).where(*live).values(ended_at=now, end_reason=reason))
    session.commit()


def resume(session: Session, cookie_id: str, key: object, *, now: datetime, limits: Limits) -> Resumed:
    """The user a session cookie speaks for (its id "<user>.<epoch>" and key), if its session still lasts."""
    user = user_for_session(session, cookie_id)
    if user is None:
        return Resumed(None)
    reason = check(session, key, user.id, now=now, limits=limits)
    if reason is None:
        return Resumed(user)
    return Resumed(None, reason if reason in (IDLE, LIFETIME) else None)
