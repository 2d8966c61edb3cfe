"""Issue 12, items 2-5: sign-up that reveals nothing, password reset, one password policy, session limits.

Every request that must see a fresh session goes in its own app context (`_fresh`), as in production:
Flask-Login caches the user in `g`, which the test's app context would otherwise share between requests.
Emails are read where a developer reads them: the jobs process sends them (`jobs run-once`, in-process)
and the dev outbox shows them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from televisit import clock
from televisit.extensions import db
from televisit.models import AccountToken, OutboxMessage, User, UserSession
from tests import factories as f
from tests.support.link_world import PUBLIC, run_jobs

SIGNUP = {
    "name": "Lou London",
    "email": "lou@example.org",
    "password": "a-long-password",
    "timezone": "Europe/London",
    "region": "GB",
    "email_opt_in": "on",
}
NEW_PASSWORD = "violet-harbour-lantern"
LINK = re.compile(re.escape(PUBLIC) + r"(/account/(confirm|reset)\?t=[A-Za-z0-9_.\-]+)")
CHECK_EMAIL = "/account/check-email?after="
CARE_WORDS = re.compile(r"\b(visits?|appointments?|clinic\w*|doctor|dr\.|spine|tumou?rs?|care|diagnos\w*)\b", re.I)


@pytest.fixture(autouse=True)
def _dev_outbox(app):
    """These tests read the emails at /dev/outbox, which the test config keeps off unless a test asks."""
    app.config["DEV_OUTBOX"] = True


def _fresh(client, method: str, path: str, **kw):
    """One request in its own app context (a fresh `g`), the test's transaction ended first (SQLite)."""
    db.session.commit()
    with client.application.app_context():
        return client.open(path, method=method, **kw)


def _text(resp, status: int = 200) -> str:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:400])
    return resp.get_data(as_text=True)


def _sign_in(client, email: str, password: str = f.PASSWORD):
    return _fresh(client, "POST", "/login", data={"email": email, "password": password})


def _signed_in(client) -> bool:
    return _fresh(client, "GET", "/appointments").status_code == 200


def _emails(to: str) -> list[OutboxMessage]:
    """Account emails sent to `to`, oldest first."""
    db.session.expire_all()
    stmt = select(OutboxMessage).where(OutboxMessage.to_address == to, OutboxMessage.rule.like("account-%"))
    return list(db.session.scalars(stmt.order_by(OutboxMessage.id)))


def _link(msg: OutboxMessage) -> str:
    """The account link (a path) in a sent email."""
    assert msg.status == "sent" and msg.channel == "email", (msg.status, msg.last_error)
    found = LINK.search(msg.body_text)
    assert found and found.group(1) in msg.body_html.replace("&amp;", "&"), msg.body_text
    return found.group(1)


def _outbox_page(client) -> str:
    return _text(_fresh(client, "GET", "/dev/outbox?channel=email"))


# --- item 2: sign-up answers the same whatever the address ---------------------------------------------


def test_signup_answers_a_taken_address_like_a_new_one_and_only_the_inbox_tells(app, client):
    f.user("taken@example.org", "patient", name="Tess Taken")
    new = _fresh(client, "POST", "/signup", data=SIGNUP)
    taken = _fresh(client, "POST", "/signup", data={**SIGNUP, "email": "Taken@Example.org"})
    assert (new.status_code, new.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    assert new.headers["Location"] == CHECK_EMAIL + "signup"
    assert "Check your email" in _text(_fresh(client, "GET", new.headers["Location"]))
    assert db.session.scalar(select(func.count()).select_from(User)) == 2  # no second account for taken@

    run_jobs(app)
    (confirm,) = _emails("lou@example.org")
    (exists,) = _emails("taken@example.org")
    assert confirm.rule == "account-confirm" and "Confirm your email address" in confirm.subject
    assert "/account/confirm?t=" in confirm.body_text and "24 hours" in confirm.body_text
    assert exists.rule == "account-exists" and "You already have an account" in exists.subject
    assert "/account/reset?t=" in exists.body_text and f"{PUBLIC}/login" in exists.body_text
    for msg in (confirm, exists):  # account emails, not appointment ones: no name a stranger typed, no care
        assert msg.appointment_id is None and "Lou" not in msg.body_text and "Tess" not in msg.body_text
        assert not CARE_WORDS.search(msg.subject + msg.body_text + msg.body_html), msg.body_text
    page = _outbox_page(client)  # what a developer sees at the dev outbox
    assert str(escape(confirm.subject)) in page and str(escape(exists.body_text)) in page
    run_jobs(app)  # sent exactly once
    assert [m.id for m in _emails("lou@example.org")] == [confirm.id] and _emails("lou@example.org")[0].attempts == 1


def test_a_new_account_signs_in_only_after_following_its_emailed_link(app, client):
    assert _fresh(client, "POST", "/signup", data=SIGNUP).status_code == 302
    run_jobs(app)
    link = _link(_emails("lou@example.org")[0])
    refused = _sign_in(client, "lou@example.org", SIGNUP["password"])
    assert "confirm your email address first" in _text(refused, 403)
    api = client.post("/api/v1/auth/token", json={"email": "lou@example.org", "password": SIGNUP["password"]})
    assert api.status_code == 403 and api.json["error"]["code"] == "unconfirmed"
    assert _sign_in(client, "lou@example.org", "wrong-password-1").status_code == 401  # no hint without it

    r = _fresh(client, "GET", link)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert "Your email address is confirmed" in _text(_fresh(client, "GET", "/login"))
    assert _sign_in(client, "lou@example.org", SIGNUP["password"]).headers["Location"] == "/appointments"
    assert _signed_in(client)
    assert _fresh(client, "GET", link).status_code == 302  # followed twice (a mail scanner first): still fine
    assert _fresh(client, "GET", link.replace("confirm", "reset")).status_code == 403  # one purpose per link
    assert _fresh(client, "GET", link[:-3] + "xyz").status_code == 403  # forged


def test_a_confirmation_link_expires_after_24_hours(app, client):
    _fresh(client, "POST", "/signup", data=SIGNUP)
    run_jobs(app)
    link = _link(_emails("lou@example.org")[0])
    clock.freeze(clock.now() + timedelta(hours=24))
    page = _text(_fresh(client, "GET", link), 403)
    assert "expired or has been used" in page and "/account/forgot" in page
    assert _sign_in(client, "lou@example.org", SIGNUP["password"]).status_code == 403


def test_signup_checks_the_password_before_looking_up_the_address(client):
    f.user("taken@example.org", "patient")
    weak = {**SIGNUP, "password": "password1234"}
    for email in ("lou@example.org", "taken@example.org"):
        page = _text(_fresh(client, "POST", "/signup", data={**weak, "email": email}), 422)
        assert "This password is too common" in page
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_signup_and_reset_are_throttled_per_address_and_per_client(client):
    for _ in range(5):  # the first creates the account, the next four tell its owner: five emails at most
        assert _fresh(client, "POST", "/signup", data={**SIGNUP, "email": "flood@example.org"}).status_code == 302
    throttled = _fresh(client, "POST", "/signup", data={**SIGNUP, "email": "flood@example.org"})
    assert "Please wait a little" in _text(throttled, 429) and int(throttled.headers["Retry-After"]) > 0
    elsewhere = {"REMOTE_ADDR": "10.0.0.9"}
    again = _fresh(client, "POST", "/account/forgot", data={"email": "flood@example.org"}, environ_base=elsewhere)
    assert again.status_code == 429  # the address's budget, whichever client asks, for sign-up and reset alike
    assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 5

    for n in range(15):  # this client's budget: 20 requests an hour that went through
        other = f"person{n}@example.org"
        path, data = ("/signup", {**SIGNUP, "email": other}) if n % 2 else ("/account/forgot", {"email": other})
        assert _fresh(client, "POST", path, data=data).status_code == 302, n
    assert _fresh(client, "POST", "/account/forgot", data={"email": "one-more@example.org"}).status_code == 429
    fresh_client = _fresh(
        client, "POST", "/account/forgot", data={"email": "one-more@example.org"}, environ_base=elsewhere
    )
    assert fresh_client.status_code == 302
    bad = _fresh(client, "POST", "/account/forgot", data={"email": "not an address"}, environ_base=elsewhere)
    assert "Enter an email address like" in _text(bad, 422)  # a mistake to correct costs no budget


# --- item 3: forgot password, for every role that signs in with a password -------------------------------


@pytest.mark.parametrize("role", ["patient", "scheduler", "clinician", "admin"])
def test_forgot_password_sends_a_link_that_sets_a_new_password_once(app, client, role):
    email = f"{role}-one@example.org"
    f.user(email, role)
    login = _text(_fresh(client, "GET", "/login"))
    assert 'href="/account/forgot"' in login and "Forgot your password?" in login
    known = _fresh(client, "POST", "/account/forgot", data={"email": email.upper()})
    unknown = _fresh(client, "POST", "/account/forgot", data={"email": "nobody@example.org"})
    assert known.headers["Location"] == unknown.headers["Location"] == CHECK_EMAIL + "forgot"
    page = _text(_fresh(client, "GET", known.headers["Location"]))
    assert "If an account uses the address you gave" in page and "1 hour" in page
    run_jobs(app)
    assert _emails("nobody@example.org") == []
    (msg,) = _emails(email)
    assert msg.rule == "account-reset" and "1 hour" in msg.body_text
    link = _link(msg)
    form = _text(_fresh(client, "GET", link))
    assert "Choose a new password" in form and email in form
    assert _fresh(client, "GET", link).headers.get("Cache-Control") == "no-store"

    token = link.split("t=")[1]
    done = _fresh(client, "POST", "/account/reset", data={"t": token, "password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert "Your new password is set" in _text(_fresh(client, "GET", "/login"))
    assert _sign_in(client, email).status_code == 401  # the old password no longer works
    assert _sign_in(client, email, NEW_PASSWORD).status_code == 302
    again = _fresh(client, "POST", "/account/reset", data={"t": token, "password": "another-fine-phrase"})
    assert "expired or has been used" in _text(again, 403)


def test_a_reset_ends_other_sessions_and_api_tokens_and_clears_the_lockout(app, client):
    f.user("pat@example.org", "patient")
    phone = app.test_client()
    assert _sign_in(phone, "pat@example.org").status_code == 302 and _signed_in(phone)
    headers = f.token(client, "pat@example.org")
    assert client.get("/api/v1/appointments", headers=headers).status_code == 200
    for _ in range(5):
        locked = _sign_in(client, "pat@example.org", "not-my-password")
    assert locked.status_code == 429 and "Too many failed sign-in attempts" in _text(locked, 429)

    _fresh(client, "POST", "/account/forgot", data={"email": "pat@example.org"})
    run_jobs(app)
    token = _link(_emails("pat@example.org")[0]).split("t=")[1]
    assert _fresh(client, "POST", "/account/reset", data={"t": token, "password": NEW_PASSWORD}).status_code == 302

    assert not _signed_in(phone), "the other browser's session ended"
    assert client.get("/api/v1/appointments", headers=headers).status_code == 401, "the API token was revoked"
    assert _sign_in(client, "pat@example.org", NEW_PASSWORD).status_code == 302, "the lockout was cleared"
    assert _signed_in(client)


def test_a_reset_link_refuses_a_weak_password_without_being_spent_and_expires_after_an_hour(app, client):
    f.user("pat@example.org", "patient")
    _fresh(client, "POST", "/account/forgot", data={"email": "pat@example.org"})
    run_jobs(app)
    token = _link(_emails("pat@example.org")[0]).split("t=")[1]
    weak = _fresh(client, "POST", "/account/reset", data={"t": token, "password": "pat-is-my-name"})
    assert "Do not use your email address" in _text(weak, 422)
    clock.freeze(clock.now() + timedelta(minutes=59))
    assert _fresh(client, "GET", f"/account/reset?t={token}").status_code == 200
    clock.freeze(clock.now() + timedelta(minutes=1))
    assert "expired or has been used" in _text(_fresh(client, "GET", f"/account/reset?t={token}"), 403)
    late = _fresh(client, "POST", "/account/reset", data={"t": token, "password": NEW_PASSWORD})
    assert late.status_code == 403 and _sign_in(client, "pat@example.org").status_code == 302


def test_a_reset_email_whose_link_expired_while_the_jobs_were_down_is_withdrawn(app, client):
    f.user("pat@example.org", "patient")
    _fresh(client, "POST", "/account/forgot", data={"email": "pat@example.org"})
    clock.freeze(clock.now() + timedelta(hours=2))
    run_jobs(app)
    db.session.expire_all()
    (row,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.rule == "account-reset"))
    assert row.status == "withdrawn" and row.body_text is None


# --- item 4: one password policy wherever a password is set ------------------------------------------------

WEAK = [
    ("short-pw", "Use at least 10 characters."),
    (" " * 12, "Use something other than spaces."),
    ("Lou.London-2027", "Do not use your email address"),
    ("Qwertyuiop", "This password is too common"),
]


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_one_password_policy_for_signup_reset_and_the_admin_page(app, client, password, reason):
    email = "lou.london@example.org"
    page = _text(_fresh(client, "POST", "/signup", data={**SIGNUP, "email": email, "password": password}), 422)
    assert reason in page
    f.user("admin@example.org", "admin")
    admin = app.test_client()
    _sign_in(admin, "admin@example.org")
    form = {"email": email, "password": password, "role": "scheduler", "name": "Lou"}
    assert reason in _text(_fresh(admin, "POST", "/admin/users", data=form), 422)
    assert db.session.scalars(select(User).where(User.email == email)).first() is None
    f.user(email, "scheduler")
    _fresh(client, "POST", "/account/forgot", data={"email": email})
    run_jobs(app)
    token = _link(_emails(email)[0]).split("t=")[1]
    assert reason in _text(_fresh(client, "POST", "/account/reset", data={"t": token, "password": password}), 422)


def test_users_create_refuses_a_password_against_the_policy_and_says_why(app, frozen_now):
    runner = app.test_cli_runner()
    for password, reason in WEAK:
        args = ["users", "create", "--email", "lou.london@cli.test", "--role", "scheduler", "--password", password]
        r = runner.invoke(args=args)
        assert r.exit_code != 0 and reason in r.output, (password, r.output)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    ok = runner.invoke(
        args=["users", "create", "--email", "lou.london@cli.test", "--role", "scheduler", "--password", NEW_PASSWORD]
    )
    assert ok.exit_code == 0, ok.output
    r = app.test_client().post("/api/v1/auth/token", json={"email": "lou.london@cli.test", "password": NEW_PASSWORD})
    assert r.status_code == 200  # made by an operator: confirmed already


def test_the_demo_password_meets_the_policy(app, frozen_now):
    assert app.test_cli_runner().invoke(args=["seed-demo", "--with-users"]).exit_code == 0
    r = app.test_client().post(
        "/api/v1/auth/token", json={"email": "patient@demo.televisit.local", "password": "televisit-demo"}
    )
    assert r.status_code == 200


# --- item 5: idle timeout and absolute lifetime on pages --------------------------------------------------


def test_a_page_after_30_minutes_without_activity_goes_to_sign_in_with_a_plain_message(client):
    f.user("pat@example.org", "patient")
    _sign_in(client, "pat@example.org")
    start = clock.now()
    for minutes in (29, 58):  # each page is activity: 29 minutes apart, the session lasts
        clock.freeze(start + timedelta(minutes=minutes))
        assert _signed_in(client), minutes
    stale = client.get_cookie("session").value
    clock.freeze(start + timedelta(minutes=58 + 30))
    r = _fresh(client, "GET", "/profile")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    page = _text(_fresh(client, "GET", r.headers["Location"]))
    assert "You were signed out after 30 minutes without activity." in page
    assert not _signed_in(client)
    replay = client.application.test_client()
    replay.set_cookie("session", stale)
    assert _fresh(replay, "GET", "/api/v1/appointments").status_code == 401  # the copy is no better
    assert _sign_in(client, "pat@example.org").status_code == 302 and _signed_in(client)


def test_a_session_ends_12_hours_after_sign_in_however_active(client):
    f.user("pat@example.org", "patient")
    _sign_in(client, "pat@example.org")
    start = clock.now()
    for minutes in range(20, 12 * 60, 20):
        clock.freeze(start + timedelta(minutes=minutes))
        assert _signed_in(client), minutes
    clock.freeze(start + timedelta(hours=12))
    r = _fresh(client, "GET", "/appointments")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    page = _text(_fresh(client, "GET", r.headers["Location"]))
    assert "You were signed out because you signed in more than 12 hours ago." in page
    db.session.expire_all()
    (row,) = db.session.scalars(select(UserSession))
    assert row.end_reason == "lifetime" and row.ended_at == start + timedelta(hours=12)


def test_the_idle_timeout_follows_its_setting(client):
    client.application.config["SESSION_IDLE_MINUTES"] = 5  # TELEVISIT_SESSION_IDLE_MINUTES (tests/unit)
    f.user("sched@example.org", "scheduler")
    _sign_in(client, "sched@example.org")
    clock.freeze(clock.now() + timedelta(minutes=5))
    r = _fresh(client, "GET", "/schedule")
    assert r.status_code == 302 and "after 5 minutes without activity" in _text(_fresh(client, "GET", "/login"))
