"""Registering SMART Backend Services clients: the admin page (paste or upload a JWK Set, a friendly refusal of
a bad one, revoke) and `flask fhir-clients add|list|revoke`, on both databases."""

from __future__ import annotations

import io
import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests import factories as f
from tests.support.desk_world import page, sign_in
from tests.support.smart_client import TOKEN_PATH, SmartClient, ec_key, public_set, register, rsa_key

PAGE = "/admin/fhir-clients"
SCOPES = ["system/Slot.read", "system/Appointment.write"]


@pytest.fixture(scope="module")
def keys():
    return {"rsa": rsa_key("rsa-1"), "ec": ec_key("ec-1"), "small": rsa_key("small", bits=1024)}


@pytest.fixture
def admin(client):
    f.program()
    sign_in(client, "admin")
    return client


def _register(client, key_set, *, name="Epic production", scopes=SCOPES, upload=False):
    text = key_set if isinstance(key_set, str) else json.dumps(key_set)
    data = {"name": name, "scopes": scopes}
    data |= {"jwks_file": (io.BytesIO(text.encode()), "jwks.json")} if upload else {"jwks": text}
    return client.post(PAGE, data=data, content_type="multipart/form-data")


def _client_id(html: str) -> str:
    return re.search(r"client_id is ([0-9a-f]{32})", html).group(1)


@pytest.mark.parametrize("upload", [False, True], ids=["pasted", "uploaded"])
def test_an_admin_registers_a_client_that_then_gets_tokens(admin, keys, upload):
    assert PAGE in page(admin.get("/admin"))
    assert "No FHIR client is registered yet" in page(admin.get(PAGE))
    r = _register(admin, public_set(keys["ec"]), upload=upload)
    assert r.status_code == 302 and r.headers["Location"].startswith(PAGE)
    html = page(admin.get(r.headers["Location"]))
    client_id = _client_id(html)
    assert "Epic production" in html and "system/Slot.read, system/Appointment.write" in html
    assert f"<code>{client_id}</code>" in html and "<code>ec-1</code> (EC)" in html
    smart = SmartClient(client_id, [keys["ec"]])
    assert smart.token(admin, "system/Appointment.write")["scope"] == "system/Appointment.write"


def test_revoking_on_the_page_ends_the_client(admin, keys):
    client_id = _client_id(page(admin.get(_register(admin, public_set(keys["rsa"])).headers["Location"])))
    smart = SmartClient(client_id, [keys["rsa"]])
    smart.token(admin)
    r = admin.post(f"{PAGE}/revoke", data={"client_id": client_id})
    assert r.status_code == 302
    assert re.search(r"revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC", page(admin.get(PAGE)))
    assert admin.post(TOKEN_PATH, data=smart.form()).get_json()["error"] == "invalid_client"
    for unknown in ("0" * 32, "a\x00b"):
        assert admin.post(f"{PAGE}/revoke", data={"client_id": unknown}).status_code == 404


def _private(key) -> dict:
    return {"keys": [key.as_dict(private=True)]}


def _without(key, member: str) -> dict:
    return {"keys": [{k: v for k, v in key.as_dict(private=False).items() if k != member}]}


def _with(key, **members) -> dict:
    return {"keys": [key.as_dict(private=False) | members]}


BAD_SETS = {
    "private key": (lambda k: _private(k["rsa"]), "private key material"),
    "private EC key": (lambda k: _private(k["ec"]), "private key material"),
    "short RSA key": (lambda k: public_set(k["small"]), "at least 2048 bits"),
    "P-256 key": (lambda k: public_set(ec_key("p256", ec.SECP256R1())), "must be on curve P-384"),
    "no kid": (lambda k: _without(k["rsa"], "kid"), "has no `kid`"),
    "shared kid": (lambda k: public_set(k["rsa"], ec_key("rsa-1")), "its own `kid`"),
    "RS256": (lambda k: _with(k["rsa"], alg="RS256"), "`alg` must be RS384"),
    "encryption key": (lambda k: _with(k["ec"], use="enc"), '"sig"'),
    "symmetric key": (lambda k: {"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}, "private key material"),
    "not JSON": (lambda k: "-----BEGIN PUBLIC KEY-----", "not JSON"),
    "no keys": (lambda k: {"keys": []}, "non-empty"),
    "bad modulus": (lambda k: _with(k["rsa"], n="AQAB"), "not a valid RSA public key"),
}


@pytest.mark.parametrize("case", list(BAD_SETS))
def test_a_bad_key_set_is_refused_in_plain_words(admin, keys, case):
    build, words = BAD_SETS[case]
    html = page(_register(admin, build(keys)), 422)
    assert "The client was not registered" in html and words in html, html[:3000]
    assert 'name="name" type="text" value="Epic production"' in html  # what was typed stays
    assert "No FHIR client is registered yet" in html
    if case.startswith("private"):
        assert '"d":' not in html  # a pasted private key is not sent back


def test_scopes_and_name_are_required(admin, keys):
    html = page(_register(admin, public_set(keys["rsa"]), name="", scopes=[]), 422)
    assert "at least one scope" in html and "client's name" in html


def test_only_admins_see_the_page(client, keys):
    f.program()
    sign_in(client, "scheduler")
    assert client.get(PAGE).status_code == 403
    assert _register(client, public_set(keys["rsa"])).status_code == 403


def test_the_cli_adds_lists_and_revokes(app, client, keys):
    cli = app.test_cli_runner()
    smart = register(app, [keys["rsa"], keys["ec"]], scopes="system/*.read system/Appointment.cud", name="Cerner")
    listed = cli.invoke(args=["fhir-clients", "list"]).output
    assert f"{smart.client_id}\tactive\tCerner\tsystem/*.read system/Appointment.cud" in listed
    assert smart.token(client, "system/Location.read")["scope"] == "system/Location.read"
    result = cli.invoke(args=["fhir-clients", "revoke", smart.client_id])
    assert result.exit_code == 0 and "Revoked Cerner" in result.output
    assert f"{smart.client_id}\trevoked 2027-03-01T12:00Z" in cli.invoke(args=["fhir-clients", "list"]).output
    unknown = cli.invoke(args=["fhir-clients", "revoke", "nope"])
    assert unknown.exit_code == 1 and "No FHIR client" in unknown.output


@pytest.mark.parametrize(
    ("scopes", "words"),
    [("system/*.write", "Not a scope a client may hold: system/*.write"), ("patient/Slot.read", "patient/Slot.read")],
)
def test_the_cli_refuses_scopes_a_client_may_not_hold(app, keys, scopes, words):
    args = ["fhir-clients", "add", "--name", "X", "--jwks-file", "-", "--scopes", scopes]
    result = app.test_cli_runner().invoke(args=args, input=json.dumps(public_set(keys["rsa"])))
    assert result.exit_code == 1 and words in result.output
    assert app.test_cli_runner().invoke(args=["fhir-clients", "list"]).output == ""


def test_the_cli_refuses_a_private_key(app, keys):
    args = ["fhir-clients", "add", "--name", "X", "--jwks-file", "-", "--scopes", "system/Slot.read"]
    result = app.test_cli_runner().invoke(args=args, input=json.dumps(_private(keys["ec"])))
    assert result.exit_code == 1 and "private key material" in result.output
