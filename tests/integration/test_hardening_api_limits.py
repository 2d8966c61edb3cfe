"""Issue 12, items 1, 6, 7 and 9: the limits every /api/v1 client can rely on (API.md, second round).

1. A write signed in only by the page's session cookie needs the page's CSRF token (X-CSRFToken): 403 `csrf`.
6. GET /slots answers at most 1,000 slots (the earliest) with `more`; anonymous searches are rate-limited.
7. A body over 1 MiB: 413 (`too_large` JSON under /api, the friendly page elsewhere).
9. Cache-Control: no-store on every API answer but the public catalog's reads, and on signed-in pages.
"""

from __future__ import annotations

import re

import pytest
from flask import g
from sqlalchemy import func, select

from config import DevConfig
from televisit.extensions import db
from televisit.models import Appointment, Location
from tests import factories as f
from tests.support.desk_world import MON_9_EST, MON_10_EST, appointment, book, sign_in

API = "/api/v1"
MIB = 1024 * 1024


@pytest.fixture
def csrf_on(app):
    """`csrf_on()` turns CSRF checks on as in production (the test config has them off; sign in first)."""

    def turn_on() -> None:
        app.config["WTF_CSRF_ENABLED"] = True

    yield turn_on
    app.config["WTF_CSRF_ENABLED"] = False


def _new_request() -> None:
    """The test's app context outlives each request (and `g`, where Flask-WTF caches the token); a real
    server gives each request its own. Forget the cached token as a new request would."""
    g.pop("csrf_token", None)


def _page_token(client, path: str) -> str:
    """The CSRF token a signed-in page hands its scripts (<meta name="csrf-token">)."""
    _new_request()
    r = client.get(path)
    assert r.status_code == 200
    (token,) = re.findall(r'<meta name="csrf-token" content="([^"]+)">', r.get_data(as_text=True))
    _new_request()
    return token


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# --- 1. cross-site writes -------------------------------------------------------------------------------------


def test_a_cross_site_form_post_with_only_the_cookie_is_refused_and_changes_nothing(client, csrf_on):
    p = f.program()
    appt = book(client, p, "patient")  # by the scheduler's bearer token
    sign_in(client, "patient")  # the browser's session cookie, as a page on another site would ride on
    csrf_on()
    _new_request()
    # what an attacker's page can send: a form post (no custom header, no token), with the cookie
    r = client.post(f"{API}/appointments/{appt}/cancel", data={}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json["error"]["code"] == "csrf", r.json
    assert appointment(appt).status == "booked"
    body = {"visit_type_id": p.consult.id, "clinician_id": p.uk_doc.id, "location_id": p.london.id}
    body |= {"mode": "in_person", "start": "2027-03-08T09:00:00+00:00"}
    before = _count(Appointment)
    r = client.post(f"{API}/appointments", json=body, headers={"X-CSRFToken": "forged"})
    assert r.status_code == 403 and r.json["error"]["code"] == "csrf"
    assert _count(Appointment) == before


def test_every_api_write_signed_in_by_the_cookie_needs_the_token(app, client, csrf_on):
    f.program()
    sign_in(client, "admin")
    csrf_on()
    writes = [
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API + "/")
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})
    ]
    assert len(writes) >= 14  # every write the API has, found from its routes
    for path, method in writes:
        _new_request()
        url = re.sub(r"<[^>]+>", "1", path)
        r = client.open(url, method=method, json={})
        assert r.status_code == 403 and r.json["error"]["code"] == "csrf", (method, path, r.status_code)
    assert _count(Location) == 2


def test_the_page_token_lets_a_signed_in_page_script_write(client, csrf_on):
    p = f.program()
    appt = book(client, p, "patient")
    sign_in(client, "patient")
    csrf_on()
    token = _page_token(client, "/appointments")
    headers = {"X-CSRFToken": token}  # as a page script sends it
    r = client.post(f"{API}/appointments/{appt}/cancel", json={"reason": "Feeling better"}, headers=headers)
    assert r.status_code == 200 and r.json["status"] == "cancelled", r.json


def test_bearer_and_anonymous_callers_are_unaffected(client, csrf_on):
    p = f.program()
    appt = book(client, p, "patient")
    csrf_on()
    _new_request()
    assert client.post(f"{API}/appointments/{appt}/cancel", json={}).status_code == 401  # anonymous, as before
    headers = f.token(client, "pat@example.org")  # POST /auth/token: no cookie, no CSRF token
    r = client.post(f"{API}/appointments/{appt}/cancel", json={}, headers=headers)
    assert r.status_code == 200 and r.json["status"] == "cancelled"


# --- 6. bounded, rate-limited anonymous search ------------------------------------------------------------------


def _busy_clinic():
    """A 15-minute visit offered 06:00-22:00 every day: 64 slots a day, well over 1,000 in a month."""
    loc = f.location()
    check = f.visit_type("Check 15", minutes=15, modes=("in_person",))
    rules = [(loc, wd, 6 * 60, 22 * 60, ("in_person",)) for wd in range(7)]
    f.clinician("Dr. Many", visit_types=[check], rules=rules)
    return check


def _slots(client, check, first="2027-03-02", last="2027-03-31", headers=None, **params):
    query = {"visit_type_id": check.id, "from": first, "to": last, **params}
    return client.get(f"{API}/slots", query_string=query, headers=headers or {})


def test_a_long_search_answers_the_earliest_1000_slots_and_says_there_are_more(client):
    check = _busy_clinic()
    r = _slots(client, check)
    assert r.status_code == 200
    long = r.json
    assert len(long["slots"]) == 1000 and long["more"] is True
    assert sum(len(d["slots"]) for d in long["days"]) == 1000
    starts = [s["start"] for s in long["slots"]]
    assert starts == sorted(starts)
    short = _slots(client, check, last="2027-03-16").json  # 15 days: fewer than 1,000 slots, all of them
    assert 900 < len(short["slots"]) < 1000 and short["more"] is False
    assert short["slots"] == long["slots"][: len(short["slots"])]  # the long answer starts with the earliest
    few = _slots(client, check, limit=5).json
    assert few["slots"] == long["slots"][:5] and few["more"] is True
    r = _slots(client, check, limit=1001)
    assert r.status_code == 422 and "limit" in r.json["error"]["fields"]


def test_anonymous_searches_are_rate_limited_per_client_but_signed_in_ones_are_not(app, client):
    app.config["ANON_SEARCH_LIMIT"] = "3 per minute"
    check = _busy_clinic()
    f.user("pat@example.org", "patient")
    for _ in range(3):
        assert _slots(client, check, limit=1).status_code == 200
    r = _slots(client, check, limit=1)
    assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited"
    assert "Too many searches" in r.json["error"]["message"]
    assert 0 < int(r.headers["Retry-After"]) <= 60
    assert _slots(client, check, limit=1, headers={"Authorization": "Bearer forged"}).status_code == 429
    assert _slots(client, check, limit=1, headers=f.token(client, "pat@example.org")).status_code == 200
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.9"  # another client address has its own budget
    assert _slots(other, check, limit=1).status_code == 200
    sign_in(client, "pat@example.org")  # a signed-in page's session
    assert _slots(client, check, limit=1).status_code == 200


def test_the_anonymous_search_limit_defaults_to_30_a_minute_and_is_configurable(monkeypatch):
    monkeypatch.delenv("TELEVISIT_ANON_SEARCH_LIMIT", raising=False)
    assert DevConfig().ANON_SEARCH_LIMIT == "30 per minute"
    monkeypatch.setenv("TELEVISIT_ANON_SEARCH_LIMIT", "5 per second")
    assert DevConfig().ANON_SEARCH_LIMIT == "5 per second"


# --- 7. request size -------------------------------------------------------------------------------------------


def test_a_body_over_1_mib_is_refused_as_too_large_on_the_api(client):
    p = f.program()
    headers = f.token(client, "pat@example.org")
    body = {"visit_type_id": p.consult.id, "clinician_id": p.uk_doc.id, "location_id": p.london.id}
    body |= {"mode": "in_person", "start": "2027-03-08T09:00:00+00:00", "reason": "x" * MIB}
    r = client.post(f"{API}/appointments", json=body, headers=headers)
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large", r.status_code
    assert _count(Appointment) == 0
    r = client.post(f"{API}/auth/token", data="{" + " " * MIB + "}", content_type="application/json")
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    body["reason"] = "x" * (MIB - 1000)  # just under the limit: read, and refused for what it says
    r = client.post(f"{API}/appointments", json=body, headers=headers)
    assert r.status_code == 422 and "reason" in r.json["error"]["fields"]


def test_a_form_over_1_mib_gets_the_friendly_page(client):
    f.program()
    r = client.post("/login", data={"email": "pat@example.org", "password": "x" * MIB})
    assert r.status_code == 413 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert "at most 1 MB" in page and "Traceback" not in page
    sign_in(client, "patient")
    r = client.post("/profile", data={"name": "Pat", "notes": "y" * (MIB + 1)})
    assert r.status_code == 413 and r.mimetype == "text/html" and "at most 1 MB" in r.get_data(as_text=True)


# --- 9. caching ------------------------------------------------------------------------------------------------


def _no_store(r) -> bool:
    return "no-store" in r.headers.get("Cache-Control", "")


def test_api_answers_with_patient_data_are_no_store_and_the_public_catalog_is_not(client):
    p = f.program()
    appt = book(client, p, "patient", MON_9_EST)
    headers = f.token(client, "sched@example.org")
    patient_id = p.users["patient"].patient_id
    week = {"visit_type_id": p.consult.id, "from": "2027-03-08", "to": "2027-03-09"}
    private = [
        client.get(f"{API}/appointments", headers=headers),
        client.get(f"{API}/appointments/{appt}", headers=headers),
        client.get(f"{API}/appointments/{appt}/calendar.ics", headers=headers),
        client.get(f"{API}/patients/{patient_id}", headers=headers),
        client.post(f"{API}/appointments/{appt}/reschedule", json={"start": MON_10_EST}, headers=headers),
        client.post(f"{API}/auth/token", json={"email": "pat@example.org", "password": f.PASSWORD}),
        client.get(f"{API}/appointments"),  # a refusal too
        client.post(f"{API}/locations", json={"name": "X"}, headers=headers),  # a write to the catalog
    ]
    assert [r.status_code for r in private] == [200, 200, 200, 200, 200, 200, 401, 403]
    assert all(_no_store(r) for r in private), [r.headers.get("Cache-Control") for r in private]
    public = [
        client.get(f"{API}/locations"),
        client.get(f"{API}/visit-types"),
        client.get(f"{API}/clinicians"),
        client.get(f"{API}/clinicians/{p.us_doc.id}"),
        client.get(f"{API}/clinicians/{p.us_doc.id}/availability"),
        client.get(f"{API}/slots", query_string=week),
        client.get(f"{API}/openapi.json"),
        client.get(f"{API}/locations", headers=headers),  # the same for everyone, signed in or not
    ]
    assert all(r.status_code == 200 for r in public)
    assert not any(_no_store(r) for r in public), [r.headers.get("Cache-Control") for r in public]


def test_signed_in_pages_are_no_store_for_patients_and_staff(client):
    p = f.program()
    appt = book(client, p, "patient", MON_9_EST)
    sign_in(client, "patient")
    for path in ("/appointments", f"/appointments/{appt}", "/find-care", "/profile", "/"):
        r = client.get(path)
        assert r.status_code == 200 and _no_store(r), (path, r.headers.get("Cache-Control"))
    client.post("/logout")
    sign_in(client, "scheduler")
    for path in ("/schedule", f"/schedule/appointments/{appt}", "/schedule/book"):
        r = client.get(path)
        assert r.status_code == 200 and _no_store(r), (path, r.headers.get("Cache-Control"))
    client.post("/logout")
    sign_in(client, "admin")
    r = client.get("/admin")
    assert r.status_code == 200 and _no_store(r)
    r = client.get("/static/css/app.css")  # static files keep their own policy
    assert r.status_code == 200 and not _no_store(r)
