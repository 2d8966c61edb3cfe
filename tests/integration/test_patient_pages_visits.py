"""My appointments: both clocks, .ics, reschedule, cancel, earlier slot, waiting-room link, who may see what."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from televisit import clock
from televisit.domain.roles import Actor
from televisit.extensions import db
from televisit.models import User, VisitType, WaitlistEntry
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.seed import DEMO_PASSWORD
from tests import factories as f
from tests.support.patient_world import LONDON, OHIO, OKAFOR, build, html, text_of

WED_0800_EST = datetime.fromisoformat("2027-03-03T13:00:00+00:00")
BOTH_CLOCKS = "Wed 3 Mar 2027, 13:00 your time (08:00 in Cleveland)"  # their clock first, the site's by city


def _book(w, who="lou", start=WED_0800_EST, mode="virtual") -> int:
    """Book a second opinion with Dr. Okafor (Cleveland) for `who`, as the demo scheduler; returns its id."""
    vt = db.session.scalars(select(VisitType).where(VisitType.name == "Second opinion")).one()
    slot = SlotRequest(vt.id, w.ids["okafor"], w.ids["Cleveland"], mode, start, "GB" if who == "lou" else "US-OH")
    sched = db.session.scalars(select(User).where(User.role == "scheduler")).first()
    req = booking.BookingRequest(slot, patient_id=w.ids[who])
    return booking.book(db.session, req, actor=Actor(sched.id, "scheduler"), now=clock.now()).id


@pytest.fixture
def world(client):
    w = build(client)
    w.sign_in(LONDON)
    return w


def test_my_appointments_shows_each_visit_on_both_clocks_and_helps_when_empty(world, client):
    page = text_of(html(client.get("/appointments")))
    assert "No visits yet" in page and "Find care" in page
    appointment_id = _book(world)
    page = html(client.get("/appointments"))
    assert f'href="/appointments/{appointment_id}"' in page
    text = text_of(page)
    assert "Second opinion with Dr. Amara Okafor" in text and BOTH_CLOCKS in text
    assert "Video visit (Cleveland team) · Booked" in text and "No visits yet" not in text
    booking.cancel(db.session, appointment_id, actor=Actor(0, "patient", world.ids["lou"]), now=clock.now())
    text = text_of(html(client.get("/appointments")))
    assert "Past and cancelled" in text and "Cancelled" in text and "No visits yet" in text


def test_the_appointment_page_offers_the_calendar_file_and_each_change(world, client):
    appointment_id = _book(world)
    page = html(client.get(f"/appointments/{appointment_id}"))
    text = text_of(page)
    assert BOTH_CLOCKS in text
    for path in ("calendar.ics", "reschedule", "cancel", "earlier"):
        assert f"/appointments/{appointment_id}/{path}" in page
    assert "The video waiting room opens at Wed 3 Mar 2027, 12:30 your time (07:30 in Cleveland)." in text
    r = client.get(f"/appointments/{appointment_id}/calendar.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert r.headers["Content-Disposition"] == f'attachment; filename="appointment-{appointment_id}.ics"'
    ics = r.get_data(as_text=True)
    assert "DTSTART;TZID=America/New_York:20270303T080000" in ics and "BEGIN:VTIMEZONE" in ics
    assert f"/appointments/{appointment_id}" in ics.replace("\r\n ", "")


def test_reschedule_lists_fresh_times_on_both_clocks_and_moves_the_visit(world, client):
    appointment_id = _book(world)
    page = html(client.get(f"/appointments/{appointment_id}/reschedule"))
    starts = re.findall(r'name="start" value="([^"]+)"', page)
    assert starts and "2027-03-03T13:00:00+00:00" not in starts
    assert re.search(r"\d\d:\d\d · \d\d:\d\d in Cleveland", text_of(page))
    new = starts[-1]
    r = client.post(f"/appointments/{appointment_id}/reschedule", data={"start": new})
    assert r.status_code == 302 and r.headers["Location"] == f"/appointments/{appointment_id}"
    appt = world.appointment(appointment_id)
    assert (appt.start_at, appt.sequence) == (datetime.fromisoformat(new), 1)
    assert "Your appointment has moved." in html(client.get(r.headers["Location"]))


def test_reschedule_to_a_time_just_taken_says_so(world, client):
    appointment_id = _book(world)
    page = html(client.get(f"/appointments/{appointment_id}/reschedule"))
    target = re.findall(r'name="start" value="([^"]+)"', page)[-1]
    _book(world, "ola", datetime.fromisoformat(target), "in_person")
    page = html(client.post(f"/appointments/{appointment_id}/reschedule", data={"start": target}), 409)
    assert "Sorry, someone has just booked that time." in page
    assert target not in re.findall(r'name="start" value="([^"]+)"', page)
    assert world.appointment(appointment_id).sequence == 0
    page = html(client.post(f"/appointments/{appointment_id}/reschedule", data={"start": "soon"}), 409)
    assert "Please choose one of the times shown." in page


def test_cancel_asks_first_and_keeps_the_reason(world, client):
    appointment_id = _book(world)
    page = html(client.get(f"/appointments/{appointment_id}/cancel"))
    assert "Cancel this visit?" in page and 'name="reason"' in page and BOTH_CLOCKS in text_of(page)
    assert world.appointment(appointment_id).status == "booked"  # the GET changes nothing
    r = client.post(f"/appointments/{appointment_id}/cancel", data={"reason": "Seen locally"})
    assert r.status_code == 302
    appt = world.appointment(appointment_id)
    assert (appt.status, appt.cancel_reason) == ("cancelled", "Seen locally")
    page = html(client.get(f"/appointments/{appointment_id}"))
    assert "Your appointment is cancelled." in page and "Cancelled" in page
    assert f"/appointments/{appointment_id}/reschedule" not in page
    r = client.post(f"/appointments/{appointment_id}/cancel", data={})
    assert "This appointment is cancelled and can no longer be changed." in html(client.get(r.headers["Location"]))


def test_ask_for_an_earlier_slot_and_stop_waiting(world, client):
    appointment_id = _book(world)
    r = client.post(f"/appointments/{appointment_id}/earlier")
    assert r.status_code == 302
    entry = db.session.scalars(select(WaitlistEntry)).one()
    assert (entry.appointment_id, entry.status) == (appointment_id, "waiting")
    page = text_of(html(client.get(r.headers["Location"])))
    assert "You're on the list." in page and "Stop waiting for an earlier time" in page
    client.post(f"/appointments/{appointment_id}/earlier/stop")
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, entry.id).status == "withdrawn"


def test_the_waiting_room_link_shows_from_30_minutes_before_until_the_end(world, client):
    appointment_id = _book(world)
    link = f'href="/waiting-room/{appointment_id}"'
    for at, shown in ((-31, False), (-30, True), (59, True), (61, False)):
        clock.freeze(WED_0800_EST + timedelta(minutes=at))
        assert (link in html(client.get(f"/appointments/{appointment_id}"))) is shown, at


def test_another_patient_gets_a_friendly_404_and_changes_nothing(world, client):
    appointment_id = _book(world)
    world.sign_in(OHIO)
    for path in ("", "/calendar.ics", "/reschedule", "/cancel"):
        page = html(client.get(f"/appointments/{appointment_id}{path}"), 404)
        assert "We couldn't find that page" in page or "We couldn&#39;t find that page" in page
    for path in ("/cancel", "/reschedule", "/earlier"):
        html(client.post(f"/appointments/{appointment_id}{path}", data={"start": "2027-03-03T14:15:00+00:00"}), 404)
    appt = world.appointment(appointment_id)
    assert (appt.status, appt.sequence) == ("booked", 0)
    assert db.session.scalars(select(WaitlistEntry)).first() is None
    html(client.get("/appointments/2147483648"), 404)


def test_staff_may_view_the_appointment_page_without_patient_actions(world, client):
    appointment_id = _book(world)
    f.user("sched2@example.org", "scheduler")
    world.sign_in("sched2@example.org")
    page = html(client.get(f"/appointments/{appointment_id}"))
    text = text_of(page)
    assert "Wed 3 Mar 2027, 08:00 EST (patient's time: Wed 3 Mar 2027, 13:00 GMT)" in text
    assert f"/appointments/{appointment_id}/cancel" not in page and "your time" not in text
    assert client.get(f"/appointments/{appointment_id}/calendar.ics").status_code == 200
    html(client.get(f"/appointments/{appointment_id}/cancel"), 403)
    world.sign_in(OKAFOR, DEMO_PASSWORD)  # the demo clinician user: her own visit
    assert "Second opinion with Dr. Amara Okafor" in html(client.get(f"/appointments/{appointment_id}"))
