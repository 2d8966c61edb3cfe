"""Patient pages: sign up, sign in lands on my appointments, the profile, inline validation, CSRF."""

from __future__ import annotations

import re

from sqlalchemy import select

from televisit.extensions import db
from televisit.models import Patient, User
from tests import factories as f
from tests.support.patient_world import html

SIGNUP = {
    "name": "Lou London",
    "email": "Lou@Example.org",
    "password": "a-long-password",
    "timezone": "Europe/London",
    "region": "GB",
    "phone": "+44 7700 900123",
    "sms_opt_in": "on",
    "email_opt_in": "on",
}


def _patient(email: str) -> Patient:
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.email == email)).one()
    return user.patient


def test_signup_creates_an_unconfirmed_patient_with_their_zone_region_and_preferences(client):
    """Issue 12 item 2 changed this: sign-up no longer signs in; the address is confirmed by email first
    (the whole flow: tests/integration/test_hardening_accounts.py)."""
    page = html(client.get("/signup"))
    assert 'name="csrf_token"' in page and 'for="timezone"' in page and "data-guess-zone" in page
    assert '<option value="US-OH">Ohio</option>' in page and '<option value="GB">United Kingdom</option>' in page
    r = client.post("/signup", data=SIGNUP)
    assert r.status_code == 302 and r.headers["Location"] == "/account/check-email?after=signup"
    p = _patient("lou@example.org")
    assert (p.name, p.timezone, p.region, p.phone) == ("Lou London", "Europe/London", "GB", "+447700900123")
    assert p.sms_opt_in and p.email_opt_in
    assert "Check your email" in html(client.get(r.headers["Location"]))
    assert client.get("/appointments").headers["Location"].startswith("/login")  # not signed in


def test_signup_shows_each_problem_next_to_its_field_and_focuses_the_first(client):
    bad = {**SIGNUP, "email": "not-an-email", "password": "short", "phone": "07700 900123", "region": "XX"}
    page = html(client.post("/signup", data=bad), 422)
    assert 'class="error-summary" role="alert"' in page
    assert re.search(r'id="email"[^>]*aria-describedby="email-error" aria-invalid="true" autofocus', page)
    assert re.search(r'id="password"[^>]*aria-describedby="password-hint password-error" aria-invalid="true"', page)
    assert page.count(" autofocus") == 1  # only the first invalid field
    assert 'id="phone-error"' in page and 'id="region-error"' in page
    assert "Use at least 10 characters." in page
    assert 'value="Lou London"' in page  # what was typed is kept (never the password)
    assert 'value="short"' not in page
    assert db.session.scalars(select(User)).first() is None


def test_signup_refuses_sms_without_a_phone_and_answers_a_taken_email_like_a_new_one(client):
    """Issue 12 item 2 changed the second half: a taken email gets the same answer as a new one."""
    page = html(client.post("/signup", data={**SIGNUP, "phone": ""}), 422)
    assert "Add a mobile number to get text messages" in page
    f.user("lou@example.org", "patient")
    r = client.post("/signup", data=SIGNUP)
    assert r.status_code == 302 and r.headers["Location"] == "/account/check-email?after=signup"
    assert "already exists" not in html(client.get(r.headers["Location"]))


def test_sign_in_sends_patients_to_their_appointments_and_staff_to_their_work_page(client):
    f.user("pat@example.org", "patient")
    f.user("sched@example.org", "scheduler")
    r = client.post("/login", data={"email": "pat@example.org", "password": f.PASSWORD})
    assert r.headers["Location"] == "/appointments"
    client.post("/logout")
    r = client.post("/login?next=/profile", data={"email": "pat@example.org", "password": f.PASSWORD})
    assert r.headers["Location"] == "/profile"
    client.post("/logout")
    r = client.post("/login?next=//evil.example/x", data={"email": "pat@example.org", "password": f.PASSWORD})
    assert r.headers["Location"] == "/appointments"  # never off-site
    client.post("/logout")
    r = client.post("/login", data={"email": "sched@example.org", "password": f.PASSWORD})
    assert r.headers["Location"] == "/schedule"  # issue 14: not the public home page


def test_patient_pages_ask_anonymous_visitors_to_sign_in(client):
    for path in ("/appointments", "/profile", "/find-care", "/appointments/1"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_profile_edits_zone_region_phone_and_preferences(client):
    f.user("pat@example.org", "patient", region="US-OH")
    client.post("/login", data={"email": "pat@example.org", "password": f.PASSWORD})
    page = html(client.get("/profile"))
    assert '<option value="America/New_York" selected>' in page and '<option value="US-OH" selected>' in page
    form = {"timezone": "America/Chicago", "region": "US-IL", "phone": "+13125550123", "email_opt_in": "on"}
    r = client.post("/profile", data=form)
    assert r.status_code == 302 and r.headers["Location"] == "/profile"
    p = _patient("pat@example.org")
    assert (p.timezone, p.region, p.phone, p.sms_opt_in, p.email_opt_in) == (
        "America/Chicago",
        "US-IL",
        "+13125550123",
        False,
        True,
    )
    assert "Your profile is saved." in html(client.get("/profile"))
    page = html(client.post("/profile", data={**form, "timezone": "Mars/Olympus"}), 422)
    assert "Choose your time zone from the list." in page
    assert _patient("pat@example.org").timezone == "America/Chicago"


def test_staff_get_a_friendly_refusal_on_patient_only_pages(client):
    f.user("sched@example.org", "scheduler")
    client.post("/login", data={"email": "sched@example.org", "password": f.PASSWORD})
    page = html(client.get("/find-care"), 403)
    assert "These pages are for patients" in page


def test_a_post_without_a_csrf_token_is_refused(db_url, frozen_now):
    """TestConfig turns CSRF off for the other tests; with it on (as in production) a tokenless POST fails."""
    from tests.conftest import _make_app, _wipe

    app = _make_app(db_url)
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        try:
            c = app.test_client()
            assert "The CSRF token is missing." in html(c.post("/signup", data=SIGNUP), 400)
            assert db.session.scalars(select(User).where(User.email == "lou@example.org")).first() is None
            token = re.search(r'name="csrf_token" value="([^"]+)"', html(c.get("/signup"))).group(1)
            assert c.post("/signup", data={**SIGNUP, "csrf_token": token}).status_code == 302
        finally:
            db.session.remove()
            _wipe()
            db.engine.dispose()
