"""A SMART Backend Services client for tests: key pairs made with `cryptography`, registered through the CLI,
assertions signed with joserfc (Authlib's JOSE library), tokens asked for over HTTP at /fhir/auth/token."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from televisit import clock
from televisit.extensions import db

TOKEN_PATH = "/fhir/auth/token"
TOKEN_URL = "http://televisit.test" + TOKEN_PATH  # tests/conftest.py sets PUBLIC_URL to http://televisit.test
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def rsa_key(kid: str = "rsa-1", bits: int = 2048) -> RSAKey:
    """A new RSA key pair (RS384)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return RSAKey.import_key(private, parameters={"kid": kid, "alg": "RS384", "use": "sig"})


def ec_key(kid: str = "ec-1", curve: ec.EllipticCurve | None = None) -> ECKey:
    """A new EC key pair (P-384, ES384, unless another curve is given)."""
    private = ec.generate_private_key(curve or ec.SECP384R1())
    return ECKey.import_key(private, parameters={"kid": kid})


def public_set(*keys) -> dict:
    """The JWK Set of the keys' public halves."""
    return {"keys": [key.as_dict(private=False) for key in keys]}


@dataclass
class SmartClient:
    """A registered client: its id and its keys (the first signs unless told otherwise)."""

    client_id: str
    keys: list = field(default_factory=list)

    def assertion(self, *, key=None, header: dict | None = None, **claims) -> str:
        """A signed authentication JWT; `claims` override (None drops one), `header` adds to the header."""
        key = key or self.keys[0]
        alg = "RS384" if isinstance(key, RSAKey) else "ES384"
        now = int(clock.now().timestamp())
        body = {"iss": self.client_id, "sub": self.client_id, "aud": TOKEN_URL, "exp": now + 240,
                "jti": uuid.uuid4().hex} | claims  # fmt: skip
        head = {"alg": alg, "kid": key.kid, "typ": "JWT"} | (header or {})
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(head, body, key, algorithms=[head["alg"]])

    def form(self, scope: str | None = "system/Slot.read", **assertion_claims) -> dict:
        """The token request's form for a fresh assertion."""
        data = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
                "client_assertion": self.assertion(**assertion_claims)}  # fmt: skip
        return data | ({"scope": scope} if scope is not None else {})

    def token(self, http, scope: str = "system/Slot.read") -> dict:
        """A token over HTTP (asserts a 200); returns the token response."""
        r = http.post(TOKEN_PATH, data=self.form(scope))
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()


def register(app, keys, scopes: str = "system/Slot.read system/Appointment.write", name="Test EHR") -> SmartClient:
    """Register a client through `flask fhir-clients add` (the JWK Set on stdin); returns it."""
    result = app.test_cli_runner().invoke(
        args=["fhir-clients", "add", "--name", name, "--jwks-file", "-", "--scopes", scopes],
        input=json.dumps(public_set(*keys)),
    )
    assert result.exit_code == 0, result.output
    db.session.commit()  # the command ran in the test's app context: end its transaction (SQLite's write lock)
    client_id = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{32}", client_id), result.output
    return SmartClient(client_id, list(keys))


def bearer(token: dict) -> dict:
    """The Authorization header of a token response."""
    return {"Authorization": f"Bearer {token['access_token']}"}
