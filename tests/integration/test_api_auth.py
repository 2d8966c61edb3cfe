"""Auth through the API: tokens, bearer-only access, roles, expiry, revocation, hashed secrets."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash

from televisit import clock
from televisit.extensions import db
from televisit.models import ApiToken, User
from tests import factories as f
from tests.conftest import NOW

TOKEN = "/api/v1/auth/token"


def _sign_in(client, email, password=f.PASSWORD):
    return client.post(TOKEN, json={"email": email, "password": password})


def test_good_credentials_return_a_token_role_and_expiry(client, app):
    f.program()
    r = _sign_in(client, "sched@example.org")
    assert r.status_code == 200, r.json
    assert r.json["role"] == "scheduler"
    assert isinstance(r.json["token"], str) and len(r.json["token"]) >= 32
    hours = app.config["API_TOKEN_HOURS"]
    assert r.json["expires_at"] == (NOW + timedelta(hours=hours)).isoformat(timespec="seconds")
    headers = {"Authorization": f"Bearer {r.json['token']}"}
    assert client.get("/api/v1/appointments", headers=headers).status_code == 200


def test_email_is_matched_case_insensitively(client):
    f.program()
    r = _sign_in(client, "Pat@Example.ORG")
    assert r.status_code == 200 and r.json["role"] == "patient"


def test_wrong_password_and_unknown_email_get_the_same_401(client):
    f.program()
    wrong = _sign_in(client, "pat@example.org", "not-the-password")
    unknown = _sign_in(client, "nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["error"]["code"] == unknown.json["error"]["code"] == "unauthorized"
    assert wrong.json["error"]["message"] == unknown.json["error"]["message"]
    assert "token" not in wrong.json and "token" not in unknown.json


def test_token_request_without_fields_is_422_naming_them(client):
    f.program()
    r = client.post(TOKEN, json={})
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) == {"email", "password"}
    r = client.post(TOKEN, json={"email": 42, "password": ["x"]})
    assert r.status_code == 422 and set(r.json["error"]["fields"]) == {"email", "password"}


def test_protected_routes_need_a_bearer_token(client):
    p = f.program()
    for method, path in [
        ("get", "/api/v1/appointments"),
        ("post", "/api/v1/appointments"),
        ("get", "/api/v1/appointments/1"),
        ("post", "/api/v1/locations"),
        ("post", "/api/v1/patients"),
        ("put", f"/api/v1/clinicians/{p.us_doc.id}/availability"),
    ]:
        r = getattr(client, method)(path, json={})
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.json["error"]["code"] == "unauthorized"


def test_other_schemes_and_unknown_tokens_are_401(client):
    f.program()
    for header in ["Basic cGF0OnB3", "Bearer", "Bearer not-a-real-token", "Token abc"]:
        r = client.get("/api/v1/appointments", headers={"Authorization": header})
        assert r.status_code == 401, header


def test_wrong_role_is_403(client):
    p = f.program()
    patient, clinician, scheduler = (
        f.token(client, e) for e in ("pat@example.org", "cle@example.org", "sched@example.org")
    )
    location = {"name": "X", "city": "X", "region": "US-OH", "country": "US", "timezone": "America/New_York"}
    checks = [
        (patient, "post", "/api/v1/locations", location),
        (scheduler, "post", "/api/v1/locations", location),
        (clinician, "post", "/api/v1/visit-types", {"name": "X", "duration_minutes": 30, "modes": ["virtual"]}),
        (patient, "put", f"/api/v1/clinicians/{p.us_doc.id}/availability", {"rules": []}),
        (clinician, "post", f"/api/v1/clinicians/{p.us_doc.id}/time-off", {"location_id": 1, "date": "2027-03-08"}),
        (patient, "post", "/api/v1/patients", {}),
        (clinician, "post", "/api/v1/appointments", {}),
    ]
    for headers, method, path, body in checks:
        r = getattr(client, method)(path, json=body, headers=headers)
        assert r.status_code == 403, (path, r.json)
        assert r.json["error"]["code"] == "forbidden"


def test_each_request_is_judged_by_its_own_token(client):
    """A role seen on one request must not leak into the next (same app context in tests)."""
    f.program()
    admin, patient = f.token(client, "admin@example.org"), f.token(client, "pat@example.org")
    body = {"name": "Weston", "city": "Weston", "region": "US-FL", "country": "US", "timezone": "America/New_York"}
    assert client.post("/api/v1/locations", json=body, headers=patient).status_code == 403
    assert client.post("/api/v1/locations", json=body, headers=admin).status_code == 201
    assert client.post("/api/v1/locations", json={**body, "name": "W2"}, headers=patient).status_code == 403
    assert client.get("/api/v1/appointments").status_code == 401


def test_token_expires(client, app):
    f.program()
    headers = f.token(client, "pat@example.org")
    expiry = NOW + timedelta(hours=app.config["API_TOKEN_HOURS"])
    clock.freeze(expiry - timedelta(seconds=1))
    assert client.get("/api/v1/appointments", headers=headers).status_code == 200
    clock.freeze(expiry)
    r = client.get("/api/v1/appointments", headers=headers)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    clock.freeze(expiry + timedelta(days=1))
    assert client.get("/api/v1/appointments", headers=headers).status_code == 401
    assert client.get("/api/v1/appointments", headers=f.token(client, "pat@example.org")).status_code == 200


def test_revoked_token_is_refused_and_other_tokens_live_on(client):
    f.program()
    first, second = f.token(client, "pat@example.org"), f.token(client, "pat@example.org")
    assert client.delete(TOKEN, headers=first).status_code == 204
    r = client.get("/api/v1/appointments", headers=first)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/appointments", headers=second).status_code == 200
    assert client.delete(TOKEN).status_code == 401
    assert client.delete(TOKEN, headers={"Authorization": "Bearer unknown"}).status_code == 401
    assert db.session.scalars(select(ApiToken).where(ApiToken.revoked_at.is_not(None))).all() != []


def test_passwords_and_tokens_are_stored_hashed(client):
    f.program()
    token = f.token(client, "pat@example.org")["Authorization"].split(" ", 1)[1]
    users = db.session.scalars(select(User)).all()
    assert len(users) == 5
    for user in users:
        assert f.PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert check_password_hash(user.password_hash, f.PASSWORD)
    hashes = [t.token_hash for t in db.session.scalars(select(ApiToken))]
    assert hashes and token not in hashes and all(token not in h for h in hashes)
