"""Access tokens of SMART Backend Services clients (placeholder until the token endpoint lands)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain.roles import Actor


def client_for_token(session: Session, token: str, *, now: datetime) -> tuple[Actor, frozenset[str]] | None:
    """The actor (the client's service user) and the granted scopes of a live client token, or None."""
    return None
