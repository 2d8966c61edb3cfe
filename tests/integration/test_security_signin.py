"""Sign-in throttling (per address, Flask-Limiter) and lockout (per account, in the database); sessions and tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from televisit import clock
from televisit.extensions import db
from televisit.models import User
from tests import factories as f
from tests.conftest import REDIS_URL, _make_app, _wipe, service_missing

WRONG = {"email": "pat@example.org", "password": "wrong-password"}


def _user(email="pat@example.org") -> User:
    db.session.expire_all()
    return db.session.query(User).filter_by(email=email).one()


def _fail(client, times: int, email="pat@example.org"):
    return [client.post("/api/v1/auth/token", json={**WRONG, "email": email}) for _ in range(times)]


def test_account_locks_after_five_failures_and_unlocks_later(client):
    f.program()
    answers = _fail(client, 5)
    assert [r.status_code for r in answers] == [401, 401, 401, 401, 429]
    locked = answers[-1]
    assert locked.json["error"]["code"] == "locked" and int(locked.headers["Retry-After"]) > 14 * 60
    right = client.post("/api/v1/auth/token", json={"email": "pat@example.org", "password": f.PASSWORD})
    assert right.status_code == 429, "the right password does not open a locked account"
    assert _user().locked_until is not None
    clock.freeze(clock.now() + timedelta(minutes=16))
    again = client.post("/api/v1/auth/token", json={"email": "pat@example.org", "password": f.PASSWORD})
    assert again.status_code == 200
    assert (_user().failed_logins, _user().locked_until) == (0, None)


def test_a_success_resets_the_count(client):
    f.program()
    _fail(client, 4)
    assert _user().failed_logins == 4
    f.token(client, "pat@example.org")
    assert _user().failed_logins == 0
    assert [r.status_code for r in _fail(client, 4)] == [401] * 4


def test_lockout_is_per_account_and_on_the_page_too(client):
    f.program()
    _fail(client, 5)
    assert f.token(client, "other@example.org")  # another account is unaffected
    page = client.post("/login", data={"email": "pat@example.org", "password": f.PASSWORD})
    assert page.status_code == 429 and b"Too many failed sign-in attempts" in page.data
    assert "Retry-After" in page.headers


def test_lockout_holds_across_processes(db_url, frozen_now):
    """Two app instances (two workers) share the count: it lives in the database."""
    first, second = _make_app(db_url), _make_app(db_url)
    with first.app_context():
        _wipe()
        f.program()
        _fail(first.test_client(), 3)
    with second.app_context():
        answers = _fail(second.test_client(), 2)
        assert [r.status_code for r in answers] == [401, 429]
        db.session.remove()
        db.engine.dispose()
    with first.app_context():
        _wipe()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def limited(db_url, frozen_now):
    """An app whose per-address limit is 3 failures a minute (the lockout stays at 5 per account)."""
    from config import TestConfig

    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = db_url
    cfg.SIGNIN_RATE_LIMIT = "3 per minute"
    from televisit import create_app

    app = create_app(cfg)
    with app.app_context():
        _wipe()
        f.program()
        yield app
        db.session.remove()
        _wipe()
        db.engine.dispose()


def test_failures_from_one_address_are_throttled(limited):
    client = limited.test_client()
    answers = [
        client.post("/api/v1/auth/token", json={"email": e, "password": "nope-nope"})
        for e in ("pat@example.org", "other@example.org", "admin@example.org", "sched@example.org")
    ]
    assert [r.status_code for r in answers] == [401, 401, 401, 429]
    body = answers[-1].json["error"]
    assert body["code"] == "rate_limited" and 0 < int(answers[-1].headers["Retry-After"]) <= 60
    page = client.post("/login", data={"email": "cle@example.org", "password": "nope-nope"})
    assert page.status_code == 429 and b"Too many sign-in attempts" in page.data and "Retry-After" in page.headers
    other_address = client.post(
        "/api/v1/auth/token",
        json={"email": "pat@example.org", "password": f.PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert other_address.status_code == 200


def test_successful_sign_ins_are_not_counted(limited):
    client = limited.test_client()
    for _ in range(6):
        assert (
            client.post("/api/v1/auth/token", json={"email": "pat@example.org", "password": f.PASSWORD}).status_code
            == 200
        )


def test_the_limit_lives_in_redis_when_configured(db_url, frozen_now):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis not reachable at {REDIS_URL}: {exc}")
    import uuid

    from config import TestConfig
    from televisit import create_app

    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI, cfg.SIGNIN_RATE_LIMIT = db_url, "2 per minute"
    cfg.RATELIMIT_STORAGE_URI = REDIS_URL
    app = create_app(cfg)
    body = {"email": "nobody@example.org", "password": "nope-nope"}
    with app.app_context():
        client = app.test_client()
        answers = [
            client.post("/api/v1/auth/token", json=body, environ_base={"REMOTE_ADDR": address}).status_code
            for _ in range(3)
        ]
        db.engine.dispose()
    assert answers == [401, 401, 429]
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*/{address}/signin/*")
    assert keys, "the counter is in Redis, shared by every worker"


# --- sessions and tokens ------------------------------------------------------------------------------------


def _signed_in(client) -> bool:
    # A fresh app context: Flask-Login caches the user in `g`, which the test's own app context would share.
    db.session.commit()  # and no transaction left open here (SQLite's write lock)
    with client.application.app_context():
        return client.get("/appointments").status_code == 200


def test_sign_in_rotates_the_session(client):
    f.program()
    client.get("/login")
    with client.session_transaction() as s:
        s["planted"] = "by-an-attacker"
    before = client.get_cookie("session").value
    r = client.post("/login", data={"email": "pat@example.org", "password": f.PASSWORD})
    assert r.status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as s:
        assert "planted" not in s and s["_user_id"].startswith(str(_user().id))
    fixated = client.application.test_client()
    fixated.set_cookie("session", before)
    assert not _signed_in(fixated), "the pre-sign-in cookie must not become a signed-in one"


def test_sign_out_ends_every_copy_of_the_session_but_keeps_api_tokens(client):
    f.program()
    headers = f.token(client, "pat@example.org")
    client.post("/login", data={"email": "pat@example.org", "password": f.PASSWORD})
    stolen = client.get_cookie("session").value
    assert _signed_in(client)
    client.post("/logout")
    assert not _signed_in(client)
    replay = client.application.test_client()
    replay.set_cookie("session", stolen)
    assert not _signed_in(replay), "a copied session cookie stops working at sign-out"
    assert client.get("/api/v1/appointments", headers=headers).status_code == 200  # documented: tokens are separate


def test_api_tokens_expire_and_are_revoked_at_sign_out(client):
    f.program()
    headers = f.token(client, "pat@example.org")
    assert client.get("/api/v1/appointments", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/appointments", headers=headers).status_code == 401
    later = f.token(client, "pat@example.org")
    clock.freeze(clock.now() + timedelta(hours=client.application.config["API_TOKEN_HOURS"], seconds=1))
    assert client.get("/api/v1/appointments", headers=later).status_code == 401


def test_production_cookies_are_secure_httponly_lax(monkeypatch):
    from config import load_config

    monkeypatch.setenv("TELEVISIT_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("TELEVISIT_NOW", raising=False)
    cfg = load_config("production")
    for prefix in ("SESSION", "REMEMBER"):
        assert getattr(cfg, f"{prefix}_COOKIE_SECURE") is True
        assert getattr(cfg, f"{prefix}_COOKIE_HTTPONLY") is True
        assert getattr(cfg, f"{prefix}_COOKIE_SAMESITE") == "Lax"


def test_the_session_cookie_is_httponly_and_lax_in_production(db_url, frozen_now, monkeypatch):
    from config import load_config
    from televisit import create_app

    monkeypatch.setenv("TELEVISIT_SECRET_KEY", "y" * 40)
    monkeypatch.setenv("TELEVISIT_DATABASE_URL", db_url)
    monkeypatch.delenv("TELEVISIT_NOW", raising=False)
    app = create_app(load_config("production"))
    with app.app_context():
        _wipe()
        f.program()
        client = app.test_client()
        r = client.get("/login", base_url="https://x.test")  # the form's CSRF token starts a session
        cookie = r.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")
        _wipe()
        db.session.remove()
        db.engine.dispose()
