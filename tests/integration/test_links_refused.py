"""Signed links that must not work get a friendly 403 page: tampered, wrong purpose, expired, forged, malformed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from televisit import clock
from televisit.services.messaging import links
from tests import factories as f
from tests.support.link_world import book

NOT_VALID, EXPIRED = "This link is not valid.", "This link has expired."


def _refused(r, message: str | None = None, status: int = 403) -> str:
    """A friendly HTML page (never JSON, never a 500) with the given status and message."""
    page = r.get_data(as_text=True)
    assert r.status_code == status, page[:300]
    assert r.mimetype == "text/html" and "<h1>We couldn't do that</h1>" in page.replace("&#39;", "'")
    assert "Traceback" not in page and '"error"' not in page
    if message:
        assert message in page
    return page


@pytest.fixture
def booked(app, client):
    p = f.program()
    return book(app, client, p, "other", "2027-03-08T09:00:00-05:00", mode="virtual")


def _token(path: str) -> str:
    return path.rsplit("/", 1)[1]


def _tamper(token: str) -> str:
    payload, signature = token.rsplit(".", 1)
    return f"{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"


@pytest.mark.parametrize("purpose", ["view", "reschedule", "cancel", "join"])
def test_a_tampered_token_is_refused(client, booked, purpose):
    token = _token(booked.links[purpose])
    assert client.get(f"/l/{purpose}/{token}").status_code == 200  # the untouched link works
    _refused(client.get(f"/l/{purpose}/{_tamper(token)}"), NOT_VALID)


def test_a_changed_payload_with_the_old_signature_is_refused(app, client, booked):
    token = _token(booked.links["view"])
    signature = token.rsplit(".", 1)[1]
    forged = URLSafeSerializer("guess", salt="televisit-link:view").dumps({"a": booked.appointment_id + 1, "s": 0})
    _refused(client.get(f"/l/view/{forged.rsplit('.', 1)[0]}.{signature}"), NOT_VALID)


@pytest.mark.parametrize(
    ("taken_from", "used_for"),
    [("view", "cancel"), ("cancel", "view"), ("view", "reschedule"), ("join", "view"), ("reschedule", "join")],
)
def test_a_token_works_for_its_own_purpose_only(client, booked, taken_from, used_for):
    token = _token(booked.links[taken_from])
    _refused(client.get(f"/l/{used_for}/{token}"), NOT_VALID)
    if used_for in ("cancel", "reschedule"):
        _refused(client.post(f"/l/{used_for}/{token}", data={"start": "2027-03-08T15:00:00+00:00"}), NOT_VALID)
    assert booked.appt.status == "booked" and booked.appt.sequence == 0


def test_links_expire_a_day_after_the_visit(client, booked):
    appt = booked.appt
    clock.freeze(appt.end_at + timedelta(days=1) - timedelta(seconds=1))
    assert client.get(booked.links["view"]).status_code == 200
    clock.freeze(appt.end_at + timedelta(days=1))
    for purpose in ("view", "reschedule", "cancel", "join"):
        _refused(client.get(booked.links[purpose]), EXPIRED)
    _refused(client.post(booked.links["cancel"]), EXPIRED)
    _refused(client.get(booked.links["view"] + "/calendar.ics"), EXPIRED)
    assert booked.appt.status == "booked"


def test_a_token_signed_with_another_secret_is_refused(app, client, booked):
    appt = booked.appt
    forged = links.sign("not-the-app-secret", "cancel", appt.id, appt.sequence, appt.end_at + timedelta(days=1))
    _refused(client.post(f"/l/cancel/{forged}"), NOT_VALID)
    assert booked.appt.status == "booked"


def test_well_signed_but_meaningless_tokens_are_refused(app, client, booked):
    secret, appt = app.config["SECRET_KEY"], booked.appt
    later = appt.end_at + timedelta(days=1)
    no_such = links.sign(secret, "view", 987_654, 0, later)
    _refused(client.get(f"/l/view/{no_such}"))
    for junk in ([1, 2], {"a": "1", "s": 0, "e": 9_999_999_999}, {"a": appt.id}, "text"):
        token = URLSafeSerializer(secret, salt="televisit-link:view").dumps(junk)
        _refused(client.get(f"/l/view/{token}"), NOT_VALID)
    no_offer = links.sign(secret, "offer", appt.id, appt.sequence, later)
    _refused(client.get(f"/l/offer/{no_offer}"), NOT_VALID)
    missing_offer = links.sign(secret, "offer", appt.id, appt.sequence, later, offer_id=424_242)
    _refused(client.post(f"/l/offer/{missing_offer}"), NOT_VALID)


@pytest.mark.parametrize("token", ["abc", "x" * 2000, "eyJhIjoxfQ", "..", "%00", "a.b.c"])
def test_malformed_tokens_are_refused(client, booked, token):
    for purpose in ("view", "confirm", "reschedule", "cancel", "join", "offer"):
        _refused(client.get(f"/l/{purpose}/{token}"), NOT_VALID)


def test_an_unknown_purpose_is_a_friendly_404(client, booked):
    r = client.get(f"/l/nope/{_token(booked.links['view'])}")
    assert r.status_code == 404 and r.mimetype == "text/html"
