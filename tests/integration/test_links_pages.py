"""The pages behind the signed links in messages: view (+ .ics), confirm, reschedule, cancel, join.

Links are taken from the confirmation email the jobs wrote (dev outbox), as a patient would click them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from televisit import clock
from tests import factories as f
from tests.conftest import NOW
from tests.support.ical_readers import icaljs_read, iso_z, vobject_read
from tests.support.link_world import book, links_in, run_jobs

LONDON_AT_CLEVELAND = "Mon 8 Mar 2027, 14:00 your time (09:00 in Cleveland)"  # their clock, then the site's
STALE = "earlier version of your appointment"


def _html(r, status=200) -> str:
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.mimetype == "text/html"
    return r.get_data(as_text=True)


def test_view_shows_both_clocks_and_offers_each_action(app, client):
    p = f.program()
    b = book(app, client, p, "patient", "2027-03-08T09:00:00-05:00")
    assert set(b.links) == {"view", "reschedule", "cancel"}  # in person: no join link; confirm is on the page
    page = _html(client.get(b.links["view"]))
    assert LONDON_AT_CLEVELAND in page
    assert "Dr. Cleveland" in page and "Cleveland, Cleveland" in page
    for purpose in ("confirm", "reschedule", "cancel"):
        assert f'href="http://televisit.test/l/{purpose}/' in page
    assert f'href="{b.links["view"]}/calendar.ics"' in page


def test_the_view_link_downloads_the_invitation(app, client):
    p = f.program()
    b = book(app, client, p, "other", "2027-03-15T09:00:00-04:00")
    r = client.get(b.links["view"] + "/calendar.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert r.headers["Content-Disposition"] == f'attachment; filename="appointment-{b.appointment_id}.ics"'
    ics = r.get_data()
    appt = b.appt
    for reader in (vobject_read(ics), icaljs_read(ics)):
        (event,) = reader["events"]
        assert (event["uid"], event["sequence"], event["start"]) == (appt.uid, 0, iso_z(appt.start_at))
    assert b"DTSTART;TZID=America/New_York:20270315T090000" in ics


def _confirm_link(client, b) -> str:
    """The confirm link is a button on the view page (the email says "View or confirm")."""
    (path,) = re.findall(r'href="http://televisit\.test(/l/confirm/[^"]+)"', _html(client.get(b.links["view"])))
    return path


def test_confirm_records_when_the_patient_confirmed_once(app, client):
    p = f.program()
    b = book(app, client, p, "patient", "2027-03-08T09:00:00-05:00")
    b.links["confirm"] = _confirm_link(client, b)
    page = _html(client.get(b.links["confirm"]))
    assert "Confirm your appointment" in page and "<form" in page and LONDON_AT_CLEVELAND in page
    assert b.appt.confirmed_at is None  # a GET (link preview, mail scanner) confirms nothing
    page = _html(client.post(b.links["confirm"]))
    assert "Thank you, you're confirmed" in page or "Thank you, you&#39;re confirmed" in page
    assert b.appt.confirmed_at == NOW
    clock.freeze(NOW + timedelta(hours=3))
    _html(client.post(b.links["confirm"]))
    assert b.appt.confirmed_at == NOW  # the first confirmation stands
    assert "confirmed" in _html(client.get(b.links["view"])).split("Status", 1)[1]


def _offered(page: str) -> list[datetime]:
    return [datetime.fromisoformat(v) for v in re.findall(r'name="start" value="([^"]+)"', page)]


def test_reschedule_lists_free_times_and_moves_the_visit_killing_old_links(app, client):
    p = f.program()
    b = book(app, client, p, "patient", "2027-03-08T09:00:00-05:00")
    old_start = b.appt.start_at
    b.links["confirm"] = _confirm_link(client, b)
    offered = _offered(_html(client.get(b.links["reschedule"])))
    new_start = datetime.fromisoformat("2027-03-15T10:00:00-04:00")
    assert datetime.fromisoformat("2027-03-08T10:00:00-05:00") in offered and new_start in offered
    assert old_start not in offered  # its own time is not "another time"
    assert offered == sorted(offered) and len(offered) == 5 * 3 - 1  # Mondays 03-01..03-29, 09-12, less this one
    r = client.post(b.links["reschedule"], data={"start": new_start.isoformat()})
    assert r.status_code == 302
    new_view = urlsplit(r.headers["Location"]).path
    appt = b.appt
    assert (appt.sequence, appt.start_at, appt.status) == (1, new_start, "booked")
    assert "Mon 15 Mar 2027, 14:00 your time (10:00 in Cleveland)" in _html(client.get(new_view))
    for purpose in ("view", "cancel", "reschedule", "confirm"):
        page = _html(client.get(b.links[purpose]), 403)
        assert STALE in page and "Traceback" not in page
    assert STALE in _html(client.post(b.links["cancel"]), 403)
    assert _html(client.get(b.links["view"] + "/calendar.ics"), 403)
    assert b.appt.status == "booked"  # the stale cancel link changed nothing
    run_jobs(app)
    moved = links_in(b.appointment_id, "moved")  # the 'moved' email carries fresh links
    assert urlsplit(moved["view"]).path == new_view
    assert "Cancel this appointment?" in _html(client.get(moved["cancel"]))


def test_reschedule_refuses_a_time_not_offered_without_changing_anything(app, client):
    p = f.program()
    b = book(app, client, p, "other", "2027-03-08T09:00:00-05:00")
    taken = book(app, client, p, "patient", "2027-03-08T10:00:00-05:00")
    for start in ("2027-03-08T10:00:00-05:00", "2027-03-09T03:00:00-05:00", "not a time", ""):
        page = _html(client.post(b.links["reschedule"], data={"start": start}), 409)
        assert 'class="error"' in page
    appt = b.appt
    assert (appt.sequence, appt.start_at) == (0, datetime.fromisoformat("2027-03-08T09:00:00-05:00"))
    assert taken.appt.sequence == 0


def test_cancel_asks_then_cancels(app, client):
    p = f.program()
    b = book(app, client, p, "patient", "2027-03-08T09:00:00-05:00")
    page = _html(client.get(b.links["cancel"]))
    assert "Cancel this appointment?" in page and LONDON_AT_CLEVELAND in page
    assert b.appt.status == "booked"
    page = _html(client.post(b.links["cancel"], data={"reason": "feeling better"}))
    assert "Your appointment is cancelled" in page
    appt = b.appt
    assert (appt.status, appt.cancel_reason) == ("cancelled", "feeling better")
    assert "can no longer be cancelled online" in _html(client.get(b.links["cancel"]))
    assert "This appointment is cancelled" in _html(client.get(b.links["view"]))
    assert _html(client.post(b.links["cancel"]), 409)  # a second cancel is refused politely
    run_jobs(app)
    assert links_in(b.appointment_id, "cancelled")["view"]  # the cancellation email was sent


def test_join_says_when_the_waiting_room_opens(app, client):
    p = f.program()
    b = book(app, client, p, "other", "2027-03-08T09:00:00-05:00", mode="virtual")
    assert "join" in b.links
    page = _html(client.get(b.links["join"]))
    assert "The waiting room opens at Mon, Mar 8, 2027, 8:30 AM (your time, as in Cleveland)" in page
    clock.freeze(datetime.fromisoformat("2027-03-08T08:31:00-05:00"))
    r = client.get(b.links["join"])  # open: the link leads into the waiting room, the token riding along
    assert r.status_code == 302
    assert r.headers["Location"] == f"/waiting-room/{b.appointment_id}?join={b.links['join'].rsplit('/', 1)[1]}"
    assert "Before you check in" in _html(client.get(r.headers["Location"]))
    clock.freeze(datetime.fromisoformat("2027-03-08T10:00:00-05:00"))  # the visit's end: the join link is spent
    assert "This link has expired." in _html(client.get(b.links["join"]), 403)
    assert _html(client.get(b.links["view"]))  # while the view link still works for a day
