"""SMART Backend Services for systems (an EHR): `POST /fhir/auth/token` and the discovery document
`GET /fhir/.well-known/smart-configuration` (SMART App Launch: "Backend Services", "Conformance").

The token URL is `TELEVISIT_PUBLIC_URL` + `/fhir/auth/token`: the one URL discovery names and the one `aud`
an assertion may carry. Not the URL this request happened to reach: that comes from the Host header, which
the caller writes, and SMART asks for "the same URL to which this authentication JWT will be posted", i.e.
the one we published. The token endpoint answers OAuth 2.0's JSON, errors included (never an OperationOutcome),
and is rate-limited per client address (`TELEVISIT_FHIR_TOKEN_RATE_LIMIT`).
"""

from __future__ import annotations

import json

from authlib.oauth2.rfc6749 import InsecureTransportError, OAuth2Payload, OAuth2Request
from flask import Response, current_app, jsonify, request, url_for

from televisit import clock
from televisit.domain.smart_scopes import REGISTRABLE
from televisit.extensions import db, limiter
from televisit.services.integrations import tokens
from televisit.services.integrations.assertion import ALGORITHMS, AUTH_METHOD
from televisit.web.fhir.blueprint import bp
from televisit.web.security import limited

THROTTLED = "Too many token requests from this address; retry after the time in Retry-After."


class _FormRequest(OAuth2Request):
    """The token request as Authlib reads it: parameters from the form body only (never the query string,
    which proxies log)."""

    def __init__(self, req):
        super().__init__(req.method, req.url, headers=req.headers)
        self._form = req.form
        self.payload = _FormPayload(req.form)

    @property
    def form(self):
        return self._form


class _FormPayload(OAuth2Payload):
    """Authlib's view of the posted parameters (the first value of each; repeats are refused by the service)."""

    def __init__(self, form):
        self._data, self._datalist = form.to_dict(), form.to_dict(flat=False)

    @property
    def data(self) -> dict:
        return self._data

    @property
    def datalist(self) -> dict:
        return self._datalist


def token_url() -> str:
    """The token endpoint's public URL: discovery names it, and an assertion's `aud` must be it."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("fhir.token")


def _oauth_answer(status: int, body: dict, headers) -> Response:
    return Response(json.dumps(body), status=status, headers=list(headers), mimetype="application/json")


def _throttled(_limit) -> Response:
    return _oauth_answer(429, {"error": "temporarily_unavailable", "error_description": THROTTLED}, ())


_token_limit = limiter.limit(
    lambda: current_app.config.get("FHIR_TOKEN_RATE_LIMIT", "30 per minute"),
    scope="fhir-token",
    methods=["POST"],
    on_breach=_throttled,
)


@bp.post("/auth/token")
@limited(_token_limit)
def token():
    """client_credentials with a `private_key_jwt` assertion: a five-minute bearer token, or an OAuth error."""
    try:
        oauth_request = _FormRequest(request)
    except InsecureTransportError:
        return _oauth_answer(*tokens.refused("Use HTTPS: tokens are only issued over TLS."))
    return _oauth_answer(*tokens.issue(db.session, oauth_request, token_url=token_url(), now=clock.now()))


@bp.get("/.well-known/smart-configuration")
def smart_configuration():
    """What a Backend Services client needs to know (SMART "Conformance"). No authorization endpoint, so
    no `code_challenge_methods_supported`: this server offers no App Launch, only client_credentials."""
    return jsonify(
        token_endpoint=token_url(),
        grant_types_supported=["client_credentials"],
        token_endpoint_auth_methods_supported=[AUTH_METHOD],
        token_endpoint_auth_signing_alg_values_supported=list(ALGORITHMS),
        scopes_supported=list(REGISTRABLE),
        capabilities=["client-confidential-asymmetric", "permission-v1", "permission-v2"],
    )
