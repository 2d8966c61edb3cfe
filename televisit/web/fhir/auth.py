"""Who calls the facade, and what they may do.

Two kinds of bearer token: the JSON API's (a person: the API's rules hold, a patient sees only their own
appointments and record) and a SMART Backend Services client's (a system: its granted scopes, e.g.
`system/Slot.read` or `system/Appointment.write`, SMART v1, or `system/Slot.rs`, SMART v2). The directory
(Location, Practitioner, PractitionerRole, HealthcareService, Schedule) and Slot are public as in `/api/v1`,
but a client token presented is still held to its scopes. Page session cookies are not read here: the
facade is for programs, so it needs no CSRF defence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import request

from televisit import clock
from televisit.domain.errors import Forbidden, Unauthorized
from televisit.domain.roles import Actor
from televisit.extensions import db
from televisit.services.auth import actor_for_token
from televisit.services.integrations.tokens import client_for_token
from televisit.web.auth import ACTOR_KEY, bearer_token

CALLER_KEY = "televisit.fhir_caller"
READ, WRITE = "read", "write"
V2 = {READ: set("rs"), WRITE: set("cud")}


@dataclass(frozen=True)
class Caller:
    """The caller: `actor` None when anonymous; `scopes` None for a person's token (their role's rules)."""

    actor: Actor | None
    scopes: frozenset[str] | None = None

    @property
    def is_system(self) -> bool:
        return self.scopes is not None

    def may(self, resource_type: str, mode: str) -> bool:
        """Whether the granted scopes allow `mode` (read/write) on `resource_type` (always, for a person)."""
        return self.scopes is None or any(_allows(s, resource_type, mode) for s in self.scopes)


def _allows(scope: str, resource_type: str, mode: str) -> bool:
    context, _, rest = scope.partition("/")
    kind, _, perm = rest.partition(".")
    if context != "system" or kind not in ("*", resource_type):
        return False
    if perm in ("*", mode):
        return True
    return bool(perm) and set(perm) <= set("cruds") and bool(set(perm) & V2[mode])


def current_caller() -> Caller:
    """The caller of this request (cached in its environ); a bad token is a 401, never anonymous."""
    if CALLER_KEY in request.environ:
        return request.environ[CALLER_KEY]
    token = bearer_token()
    if token:
        caller = _caller_of(token)
    elif request.headers.get("Authorization"):
        raise Unauthorized("Use 'Authorization: Bearer <token>'.")
    else:
        caller = Caller(None)
    request.environ[CALLER_KEY] = caller
    # The audit trail (web/audit.py) reads the actor through web.auth: a system client's is its service user.
    request.environ[ACTOR_KEY] = caller.actor
    return caller


def _caller_of(token: str) -> Caller:
    now = clock.now()
    actor = actor_for_token(db.session, token, now=now)
    if actor is not None:
        return Caller(actor)
    client = client_for_token(db.session, token, now=now)
    if client is None:
        raise Unauthorized("The token is invalid, expired or revoked.")
    return Caller(*client)


def allowed(resource_type: str, mode: str = READ, *, public: bool = False, roles: tuple[str, ...] = ()):
    """Refuse a caller who may not `mode` `resource_type`: anonymous (401) unless `public`, a client token
    without the scope (403), a person whose role is not in `roles` when given (403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            caller = current_caller()
            if caller.actor is None and not public:
                raise Unauthorized("Send a bearer token: the API's, or a SMART Backend Services client's.")
            if not caller.may(resource_type, mode):
                raise Forbidden(f"This token's scopes do not allow {mode} of {resource_type}.")
            if roles and caller.actor is not None and not caller.is_system and caller.actor.role not in roles:
                raise Forbidden("Your role may not do this.")
            return view(*args, **kwargs)

        if not public:
            wrapped.signed_in_only = True  # never a public read (web/caching.py: no-store)
        return wrapped

    return decorator
