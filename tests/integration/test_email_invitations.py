"""Confirmation, moved and cancelled emails as the local SMTP server receives them, with their invitations.

Real path: book / reschedule / cancel through the API, run the jobs once, read what aiosmtpd received.
"""

from __future__ import annotations

import re

import pytest

from televisit.extensions import db
from televisit.models import Appointment
from tests import factories as f
from tests.support.ical_readers import icaljs_read, iso_z, vobject_calendar, vobject_read
from tests.support.mailparts import everything, leaves, only_part, text_of

REASON = "Suspected cord compression after fall"
ORGANIZER = "mailto:no-reply@televisit.local"  # MAIL_FROM's address (the default)


def _book(m, p, who: str, start: str, *, site="cleveland", reason=None) -> Appointment:
    """Book in person through the API as the scheduler, for `who` (a key of p.users)."""
    doc, loc = (p.us_doc, p.cleveland) if site == "cleveland" else (p.uk_doc, p.london)
    body = {"visit_type_id": p.consult.id, "clinician_id": doc.id, "location_id": loc.id, "mode": "in_person"}
    body |= {"start": start, "patient_id": p.users[who].patient_id}
    if reason:
        body["reason"] = reason
    r = m.client.post("/api/v1/appointments", json=body, headers=f.token(m.client, "sched@example.org"))
    assert r.status_code == 201, r.json
    return db.session.get(Appointment, r.json["id"])


def _act(m, appt_id: int, action: str, body: dict) -> dict:
    headers = f.token(m.client, "sched@example.org")
    r = m.client.post(f"/api/v1/appointments/{appt_id}/{action}", json=body, headers=headers)
    assert r.status_code == 200, r.json
    return r.json


def _mail(m, address: str, count: int):
    got = m.smtp.recorder.to(address)
    assert len(got) == count, [g["Subject"] for g in got]
    return got[-1]


def _invitation(msg) -> str:
    """The inline text/calendar alternative, checked against the .ics attachment (the same bytes)."""
    ics = text_of(msg, "text/calendar")
    attachment = only_part(msg, "application/ics")
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content().decode().replace("\r\n", "\n") == ics
    return ics


def test_confirmation_is_text_html_and_a_request_invitation(messaging):
    m, p = messaging, f.program()
    appt = _book(m, p, "patient", "2027-03-15T09:00:00-04:00", reason=REASON)  # London patient, gap week
    assert appt.reason == REASON  # it was recorded; it must not travel
    m.run_jobs()
    msg = _mail(m, "pat@example.org", 1)
    assert msg.get_content_type() == "multipart/mixed"
    (alternative,) = [part for part in msg.walk() if part.get_content_type() == "multipart/alternative"]
    assert [part.get_content_type() for part in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert only_part(msg, "text/calendar").get_param("method") == "REQUEST"
    ics = _invitation(msg)
    cal = vobject_calendar(ics)
    ev = cal.vevent
    assert cal.method.value == "REQUEST"
    assert (ev.uid.value, ev.sequence.value, ev.status.value) == (appt.uid, "0", "CONFIRMED")
    assert ev.organizer.value == ORGANIZER
    assert [a.value for a in ev.attendee_list] == ["mailto:pat@example.org"]
    assert "DTSTART;TZID=America/New_York:20270315T090000\n" in ics
    assert re.search(r"BEGIN:VTIMEZONE\nTZID:America/New_York\n", ics)
    want = iso_z(appt.start_at)
    assert want == "2027-03-15T13:00:00Z"
    assert vobject_read(ics)["events"][0]["zoned_start"] == icaljs_read(ics)["events"][0]["start"] == want


def test_email_shows_the_site_clock_and_the_patients_and_never_the_reason(messaging):
    m, p = messaging, f.program()
    _book(m, p, "patient", "2027-03-15T09:00:00-04:00", reason=REASON)
    m.run_jobs()
    msg = _mail(m, "pat@example.org", 1)
    when = "Mon 15 Mar 2027, 09:00 EDT (Mon 15 Mar 2027, 13:00 GMT your time)"  # UK reader: 24-hour, day first
    assert when in text_of(msg, "text/plain")
    assert when in text_of(msg, "text/html")
    assert when in msg["Subject"]
    seen = everything(msg)
    assert "Consult" in seen and "Dr. Cleveland" in seen  # the decoding works: visit type and clinician are there
    assert "cord compression" not in seen.lower()


@pytest.mark.parametrize(
    ("who", "zone", "region", "site", "start", "when", "absent"),
    [
        # an Ohio patient at Cleveland: one clock, 12-hour
        ("other", None, None, "cleveland", "2027-03-08T09:00:00-05:00", "Mon, Mar 8, 2027, 9:00 AM EST", "your time"),
        # a US patient in Los Angeles: the site's clock and theirs, both 12-hour
        (
            "la",
            "America/Los_Angeles",
            "US-OH",
            "cleveland",
            "2027-03-08T09:00:00-05:00",
            "Mon, Mar 8, 2027, 9:00 AM EST (Mon, Mar 8, 2027, 6:00 AM PST your time)",
            "09:00",
        ),
        # a UK patient in London: one clock, 24-hour
        ("patient", None, None, "london", "2027-03-08T09:00:00+00:00", "Mon 8 Mar 2027, 09:00 GMT", "your time"),
        # an Ohio patient at London after the UK change: BST, and their EDT clock
        (
            "other",
            None,
            None,
            "london",
            "2027-03-29T09:00:00+01:00",
            "Mon, Mar 29, 2027, 9:00 AM BST (Mon, Mar 29, 2027, 4:00 AM EDT your time)",
            "09:00",
        ),
    ],
    ids=["ohio-at-cleveland", "la-at-cleveland", "uk-at-london", "ohio-at-london-bst"],
)
def test_times_are_formatted_for_the_patients_locale(messaging, who, zone, region, site, start, when, absent):
    m, p = messaging, f.program()
    if zone:
        p.users[who] = f.user(f"{who}@example.org", "patient", tz=zone, region=region)
    _book(m, p, who, start, site=site)
    m.run_jobs()
    text = text_of(_mail(m, p.users[who].email, 1), "text/plain")
    details = text[text.index("When:") :].splitlines()[0]
    assert details == f"When:  {when}"
    assert absent not in details


def test_reschedule_sends_moved_invitations_with_the_same_uid_and_rising_sequence_then_cancel(messaging):
    m, p = messaging, f.program()
    appt = _book(m, p, "other", "2027-03-08T09:00:00-05:00")
    uid, appt_id = appt.uid, appt.id
    m.run_jobs()
    first = _mail(m, "other@example.org", 1)
    for n, (hhmm, local) in enumerate([("10:00", "20270308T100000"), ("11:00", "20270308T110000")], start=1):
        moved = _act(m, appt_id, "reschedule", {"start": f"2027-03-08T{hhmm}:00-05:00"})
        assert moved["sequence"] == n
        m.run_jobs()
        msg = _mail(m, "other@example.org", 1 + n)
        assert msg["Subject"] != first["Subject"] and "moved" in text_of(msg, "text/plain")
        assert only_part(msg, "text/calendar").get_param("method") == "REQUEST"
        ics = _invitation(msg)
        ev = vobject_calendar(ics).vevent
        assert (ev.uid.value, ev.sequence.value, ev.status.value) == (uid, str(n), "CONFIRMED")
        assert "METHOD:REQUEST\n" in ics and f"DTSTART;TZID=America/New_York:{local}\n" in ics
        assert f"Mon, Mar 8, 2027, {hhmm.lstrip('0')} AM EST" in text_of(msg, "text/plain")
    _act(m, appt_id, "cancel", {"reason": REASON})
    m.run_jobs()
    msg = _mail(m, "other@example.org", 4)
    assert "cancelled" in text_of(msg, "text/plain")
    assert only_part(msg, "text/calendar").get_param("method") == "CANCEL"
    ics = _invitation(msg)
    cal = vobject_calendar(ics)
    assert cal.method.value == "CANCEL"
    assert (cal.vevent.uid.value, cal.vevent.status.value, cal.vevent.sequence.value) == (uid, "CANCELLED", "2")
    assert "cord compression" not in everything(msg).lower()
    for reader in (vobject_read(ics), icaljs_read(ics)):
        assert [(e["uid"], e["status"], e["start"]) for e in reader["events"]] == [
            (uid, "CANCELLED", "2027-03-08T16:00:00Z")
        ]


def test_every_mime_leaf_is_one_the_reader_expects(messaging):
    m, p = messaging, f.program()
    _book(m, p, "other", "2027-03-08T09:00:00-05:00")
    m.run_jobs()
    msg = _mail(m, "other@example.org", 1)
    assert [part.get_content_type() for part in leaves(msg)] == [
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    assert msg["From"] == "Televisit <no-reply@televisit.local>" and msg["To"] == "other@example.org"
    html = text_of(msg, "text/html")
    assert html.lstrip().startswith("<!doctype html>") and "/l/view/" in html and "/l/cancel/" in html
