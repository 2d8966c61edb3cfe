"""The client assertion of SMART Backend Services ("client-confidential-asymmetric"): a JWT the client signs
with one of its registered keys, checked by Authlib's RFC 7523 client authentication (joserfc underneath).

What SMART asks of it, beyond Authlib's defaults: the header names its key (`kid`), carries no `jku` (we keep
no JWK Set URL, so SMART's rule "a jku not registered fails" refuses every one), and is signed RS384 or ES384;
iss = sub = client_id; aud = our token URL exactly; exp at most five minutes ahead; a jti not used before by
this client. Times are read against the app clock, with a minute of leeway for the client's clock.
"""

from __future__ import annotations

from datetime import datetime

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ALGORITHMS = ("RS384", "ES384")
AUTH_METHOD = "private_key_jwt"  # the name SMART (and RFC 8414 metadata) give this client authentication
MAX_LIFETIME = 300  # seconds: "exp ... SHALL be no more than five minutes in the future"
LEEWAY = 60  # seconds of clock skew allowed either way (Authlib's default)
MAX_JTI = 200  # fhir_client_tokens.jti


class ClientAssertion(JWTBearerClientAssertion):
    """Authlib's `private_key_jwt` check, bound to one token request: our token URL, the app clock, and a
    `seen(client_id, jti)` look-up of assertions used before. Keeps the accepted assertion's `jti`."""

    CLIENT_AUTH_METHOD = AUTH_METHOD

    def __init__(self, *, audience: str, now: datetime, seen):
        super().__init__(validate_jti=True, leeway=LEEWAY)
        self.audience, self.now, self.seen = audience, now, seen
        self.jti: str | None = None

    def __call__(self, query_client, request):
        form = request.form
        if not form.get("client_assertion_type") or not form.get("client_assertion"):
            raise InvalidClientError(description=f"Send client_assertion_type and client_assertion ({AUTH_METHOD}).")
        if form["client_assertion_type"] != self.CLIENT_ASSERTION_TYPE:
            raise InvalidClientError(description=f"client_assertion_type must be {self.CLIENT_ASSERTION_TYPE}.")
        return super().__call__(query_client, request)

    def get_audiences(self) -> list[str]:
        return [self.audience]

    def resolve_client_public_key(self, client) -> KeySet:
        return KeySet.import_key_set(client.jwks)

    def extract_assertion(self, assertion: str):
        headers, claims = super().extract_assertion(assertion)
        _check_header(headers)
        return headers, claims

    def process_assertion_claims(self, assertion, resolve_key):
        """Verify the signature with the client's key named by `kid`, then the claims."""
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ALGORITHMS)
        except JoseError as exc:
            raise InvalidClientError(description=plain(f"The assertion's signature does not verify: {exc}")) from exc
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims) -> None:
        now = int(self.now.timestamp())
        essential = {"essential": True}
        registry = jwt.JWTClaimsRegistry(
            now=now, leeway=self.leeway, iss=essential, sub=essential, exp=essential, jti=essential,
            aud={"essential": True, "value": self.audience},
        )  # fmt: skip
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidClientError(description=_claim_problem(exc, self.audience)) from exc
        if claims["iss"] != claims["sub"]:
            raise InvalidClientError(description="iss and sub must both be the client_id.")
        if claims["exp"] > now + MAX_LIFETIME + self.leeway:
            raise InvalidClientError(description="exp must be at most five minutes ahead.")
        if len(claims["jti"]) > MAX_JTI or not claims["jti"].isprintable():
            raise InvalidClientError(description=f"jti must be printable text of at most {MAX_JTI} characters.")
        if not self.validate_jti(claims, claims["jti"]):
            raise InvalidClientError(description="This assertion (its jti) was used before: sign a new one.")
        self.jti = claims["jti"]

    def validate_jti(self, claims, jti) -> bool:
        return not self.seen(claims["sub"], jti)


def _check_header(headers: dict) -> None:
    if headers.get("jku") is not None:
        raise InvalidClientError(description="jku is not accepted: we verify against the registered key set.")
    if not isinstance(headers.get("kid"), str) or not headers["kid"]:
        raise InvalidClientError(description="The assertion's header must name its key (kid).")
    if headers.get("alg") not in ALGORITHMS:
        raise InvalidClientError(description=f"The assertion must be signed {' or '.join(ALGORITHMS)}.")


def _claim_problem(exc: JoseError, audience: str) -> str:
    """What is wrong with a claim, in words (the token URL named when it is `aud`)."""
    text = f"The assertion's claims are not valid: {exc}."
    return plain(text + f" aud must be {audience}." if "aud" in str(exc) else text)


def plain(text: str) -> str:
    """`text` as an OAuth error_description may carry it: printable ASCII without a double quote or
    backslash (RFC 6749 section 5.2); Authlib refuses anything else."""
    kept = "".join(c if " " <= c <= "~" and c not in '"\\' else "'" if c == '"' else "?" for c in text)
    return kept[:500]
