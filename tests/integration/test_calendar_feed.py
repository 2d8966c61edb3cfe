"""Clinicians' private calendar subscriptions: who may create them, what they show (and hide), revocation."""

from __future__ import annotations

import pytest

from televisit.extensions import db
from televisit.models import Appointment
from tests import factories as f
from tests.support.ical_readers import icaljs_read, iso_z, vobject_calendar, vobject_read

PUBLIC = "http://televisit.test"  # TestConfig's PUBLIC_URL in the fixtures
PATIENT_NAME = "Philippa Quartermaine"
REASON = "Suspected cord compression"


def _world(client):
    p = f.program()
    p.users["patient"].patient.name = PATIENT_NAME
    db.session.commit()
    p.users["uk_clinician"] = f.user("lon@example.org", "clinician")  # linked to Mr. London by email
    return p


def _book(client, p, who: str, start: str, *, doc=None, loc=None) -> Appointment:
    doc, loc = doc or p.us_doc, loc or p.cleveland
    body = {"visit_type_id": p.consult.id, "clinician_id": doc.id, "location_id": loc.id, "mode": "in_person"}
    body |= {"start": start, "patient_id": p.users[who].patient_id, "reason": REASON}
    r = client.post("/api/v1/appointments", json=body, headers=f.token(client, "sched@example.org"))
    assert r.status_code == 201, r.json
    return db.session.get(Appointment, r.json["id"])


def _create(client, clinician_id: int, email: str):
    return client.post(f"/api/v1/clinicians/{clinician_id}/calendar-feed", headers=f.token(client, email))


def _feed_path(client, p) -> str:
    r = _create(client, p.us_doc.id, "cle@example.org")
    assert r.status_code == 201, r.json
    assert r.json["url"].startswith(f"{PUBLIC}/calendar/") and r.json["url"].endswith(".ics")
    return r.json["url"].removeprefix(PUBLIC)


def _get(client, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200
    assert r.mimetype == "text/calendar" and "private" in r.headers["Cache-Control"]
    return r.get_data(as_text=True)


def test_the_clinician_or_an_admin_creates_a_feed_and_nobody_else(client):
    p = _world(client)
    assert _create(client, p.us_doc.id, "cle@example.org").status_code == 201
    assert _create(client, p.us_doc.id, "admin@example.org").status_code == 201
    assert _create(client, p.uk_doc.id, "admin@example.org").status_code == 201
    r = _create(client, p.us_doc.id, "lon@example.org")  # another clinician
    assert r.status_code == 403 and r.json["error"]["code"]
    for email in ("sched@example.org", "pat@example.org"):
        assert _create(client, p.us_doc.id, email).status_code == 403
    assert client.post(f"/api/v1/clinicians/{p.us_doc.id}/calendar-feed").status_code == 401
    assert _create(client, 999_999, "admin@example.org").status_code == 404
    r = client.delete(f"/api/v1/clinicians/{p.us_doc.id}/calendar-feed", headers=f.token(client, "lon@example.org"))
    assert r.status_code == 403


def test_feed_lists_the_clinicians_upcoming_visits_without_patient_details(client):
    p = _world(client)
    a = _book(client, p, "patient", "2027-03-08T09:00:00-05:00")
    b = _book(client, p, "other", "2027-03-15T10:00:00-04:00")
    _book(client, p, "other", "2027-03-08T09:00:00+00:00", doc=p.uk_doc, loc=p.london)  # not Dr. Cleveland's
    ics = _get(client, _feed_path(client, p))
    cal = vobject_calendar(ics)
    events = sorted(cal.vevent_list, key=lambda e: e.dtstart.value)
    assert [(e.uid.value, e.sequence.value) for e in events] == [(a.uid, "0"), (b.uid, "0")]
    assert [e.summary.value for e in events] == ["Consult (in person)", "Consult (in person)"]
    for reader in (vobject_read(ics)["events"], icaljs_read(ics)["events"]):
        got = sorted((e["uid"], e.get("zoned_start", e["start"]), e["end"]) for e in reader)
        assert got == sorted((x.uid, iso_z(x.start_at), iso_z(x.end_at)) for x in (a, b))
    lowered = ics.lower()
    for secret in (PATIENT_NAME, "pat@example.org", "other@example.org", "mailto:", "attendee", REASON):
        assert secret.lower() not in lowered, secret
    assert "X-WR-CALNAME:Televisit clinic" in ics


def test_feed_follows_reschedules_and_drops_cancelled_visits(client):
    p = _world(client)
    a = _book(client, p, "patient", "2027-03-08T09:00:00-05:00")
    b = _book(client, p, "other", "2027-03-08T10:00:00-05:00")
    path = _feed_path(client, p)
    headers = f.token(client, "sched@example.org")
    r = client.post(
        f"/api/v1/appointments/{a.id}/reschedule", json={"start": "2027-03-15T11:00:00-04:00"}, headers=headers
    )
    assert r.status_code == 200, r.json
    assert client.post(f"/api/v1/appointments/{b.id}/cancel", json={}, headers=headers).status_code == 200
    ics = _get(client, path)
    (event,) = vobject_read(ics)["events"]
    assert (event["uid"], event["sequence"], event["zoned_start"]) == (a.uid, 1, "2027-03-15T15:00:00Z")
    assert b.uid not in ics


def test_revoked_feeds_are_gone(client):
    p = _world(client)
    _book(client, p, "other", "2027-03-08T09:00:00-05:00")
    first, second = _feed_path(client, p), _feed_path(client, p)
    assert first != second
    assert _get(client, first) and _get(client, second)  # an older feed keeps working until revoked
    r = client.delete(f"/api/v1/clinicians/{p.us_doc.id}/calendar-feed", headers=f.token(client, "cle@example.org"))
    assert (r.status_code, r.json) == (200, {"revoked": 2})
    for path in (first, second, "/calendar/not-a-token.ics"):
        r = client.get(path)
        assert r.status_code == 404 and r.mimetype == "text/html"
    assert _get(client, _feed_path(client, p))  # a new one can be made


@pytest.mark.parametrize("who", ["admin@example.org", "cle@example.org"])
def test_revoking_is_for_the_clinician_or_an_admin(client, who):
    p = _world(client)
    path = _feed_path(client, p)
    r = client.delete(f"/api/v1/clinicians/{p.us_doc.id}/calendar-feed", headers=f.token(client, who))
    assert (r.status_code, r.json["revoked"]) == (200, 1)
    assert client.get(path).status_code == 404
