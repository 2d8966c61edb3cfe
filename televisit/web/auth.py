"""Who is calling: a bearer token (API) or the session cookie (pages)."""

from __future__ import annotations

from functools import wraps

from flask import request
from flask_login import current_user

from televisit import clock
from televisit.domain.errors import Forbidden, Unauthorized
from televisit.domain.roles import Actor
from televisit.extensions import db
from televisit.services.auth import actor_for_token, actor_of

ACTOR_KEY = "televisit.actor"


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_actor() -> Actor | None:
    """The caller, or None when anonymous. A bad bearer token is refused outright."""
    # Cached per request (in its WSGI environ), not in `g`: an app context can outlive a request
    # (tests, in-process jobs), and a cached actor must never answer for the next request.
    if ACTOR_KEY in request.environ:
        return request.environ[ACTOR_KEY]
    token = bearer_token()
    if token:
        actor = actor_for_token(db.session, token, now=clock.now())
        if actor is None:
            raise Unauthorized("The token is invalid, expired or revoked.")
    elif request.headers.get("Authorization"):
        raise Unauthorized("Use 'Authorization: Bearer <token>'.")
    else:
        actor = actor_of(current_user) if current_user.is_authenticated else None
    request.environ[ACTOR_KEY] = actor
    return actor


def roles_required(*roles: str):
    """Refuse anonymous callers (401) and other roles (403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                raise Unauthorized("Sign in first.")
            if roles and actor.role not in roles:
                raise Forbidden("Your role may not do this.")
            return view(*args, **kwargs)

        wrapped.signed_in_only = True  # never a public read (web/caching.py: no-store)
        return wrapped

    return decorator
