"""SMART Backend Services clients (an EHR calling the FHIR facade): register, list, revoke.

Each client acts through its own service user (role scheduler), so the audit trail and `created_by_user_id`
name it. That user can never sign in, three times over: it is not active (the users page says "cannot sign
in", every sign-in path and "forgot password" refuse an inactive user), its password hash is no hash at all
(Werkzeug's check of any password against it is False, should an admin switch it on), and its address is on
the reserved `.invalid` domain (RFC 2606), so no emailed link can reach anyone. The client's tokens do not
depend on that flag. Revoking a client ends its tokens at once (they are checked against `revoked_at` on
every call).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import smart_scopes
from televisit.domain.errors import Invalid, NotFound
from televisit.domain.roles import SCHEDULER
from televisit.domain.validation import CONTROL_CHARACTERS, has_control_characters
from televisit.models import FhirClient, User
from televisit.services import audit
from televisit.services.audit import Access
from televisit.services.integrations.keys import public_key_set

SERVICE_DOMAIN = "fhir-clients.invalid"
# Not a Werkzeug hash ("method$salt$hash"): check_password_hash answers False for every password.
NO_PASSWORD = "!fhir-client: no password, cannot sign in"


def register(session: Session, *, name: str, jwks: str | dict, scopes, ctx: audit.Context, now: datetime) -> FhirClient:
    """A new client with its service user; Invalid (fields `name`, `jwks`, `scopes`) when any is wrong. Commits."""
    name = (name or "").strip()
    errors = _name_problem(name) | _scope_problem(scopes)
    try:
        key_set = public_key_set(jwks)
    except Invalid as exc:
        errors |= exc.fields
    if errors:
        raise Invalid(errors, "The client was not registered.")
    client_id = secrets.token_hex(16)  # 128 random bits, URL-safe
    user = _service_user(session, client_id, name, now)
    scope_text = " ".join(_scope_list(scopes))
    client = FhirClient(
        client_id=client_id, name=name, jwks=key_set, scopes=scope_text, user_id=user.id, created_at=now
    )
    session.add(client)
    session.flush()
    audit.stage(session, ctx, Access("fhir_client.register", "fhir_client", client.id), now=now)
    session.commit()
    return client


def _name_problem(name: str) -> dict[str, str]:
    if not name or len(name) > 120:
        return {"name": "Please enter the client's name (1 to 120 characters), e.g. the EHR it is."}
    if has_control_characters(name):
        return {"name": CONTROL_CHARACTERS}
    return {}


def _scope_list(scopes) -> list[str]:
    texts = scopes.split() if isinstance(scopes, str) else [s.strip() for s in scopes or () if s.strip()]
    return list(dict.fromkeys(texts))


def _scope_problem(scopes) -> dict[str, str]:
    texts = _scope_list(scopes)
    if not texts:
        return {"scopes": "Please choose at least one scope the client may ask for."}
    unknown = [t for t in texts if not ((s := smart_scopes.parse(t)) and smart_scopes.registrable(s))]
    if unknown:
        offered = " ".join(smart_scopes.REGISTRABLE)
        return {"scopes": f"Not a scope a client may hold: {', '.join(unknown)}. Choose from: {offered}."}
    return {}


def _service_user(session: Session, client_id: str, name: str, now: datetime) -> User:
    user = User(
        email=f"{client_id}@{SERVICE_DOMAIN}",
        name=f"FHIR client: {name}"[:120],
        role=SCHEDULER,
        password_hash=NO_PASSWORD,
        active=False,  # "may sign in": never (the client's tokens do not read this flag)
        created_at=now,
        confirmed_at=now,
    )
    session.add(user)
    session.flush()
    return user


def list_clients(session: Session) -> list[FhirClient]:
    """Every client, newest first (revoked ones too: the page says so)."""
    return list(session.scalars(select(FhirClient).order_by(FhirClient.created_at.desc(), FhirClient.id.desc())))


def get_client(session: Session, client_id: str) -> FhirClient:
    """The client with `client_id`, or NotFound."""
    client = None
    if len(client_id) <= 80 and client_id.isprintable():  # a NUL, say, would fail PostgreSQL: it is no client
        client = session.scalars(select(FhirClient).where(FhirClient.client_id == client_id)).first()
    if client is None:
        raise NotFound(f"No FHIR client with client_id {client_id!r}.")
    return client


def revoke(session: Session, client_id: str, *, ctx: audit.Context, now: datetime) -> FhirClient:
    """Revoke a client: its tokens stop working at once and it gets no new ones. Revoking again changes
    nothing. Commits."""
    client = get_client(session, client_id)
    if client.revoked_at is None:
        client.revoked_at = now
        audit.stage(session, ctx, Access("fhir_client.revoke", "fhir_client", client.id), now=now)
    session.commit()
    return client
