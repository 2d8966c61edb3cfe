"""A client's public keys: the JWK Set an admin registers (SMART "client-confidential-asymmetric"), read with
joserfc. Kept: public RSA keys of 2048 bits or more (RS384) and EC P-384 keys (ES384), each with a `kid`
unique in the set. Refused: anything with private key material, symmetric keys, other curves or algorithms.

A P-256 key is refused too: SMART's algorithms are RS384 and ES384, and ES384 is defined on P-384 only
(RFC 7518 section 3.4), so such a key could sign no assertion we accept.
"""

from __future__ import annotations

import json
from typing import NoReturn

from joserfc import jwk
from joserfc.errors import JoseError

from televisit.domain.errors import Invalid

MAX_KEYS = 10
MAX_CHARS = 64 * 1024
ALGORITHMS = {"RSA": "RS384", "EC": "ES384"}
MIN_RSA_BITS = 2048
EC_CURVE = "P-384"
# Members that only a private (or symmetric) JWK has (RFC 7518 sections 6.2.2, 6.3.2 and 6.4.1).
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


def public_key_set(raw: str | dict) -> dict:
    """The JWK Set in `raw` (JSON text, or already parsed; one bare JWK is taken as a set of one) as it is
    stored; Invalid with field `jwks` saying what is wrong, in words an integration engineer can act on."""
    keys = _keys_of(_parsed(raw))
    checked = [_checked(i, key) for i, key in enumerate(keys, start=1)]
    kids = [key["kid"] for key in checked]
    if len(set(kids)) != len(kids):
        _refuse("Each key needs its own `kid`: two keys in this set share one.")
    return {"keys": checked}


def _refuse(problem: str) -> NoReturn:
    raise Invalid({"jwks": problem}, "The public key set is not one we can use.")


def _parsed(raw: str | dict) -> object:
    if not isinstance(raw, str):
        return raw
    if not raw.strip():
        _refuse("Paste the client's public key set (a JWK Set, JSON) or upload its file.")
    if len(raw) > MAX_CHARS:
        _refuse(f"The key set is too long (at most {MAX_CHARS // 1024} KB); a JWK Set of public keys is far smaller.")
    try:
        return json.loads(raw)
    except ValueError:
        _refuse('The key set is not JSON. Expected a JWK Set: {"keys": [{"kty": "RSA", "kid": "…", "n": "…", …}]}.')


def _keys_of(data: object) -> list:
    if isinstance(data, dict) and "kty" in data:
        data = {"keys": [data]}
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys:
        _refuse('Expected a JWK Set: a JSON object with a non-empty "keys" list.')
    if len(keys) > MAX_KEYS:
        _refuse(f"A key set may hold at most {MAX_KEYS} keys.")
    return keys


def _checked(index: int, key: object) -> dict:
    """One JWK, as stored (public members only), or a refusal naming the key."""
    if not isinstance(key, dict):
        _refuse(f"Key {index} is not a JSON object.")
    name = f"Key {index}" + (f" ({key['kid']})" if isinstance(key.get("kid"), str) and key["kid"] else "")
    if any(member in key for member in PRIVATE_MEMBERS):
        _refuse(f"{name} holds private key material. Register the PUBLIC keys only, and keep the private key secret.")
    kty = key.get("kty")
    if kty not in ALGORITHMS:
        _refuse(f"{name}: `kty` must be RSA or EC (an asymmetric signing key).")
    kid = key.get("kid")
    if not isinstance(kid, str) or not kid.strip() or len(kid) > 200 or not kid.isprintable():
        _refuse(f"{name} has no `kid`: every key needs one (an assertion's header names its key by it).")
    if key.get("alg", ALGORITHMS[kty]) != ALGORITHMS[kty]:
        _refuse(f"{name}: `alg` must be {ALGORITHMS[kty]} for an {kty} key (we accept RS384 and ES384).")
    if key.get("use", "sig") != "sig":
        _refuse(f'{name}: `use` must be "sig" (a signing key).')
    return _imported(name, key).as_dict(private=False)


def _imported(name: str, key: dict):
    try:
        imported = jwk.import_key(key)
    except (JoseError, ValueError, TypeError) as exc:
        _refuse(f"{name} is not a valid {key['kty']} public key ({exc}).")
    if imported.is_private:
        _refuse(f"{name} holds private key material. Register the PUBLIC keys only.")
    if key["kty"] == "RSA" and imported.raw_value.key_size < MIN_RSA_BITS:
        _refuse(f"{name}: an RSA key needs at least {MIN_RSA_BITS} bits (this one has {imported.raw_value.key_size}).")
    if key["kty"] == "EC" and imported.curve_name != EC_CURVE:
        _refuse(f"{name}: an EC key must be on curve {EC_CURVE} (for ES384), not {imported.curve_name}.")
    return imported
