"""'Ask for an earlier time' is neither offered nor accepted once the visit is inside its visit type's minimum
notice (no earlier time could be booked any more): the page hides the button, the API answers 409 in words."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from televisit import clock
from televisit.extensions import db
from televisit.models import Clinician, VisitType, WaitlistEntry
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.booking.search import SlotQuery, search
from tests import factories as f
from tests.support.patient_world import OHIO, build, html

NEW_YORK = ZoneInfo("America/New_York")
ASK = "Ask for an earlier time"


def _follow_up(w):
    """Ola's follow-up in person with Dr. Daniel Reyes, at his first free time (the visit type needs 2 h notice)."""
    vt = db.session.scalars(select(VisitType).where(VisitType.name == "Follow-up")).one()
    assert vt.min_notice_minutes == 120
    reyes = db.session.scalars(select(Clinician).where(Clinician.name == "Dr. Daniel Reyes")).one()
    today = clock.now().astimezone(NEW_YORK).date()
    q = SlotQuery(vt.id, today, today + timedelta(days=14), NEW_YORK, clinician_id=reyes.id, mode="in_person")
    slot = search(db.session, q, now=clock.now())[0]
    req = booking.BookingRequest(SlotRequest(vt.id, reyes.id, slot.location_id, "in_person", slot.start, None))
    return booking.book(db.session, req, actor=w.ola(), now=clock.now())


def test_outside_the_notice_the_page_offers_it_and_the_api_accepts(client):
    w = build(client)
    appt = _follow_up(w)
    clock.freeze(appt.start_at - timedelta(hours=3))
    w.sign_in(OHIO)
    assert ASK in html(client.get(f"/appointments/{appt.id}"))
    r = client.post(f"/api/v1/appointments/{appt.id}/waitlist", headers=f.token(client, OHIO))
    assert r.status_code == 201, r.json


def test_inside_the_notice_the_page_does_not_offer_it_and_the_api_refuses_in_words(client):
    w = build(client)
    appt = _follow_up(w)
    clock.freeze(appt.start_at - timedelta(minutes=119))  # one minute inside the two hours' notice
    w.sign_in(OHIO)
    page = html(client.get(f"/appointments/{appt.id}"))
    assert ASK not in page and "/earlier" not in page
    assert "no earlier time can be booked any more" in page
    r = client.post(f"/api/v1/appointments/{appt.id}/waitlist", headers=f.token(client, OHIO))
    assert r.status_code == 409 and r.json["error"]["code"] == "inside_notice"
    assert "too soon for an earlier time" in r.json["error"]["message"]
    r = client.post(f"/appointments/{appt.id}/earlier")  # the page's own form, posted anyway
    assert r.status_code == 302
    assert db.session.scalars(select(WaitlistEntry)).first() is None
    assert "too soon for an earlier time" in html(client.get(r.headers["Location"]))
