"""Every desk form carries a CSRF token; with CSRF on (production settings), a POST without one is refused."""

from __future__ import annotations

import re

import pytest
from flask import g

from televisit.extensions import db
from televisit.models import Appointment, Location
from tests import factories as f
from tests.support.desk_world import MON_9_EST, book, page

FORM_PAGES = (
    "/schedule/book",
    "/schedule/clinicians/{doc}/availability",
    "/schedule/appointments/{appt}",
    "/admin/locations/new",
    "/admin/visit-types/new",
    "/admin/clinicians/new",
    "/admin/users",
)


@pytest.fixture
def csrf_client(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    yield client
    app.config["WTF_CSRF_ENABLED"] = False


def _fresh_g() -> None:
    """The test's app context outlives each request (and so does `g`, where Flask-WTF caches the token);
    in a real server every request has its own. Forget the cached token, as a new request would."""
    g.pop("csrf_token", None)


def _sign_in(client, email: str) -> None:
    html = page(client.get("/login"))
    (token,) = re.findall(r'name="csrf_token" value="([^"]+)"', html)
    r = client.post("/login", data={"email": email, "password": f.PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    _fresh_g()  # sign-in starts a fresh session, without the old token


def _post_forms(html: str) -> list[str]:
    return re.findall(r'<form method="post".*?</form>', html, re.S)


def test_every_desk_post_form_has_a_token(app, client):
    p = f.program()
    appt = book(client, p, "other", MON_9_EST)
    client.post("/login", data={"email": "admin@example.org", "password": f.PASSWORD})
    for url in FORM_PAGES:
        forms = _post_forms(page(client.get(url.format(doc=p.us_doc.id, appt=appt))))
        assert forms, url
        assert all('name="csrf_token"' in form for form in forms), url


def test_a_post_without_a_token_is_refused(app, csrf_client):
    p = f.program()
    appt = book(csrf_client, p, "other", MON_9_EST)  # the JSON API (bearer tokens) is exempt
    _sign_in(csrf_client, "admin@example.org")
    r = csrf_client.post(f"/schedule/appointments/{appt}/cancel", data={"reason": "no token"})
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    r = csrf_client.post("/admin/locations", data={"name": "X", "city": "X", "region": "US-OH", "country": "US"})
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.get(Appointment, appt).status == "booked" and db.session.query(Location).count() == 2


def test_a_post_with_the_pages_token_is_accepted(app, csrf_client):
    p = f.program()
    appt = book(csrf_client, p, "other", MON_9_EST)
    _sign_in(csrf_client, "sched@example.org")
    html = page(csrf_client.get(f"/schedule/appointments/{appt}"))
    (cancel,) = [form for form in _post_forms(html) if "/cancel" in form]
    (token,) = re.findall(r'name="csrf_token" value="([^"]+)"', cancel)
    r = csrf_client.post(f"/schedule/appointments/{appt}/cancel", data={"reason": "ok", "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
