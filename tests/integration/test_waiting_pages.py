"""Who may open the waiting-room pages, and when: the patient's page (session or join link) and the clinic.

Refusals are friendly HTML pages (never JSON, never a 500). The socket handlers re-check every event; these
tests cover the pages only.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest

from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment
from televisit.services.messaging import links
from tests import factories as f

NINE = "2027-03-08T09:00:00-05:00"  # a Monday at the Cleveland site; the visit lasts an hour
OPENS = datetime.fromisoformat("2027-03-08T08:30:00-05:00")
ENDS = datetime.fromisoformat("2027-03-08T10:00:00-05:00")
STALE = "earlier version of your appointment"


def _book(client, p, who: str, start: str = NINE, *, mode: str = "virtual") -> int:
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": mode, "start": start, "patient_id": p.users[who].patient_id, "patient_region": "US-OH"}
    r = client.post("/api/v1/appointments", json=body, headers=f.token(client, "sched@example.org"))
    assert r.status_code == 201, r.json
    return r.json["id"]


def _appt(appointment_id: int) -> Appointment:
    db.session.expire_all()
    return db.session.get(Appointment, appointment_id)


def _set_status(appointment_id: int, status: str) -> None:
    _appt(appointment_id).status = status
    db.session.commit()


def _sign_in(client, email: str) -> None:
    r = client.post("/login", data={"email": email, "password": f.PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def _join_token(app, appointment_id: int) -> str:
    appt = _appt(appointment_id)
    return links.sign(app.config["SECRET_KEY"], "join", appt.id, appt.sequence, appt.end_at)


def _page(r, status: int = 200) -> str:
    text = r.get_data(as_text=True)
    assert r.status_code == status, text[:500]
    assert r.mimetype == "text/html" and "Traceback" not in text
    return html.unescape(text)


def _refused(r, status: int, message: str | None = None) -> str:
    text = _page(r, status)
    assert 'id="room"' not in text and '"error"' not in text
    if message:
        assert message in text, text[:800]
    return text


@pytest.fixture
def world(app, client):
    """The program, the Ohio patient's video visit at 09:00 EST, and the clock inside its waiting window."""
    p = f.program()
    appointment_id = _book(client, p, "other")
    clock.freeze(OPENS + timedelta(minutes=5))
    return p, appointment_id


def test_the_patient_signed_in_gets_the_page_with_its_settings_and_no_inline_script(client, world):
    _, appointment_id = world
    _sign_in(client, "other@example.org")
    r = client.get(f"/waiting-room/{appointment_id}")
    page = _page(r)
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Referrer-Policy"] == "no-referrer"
    assert f'data-appointment-id="{appointment_id}"' in page and 'data-join=""' in page
    assert 'data-status="booked"' in page
    assert "Mon, Mar 8, 2027, 9:00 AM (your time, as in Cleveland)" in page and "Dr. Cleveland" in page
    assert '<option value="US-OH" selected>Ohio</option>' in page  # the patient's region is the default
    assert '<option value="GB">United Kingdom</option>' in page
    for label in ('for="region"', 'for="consent"', 'for="message-text"', 'aria-live="polite"', 'id="media-test"'):
        assert label in page
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)  # CSP-ready
    assert "/vendor/socket.io.min.js?v=4.8.4" in page and "/static/js/waiting_room.js" in page
    assert "cdn" not in page.lower()


def test_the_join_link_opens_the_page_for_anyone_holding_it(app, client, world):
    _, appointment_id = world
    token = _join_token(app, appointment_id)
    page = _page(client.get(f"/waiting-room/{appointment_id}?join={token}"))
    assert f'data-join="{token}"' in page
    _sign_in(client, "pat@example.org")  # someone else signed in: the link still speaks for itself
    assert _page(client.get(f"/waiting-room/{appointment_id}?join={token}"))


def test_the_room_opens_thirty_minutes_ahead_and_closes_at_the_end(client, world):
    _, appointment_id = world
    _sign_in(client, "other@example.org")
    url = f"/waiting-room/{appointment_id}"
    clock.freeze(OPENS - timedelta(seconds=1))
    r = client.get(url)
    opens = "The waiting room opens at Mon, Mar 8, 2027, 8:30 AM (your time, as in Cleveland). Please come back then."
    _refused(r, 403, opens)
    for at in (OPENS, ENDS):
        clock.freeze(at)
        assert _page(client.get(url))
    clock.freeze(ENDS + timedelta(seconds=1))
    _refused(client.get(url), 403, "The time of this visit has passed.")


def test_too_early_shows_the_opening_time_on_both_clocks(app, client):
    p = f.program()
    appointment_id = _book(client, p, "patient")  # the London patient (in Ohio that day), at the Cleveland site
    _sign_in(client, "pat@example.org")
    page = _refused(client.get(f"/waiting-room/{appointment_id}"), 403)
    assert "opens at Mon 8 Mar 2027, 13:30 your time (08:30 in Cleveland)" in page


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("cancelled", "This visit was cancelled"),
        ("completed", "This visit has ended"),
        ("no_show", "This visit was marked as missed"),
    ],
)
def test_a_closed_visit_refuses_both_the_patient_and_the_link(app, client, world, status, message):
    _, appointment_id = world
    token = _join_token(app, appointment_id)
    _set_status(appointment_id, status)
    _refused(client.get(f"/waiting-room/{appointment_id}?join={token}"), 403, message)
    _sign_in(client, "other@example.org")
    _refused(client.get(f"/waiting-room/{appointment_id}"), 403, message)


def test_a_visit_in_progress_stays_open_past_its_end(client, world):
    _, appointment_id = world
    _set_status(appointment_id, "in_visit")
    _sign_in(client, "other@example.org")
    clock.freeze(ENDS + timedelta(minutes=20))
    assert 'data-status="in_visit"' in _page(client.get(f"/waiting-room/{appointment_id}"))


def test_a_moved_visit_refuses_its_old_link_but_not_its_patient(app, client, world):
    _, appointment_id = world
    old = _join_token(app, appointment_id)
    r = client.post(
        f"/api/v1/appointments/{appointment_id}/reschedule",
        json={"start": "2027-03-08T10:00:00-05:00"},
        headers=f.token(client, "sched@example.org"),
    )
    assert r.status_code == 200 and r.json["sequence"] == 1
    clock.freeze(datetime.fromisoformat("2027-03-08T09:45:00-05:00"))
    _refused(client.get(f"/waiting-room/{appointment_id}?join={old}"), 403, STALE)
    assert _page(client.get(f"/waiting-room/{appointment_id}?join={_join_token(app, appointment_id)}"))
    _sign_in(client, "other@example.org")
    assert _page(client.get(f"/waiting-room/{appointment_id}"))


def test_bad_expired_and_misdirected_links_are_refused(app, client, world):
    p, appointment_id = world
    token = _join_token(app, appointment_id)
    _refused(client.get(f"/waiting-room/{appointment_id}?join={token[:-3]}xyz"), 403, "This link is not valid.")
    view = links.sign(app.config["SECRET_KEY"], "view", appointment_id, 0, ENDS)
    _refused(client.get(f"/waiting-room/{appointment_id}?join={view}"), 403, "This link is not valid.")
    clock.freeze(OPENS - timedelta(days=7))
    second = _book(client, p, "other", "2027-03-08T11:00:00-05:00")
    clock.freeze(OPENS + timedelta(minutes=5))
    _refused(client.get(f"/waiting-room/{second}?join={token}"), 403, "This link is not valid for this visit.")
    clock.freeze(ENDS)
    _refused(client.get(f"/waiting-room/{appointment_id}?join={token}"), 403, "This link has expired.")


def test_nobody_else_gets_in(client, world):
    _, appointment_id = world
    url = f"/waiting-room/{appointment_id}"
    _refused(client.get(url), 401, "Please sign in, or open the link in your reminder")
    _sign_in(client, "pat@example.org")  # another patient: no hint the visit exists
    _refused(client.get(url), 404, "We couldn't find that visit.")
    for staff in ("cle@example.org", "sched@example.org"):
        _sign_in(client, staff)
        _refused(client.get(url), 403, "clinicians see their line at /clinic")
    _refused(client.get(f"/waiting-room/{appointment_id + 1000}"), 404)
    _refused(client.get("/waiting-room/99999999999"), 404)


def test_an_in_person_visit_has_no_waiting_room(client, world):
    p, _ = world
    clock.freeze(OPENS - timedelta(days=7))
    appointment_id = _book(client, p, "other", "2027-03-08T11:00:00-05:00", mode="in_person")
    clock.freeze(datetime.fromisoformat("2027-03-08T10:45:00-05:00"))
    _sign_in(client, "other@example.org")
    _refused(client.get(f"/waiting-room/{appointment_id}"), 403, "in-person visit")


def test_the_clinic_is_for_the_signed_in_clinician(client, world):
    _refused(client.get("/clinic"), 401, "Please sign in as a clinician")
    for other in ("other@example.org", "sched@example.org", "admin@example.org"):
        _sign_in(client, other)
        _refused(client.get("/clinic"), 403, "The clinic dashboard is for clinicians.")
    _sign_in(client, "cle@example.org")
    r = client.get("/clinic")
    page = _page(r)
    assert "Clinic · Dr. Cleveland" in page and r.headers["Cache-Control"] == "no-store"
    for part in ('id="line-body"', 'id="late-minutes"', 'id="reply-form"', 'id="end-visit"', 'data-call-state="idle"'):
        assert part in page
    assert "/static/js/clinic.js" in page and "/vendor/socket.io.min.js?v=" in page


def test_a_clinician_sign_in_without_a_clinician_record_is_refused(client, world):
    f.user("nobody@example.org", "clinician")  # no clinician has this email
    _sign_in(client, "nobody@example.org")
    _refused(client.get("/clinic"), 403, "not linked to a clinician")


def test_the_join_link_leads_into_the_open_room_only(app, client, world):
    _, appointment_id = world
    token = _join_token(app, appointment_id)
    r = client.get(f"/l/join/{token}")
    assert r.status_code == 302 and r.headers["Location"] == f"/waiting-room/{appointment_id}?join={token}"
    _set_status(appointment_id, "cancelled")
    assert "its waiting room is closed" in _page(client.get(f"/l/join/{token}"))
