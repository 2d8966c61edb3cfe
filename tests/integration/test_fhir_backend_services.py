"""SMART Backend Services over HTTP, on both databases: discovery, the token endpoint (every refusal is
OAuth 2.0's JSON), scopes held to on FHIR routes, revocation and expiry, and the service user's sign-in.

The FHIR routes themselves are written elsewhere; a throwaway blueprint here has views guarded by the facade's
own `allowed(...)`, so enforcement is tested end to end through a real token."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from flask import Blueprint, jsonify
from joserfc.jwk import RSAKey
from werkzeug.datastructures import MultiDict
from werkzeug.serving import make_server

from televisit import clock
from televisit.services.integrations import tokens
from televisit.web.fhir.auth import WRITE, allowed, current_caller
from tests import factories as f
from tests.support.fhir_world import token as api_token
from tests.support.smart_client import TOKEN_PATH, TOKEN_URL, bearer, ec_key, register, rsa_key

SCOPES = "system/Slot.read system/Appointment.write"


@pytest.fixture(scope="module")
def keys():
    """Key pairs made once for the module (RSA generation is the slow part)."""
    return {"rsa": rsa_key("rsa-1"), "ec": ec_key("ec-1"), "stranger": rsa_key("rsa-1")}


@pytest.fixture
def probe(app):
    """Views guarded like the facade's: read of Slot, write of Appointment (registered before any request)."""
    bp = Blueprint("fhir_probe", __name__, url_prefix="/fhir/_probe")

    def who():
        caller = current_caller()
        return jsonify(user_id=caller.actor.user_id, role=caller.actor.role, scopes=sorted(caller.scopes or []))

    bp.add_url_rule("/slots", "read", allowed("Slot")(who), methods=["GET"])
    bp.add_url_rule("/appointments", "write", allowed("Appointment", WRITE)(who), methods=["POST"])
    app.register_blueprint(bp)
    return "/fhir/_probe"


def _oauth_error(r, error: str, status: int = 400) -> str:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/json" and r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body["error"] == error and body.get("error_description"), body
    assert "resourceType" not in body
    return body["error_description"]


def _outcome(r, status: int) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/fhir+json" and r.get_json()["resourceType"] == "OperationOutcome"
    return r.get_json()


def test_discovery_names_the_token_url_methods_algorithms_and_scopes(client):
    r = client.get("/fhir/.well-known/smart-configuration", headers={"Accept": "application/fhir+json"})
    assert r.status_code == 200 and r.mimetype == "application/json"  # JSON whatever the Accept (SMART)
    conf = r.get_json()
    assert conf["token_endpoint"] == TOKEN_URL
    assert conf["grant_types_supported"] == ["client_credentials"]
    assert conf["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert conf["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]
    assert "client-confidential-asymmetric" in conf["capabilities"]
    assert {"system/Slot.read", "system/Appointment.write", "system/*.read"} <= set(conf["scopes_supported"])


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_a_signed_assertion_gets_a_token_that_reads_within_its_scopes(app, client, keys, probe, kind):
    smart = register(app, [keys[kind]])
    r = client.post(TOKEN_PATH, data=smart.form("system/Slot.read system/Patient.read"))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 300
    assert body["scope"] == "system/Slot.read"  # Patient.read is not registered: left out, not an error
    read = client.get(f"{probe}/slots", headers=bearer(body))
    assert read.status_code == 200, read.get_data(as_text=True)
    assert read.get_json()["role"] == "scheduler" and read.get_json()["scopes"] == ["system/Slot.read"]
    refused = _outcome(client.post(f"{probe}/appointments", headers=bearer(body)), 403)
    assert refused["issue"][0]["code"] == "forbidden"


def test_a_token_asked_for_more_gets_only_what_is_registered(app, client, keys, probe):
    smart = register(app, [keys["rsa"]], scopes="system/Slot.read system/Appointment.write")
    assert smart.token(client, "system/Slot.cruds")["scope"] == "system/Slot.rs"
    assert smart.token(client, "system/*.read")["scope"] == "system/Slot.read"
    write = smart.token(client, "system/Appointment.cud system/Slot.rs")
    assert write["scope"] == "system/Appointment.cud system/Slot.rs"
    assert client.post(f"{probe}/appointments", headers=bearer(write)).status_code == 200
    assert client.get(f"{probe}/slots", headers=bearer(write)).status_code == 200


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("wrong audience", "invalid_client"),
        ("expired", "invalid_client"),
        ("exp too far ahead", "invalid_client"),
        ("issued in the future", "invalid_client"),
        ("unknown kid", "invalid_client"),
        ("bad signature", "invalid_client"),
        ("unknown client", "invalid_client"),
        ("iss is not sub", "invalid_client"),
        ("NUL in sub", "invalid_client"),
        ("NUL in jti", "invalid_client"),
        ("jku header", "invalid_client"),
        ("RS256", "invalid_client"),
        ("not a JWT", "invalid_client"),
        ("no assertion", "invalid_client"),
        ("wrong assertion type", "invalid_client"),
        ("no grant_type", "invalid_request"),
        ("JSON body", "invalid_request"),
        ("grant_type password", "unsupported_grant_type"),
        ("scope outside the registration", "invalid_scope"),
        ("no scope", "invalid_scope"),
    ],
)
def test_each_bad_request_gets_its_oauth_error(app, client, keys, case, error):
    smart = register(app, [keys["rsa"]])
    now = int(clock.now().timestamp())
    claims = {
        "wrong audience": {"aud": "http://localhost/fhir/auth/token"},
        "expired": {"exp": now - 120},
        "exp too far ahead": {"exp": now + 600},
        "issued in the future": {"iat": now + 300},
        "unknown kid": {"header": {"kid": "not-registered"}},
        "bad signature": {"key": keys["stranger"]},  # same kid, another key
        "unknown client": {"iss": "nobody", "sub": "nobody"},
        "iss is not sub": {"iss": "https://ehr.example"},
        "NUL in sub": {"iss": "a\x00b", "sub": "a\x00b"},  # PostgreSQL refuses NUL in text: never a query
        "NUL in jti": {"jti": "a\x00b"},
        "jku header": {"header": {"jku": "https://ehr.example/jwks.json"}},
    }.get(case, {})
    form = smart.form(
        "system/Patient.read" if case == "scope outside the registration" else "system/Slot.read", **claims
    )
    if case == "RS256":
        any_alg = RSAKey.import_key({k: v for k, v in keys["rsa"].as_dict(private=True).items() if k != "alg"})
        form["client_assertion"] = smart.assertion(key=any_alg, header={"alg": "RS256", "kid": "rsa-1"})
    changes = {
        "not a JWT": {"client_assertion": "not.a.jwt"},
        "no assertion": {"client_assertion": None},
        "wrong assertion type": {"client_assertion_type": "urn:example:password"},
        "no grant_type": {"grant_type": None},
        "grant_type password": {"grant_type": "password"},
        "no scope": {"scope": None},
    }.get(case, {})
    form = {k: v for k, v in (form | changes).items() if v is not None}
    r = client.post(TOKEN_PATH, json=form) if case == "JSON body" else client.post(TOKEN_PATH, data=form)
    described = _oauth_error(r, error)
    if case == "wrong audience":
        assert TOKEN_URL in described  # says which aud it wants


def test_a_replayed_assertion_is_refused(app, client, keys):
    smart = register(app, [keys["ec"]])
    form = smart.form()
    assert client.post(TOKEN_PATH, data=form).status_code == 200
    assert "used before" in _oauth_error(client.post(TOKEN_PATH, data=form), "invalid_client")
    assert client.post(TOKEN_PATH, data=smart.form()).status_code == 200  # a new jti is fine


def test_one_assertion_sent_many_times_at_once_gets_one_token(app, frozen_now, keys):
    """The unique (client, jti) key is the last guard: a race past the look-up still issues one token."""
    smart = register(app, [keys["rsa"]])
    form = smart.form()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    barrier, answers = threading.Barrier(8), []

    def post() -> None:
        with requests.Session() as http:
            http.get(f"http://127.0.0.1:{server.server_port}/healthz", timeout=30)  # connected before the race
            barrier.wait(timeout=30)
            r = http.post(f"http://127.0.0.1:{server.server_port}{TOKEN_PATH}", data=form, timeout=60)
            answers.append((r.status_code, r.json().get("error")))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    server.shutdown()
    server.server_close()
    assert sorted(answers) == [(200, None)] + [(400, "invalid_client")] * 7, answers


def test_the_database_refuses_a_replay_the_look_up_missed(app, client, keys, monkeypatch):
    """DESIGN rule 6: with the service's look-up blinded, the unique (client, jti) key still refuses."""
    monkeypatch.setattr(tokens._Server, "_seen", lambda self, client_id, jti: False)
    smart = register(app, [keys["rsa"]])
    form = smart.form()
    assert client.post(TOKEN_PATH, data=form).status_code == 200
    assert "used before" in _oauth_error(client.post(TOKEN_PATH, data=form), "invalid_client")


def test_a_repeated_parameter_is_refused(app, client, keys):
    smart = register(app, [keys["rsa"]])
    form = MultiDict(smart.form())
    form.add("scope", "system/Appointment.write")
    _oauth_error(
        client.post(TOKEN_PATH, data=form, content_type="application/x-www-form-urlencoded"), "invalid_request"
    )


def test_a_revoked_client_loses_its_tokens_at_once(app, client, keys, probe):
    smart = register(app, [keys["rsa"]])
    tok = smart.token(client)
    assert client.get(f"{probe}/slots", headers=bearer(tok)).status_code == 200
    result = app.test_cli_runner().invoke(args=["fhir-clients", "revoke", smart.client_id])
    assert result.exit_code == 0, result.output
    _outcome(client.get(f"{probe}/slots", headers=bearer(tok)), 401)
    _oauth_error(client.post(TOKEN_PATH, data=smart.form()), "invalid_client")


def test_a_token_lasts_five_minutes(app, client, keys, probe, frozen_now):
    smart = register(app, [keys["rsa"]])
    tok = smart.token(client)
    clock.freeze(frozen_now + timedelta(seconds=299))
    assert client.get(f"{probe}/slots", headers=bearer(tok)).status_code == 200
    clock.freeze(frozen_now + timedelta(seconds=300))
    _outcome(client.get(f"{probe}/slots", headers=bearer(tok)), 401)


def test_people_keep_their_api_tokens_and_anonymous_callers_are_refused(client, probe):
    f.program()
    desk = api_token(client, "sched@example.org")
    assert client.get(f"{probe}/slots", headers=desk).status_code == 200
    assert client.post(f"{probe}/appointments", headers=desk).get_json()["scopes"] == []
    _outcome(client.get(f"{probe}/slots"), 401)
    _outcome(client.get(f"{probe}/slots", headers={"Authorization": "Bearer not-a-token"}), 401)


def test_the_service_user_cannot_sign_in(app, client, keys):
    f.program()
    smart = register(app, [keys["rsa"]])
    email = f"{smart.client_id}@fhir-clients.invalid"
    for password in ("!fhir-client: no password, cannot sign in", f.PASSWORD):  # under the lockout's 5 tries
        r = client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert r.status_code == 401, r.get_data(as_text=True)
        page = client.post("/login", data={"email": email, "password": password})
        assert page.status_code in (200, 401) and "Location" not in page.headers


def test_registering_and_revoking_are_audited(app, client, keys):
    f.program()
    admin = api_token(client, "admin@example.org")

    def events(action: str) -> dict:
        found = client.get(f"/api/v1/audit?action={action}&per_page=200", headers=admin).get_json()["events"]
        return {e["id"]: (e["object_type"], e["object_id"], e["channel"]) for e in found}

    before = events("fhir_client.register") | events("fhir_client.revoke")
    smart = register(app, [keys["rsa"]])
    assert app.test_cli_runner().invoke(args=["fhir-clients", "revoke", smart.client_id]).exit_code == 0
    [registered] = [e for i, e in events("fhir_client.register").items() if i not in before]
    [revoked] = [e for i, e in events("fhir_client.revoke").items() if i not in before]
    assert registered == revoked and registered[0::2] == ("fhir_client", "cli")


def test_the_token_endpoint_is_rate_limited(app, client, keys):
    app.config["FHIR_TOKEN_RATE_LIMIT"] = "3 per minute"
    smart = register(app, [keys["rsa"]])
    for _ in range(3):
        assert client.post(TOKEN_PATH, data=smart.form()).status_code == 200
    r = client.post(TOKEN_PATH, data=smart.form())
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.get_json()["error"] == "temporarily_unavailable"


def test_plain_http_to_a_remote_host_is_refused(app, client, keys):
    smart = register(app, [keys["rsa"]])
    r = client.post(TOKEN_PATH, data=smart.form(), base_url="http://televisit.example")
    assert "HTTPS" in _oauth_error(r, "invalid_request")
    assert client.post(TOKEN_PATH, data=smart.form(), base_url="https://televisit.example").status_code == 200
