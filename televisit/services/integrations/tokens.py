"""Access tokens of SMART Backend Services clients: the token endpoint's work, and the look-up of a token.

The endpoint is Authlib's OAuth 2.0 authorization server with one grant, `client_credentials`, and one client
authentication, `private_key_jwt` (services/integrations/assertion.py). A client is granted, for five minutes,
the part of the scopes it asks for that its registration allows (domain/smart_scopes.py); nothing left is
`invalid_scope`. Only a token's SHA-256 is stored, with the scopes granted and the assertion's `jti`: the
unique (client, jti) key makes the database refuse a replayed assertion even when both copies arrive at once.
Answers and errors are OAuth 2.0's JSON (RFC 6749 section 5), never an OperationOutcome.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientCredentialsGrant,
    ClientMixin,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnsupportedGrantTypeError,
)
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from televisit.domain import smart_scopes
from televisit.domain.roles import SCHEDULER, Actor
from televisit.models import FhirClient, FhirClientToken
from televisit.services.integrations.assertion import AUTH_METHOD, ClientAssertion, plain

LIFETIME = 300  # seconds; SMART: "expires_in SHOULD NOT exceed 300"
KEEP_USED = timedelta(hours=1)  # a spent token's row (and its jti) outlives any assertion that could replay it
MAX_SCOPE_CHARS = 2000
MAX_CLIENT_ID = 80  # fhir_clients.client_id


def issue(session: Session, request, *, token_url: str, now: datetime) -> tuple[int, dict, list]:
    """Answer a token request: `request` is an Authlib OAuth2Request whose `form` is the posted form;
    `token_url` is the one `aud` an assertion may name. Returns (status, JSON body, headers)."""
    return _Server(session, token_url=token_url, now=now).create_token_response(request)


def refused(description: str) -> tuple[int, dict, list]:
    """An `invalid_request` answer for a request the web layer could not hand over (e.g. plain HTTP)."""
    return InvalidRequestError(description=plain(description))()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class _Client(ClientMixin):
    """A registered client as Authlib sees it."""

    def __init__(self, row: FhirClient):
        self.row, self.jwks = row, row.jwks

    def get_client_id(self) -> str:
        return self.row.client_id

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == AUTH_METHOD and endpoint == "token"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(smart_scopes.grant(scope or "", self.row.scopes))


class _ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]


class _Server(AuthorizationServer):
    """One token request's server: the session, the clock and our token URL are this request's."""

    def __init__(self, session: Session, *, token_url: str, now: datetime):
        super().__init__()
        self.session, self.now = session, now
        self.assertion = ClientAssertion(audience=token_url, now=now, seen=self._seen)
        self.register_grant(_ClientCredentials)
        self.register_client_auth_method(AUTH_METHOD, self.assertion)
        self.register_token_generator("default", self._new_token)

    def create_token_response(self, request=None):
        try:
            _well_formed(request.form)
        except OAuth2Error as error:
            return self.handle_error_response(request, error)
        return super().create_token_response(request)

    def create_oauth2_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, headers

    def send_signal(self, name, *args, **kwargs) -> None:
        """Authlib's hook for signals (Flask's integration sends blinker signals): nothing listens here."""

    def query_client(self, client_id: str) -> _Client | None:
        """A registered, unrevoked client; None otherwise (invalid_client). Read from the assertion before its
        signature is checked: whatever is not an id is no client, and never reaches the database."""
        if len(client_id) > MAX_CLIENT_ID or not client_id.isprintable():
            return None
        live = (FhirClient.client_id == client_id, FhirClient.revoked_at.is_(None))
        row = self.session.scalars(select(FhirClient).where(*live)).first()
        return _Client(row) if row is not None else None

    def _seen(self, client_id: str, jti: str) -> bool:
        used = select(FhirClientToken.id).join(FhirClient).where(FhirClient.client_id == client_id)
        return self.session.scalars(used.where(FhirClientToken.jti == jti)).first() is not None

    def _new_token(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        granted = client.get_allowed_scope(scope)
        if not granted:
            raise InvalidScopeError(description=_scope_refusal(scope, client.row.scopes))
        # SMART's token response: token_type "bearer", no refresh token (Backend Services SHOULD NOT issue one).
        return {"access_token": secrets.token_urlsafe(32), "token_type": "bearer", "expires_in": LIFETIME,
                "scope": granted}  # fmt: skip

    def save_token(self, token: dict, request) -> None:
        """Store the token's hash (its jti's second use fails the unique key: invalid_client) and forget this
        client's tokens long expired."""
        row = request.client.row
        self.session.execute(
            delete(FhirClientToken).where(
                FhirClientToken.client_id == row.id, FhirClientToken.expires_at < self.now - KEEP_USED
            )
        )
        self.session.add(
            FhirClientToken(
                token_hash=_digest(token["access_token"]), client_id=row.id, scopes=token["scope"],
                jti=self.assertion.jti, created_at=self.now, expires_at=self.now + timedelta(seconds=LIFETIME),
            )
        )  # fmt: skip
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            raise InvalidClientError(description="This assertion (its jti) was used before: sign a new one.") from None


def _well_formed(form) -> None:
    """RFC 6749's rules for the form itself: client_credentials, no parameter twice, a bounded scope."""
    if not form.get("grant_type"):
        raise InvalidRequestError(description="Send grant_type=client_credentials (form-encoded, in the body).")
    if form["grant_type"] != "client_credentials":
        error = UnsupportedGrantTypeError(plain(form["grant_type"][:100]))
        error.description = "The only grant_type here is client_credentials (SMART Backend Services)."
        raise error
    repeated = sorted(key for key, values in form.lists() if len(values) > 1)
    if repeated:
        raise InvalidRequestError(description=plain(f"Each parameter at most once: {', '.join(repeated)} repeated."))
    if len(form.get("scope", "")) > MAX_SCOPE_CHARS:
        raise InvalidScopeError(description=f"scope is too long (at most {MAX_SCOPE_CHARS} characters).")


def _scope_refusal(requested: str | None, registered: str) -> str:
    if not requested:
        return f"Ask for a scope (space-separated), e.g. one of: {registered}."
    return f"None of the scopes asked for is allowed to this client. It may ask for: {registered}."


def client_for_token(session: Session, token: str, *, now: datetime) -> tuple[Actor, frozenset[str]] | None:
    """The actor (the client's service user, acting as a scheduler) and the granted scopes of a live client
    token, or None: unknown, expired, or its client revoked since it was issued."""
    row = session.connection().execute(_token_stmt(), {"digest": _digest(token), "now": now}).first()
    if row is None:
        return None
    return Actor(row.user_id, SCHEDULER), frozenset(row.scopes.split())


@lru_cache(maxsize=1)
def _token_stmt():
    t, c = FhirClientToken.__table__.c, FhirClient.__table__.c
    return (
        select(c.user_id, t.scopes)
        .select_from(FhirClientToken.__table__.join(FhirClient.__table__))
        .where(t.token_hash == bindparam("digest"), t.expires_at > bindparam("now"), c.revoked_at.is_(None))
    )
