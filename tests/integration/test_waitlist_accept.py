"""Accepting an offer: by link or SMS reply Y the first patient gets the slot; the others are told
it is gone and keep their own appointment; a late or expired acceptance changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from televisit import clock
from televisit.domain.errors import Conflict
from televisit.extensions import db
from televisit.services.messaging import waitlist
from tests.conftest import NOW
from tests.integration.test_waitlist_support import at, standard

TAKEN = "taken"


def offered(m):
    w, ids = standard(m)
    w.cancel(ids["x"])
    w.deliver()
    assert w.offers() == [("a", "open"), ("b", "open"), ("c", "open")]
    return w, ids


def unchanged(w, appointment_id: int, start) -> bool:
    appt = w.appt(appointment_id)
    return appt["sequence"] == 0 and appt["status"] == "booked" and w.start_of(appointment_id) == start


def test_accept_by_link_moves_the_appointment_and_the_others_hear_it_is_gone(messaging):
    w, ids = offered(messaging)
    r = w.accept_link("a")
    assert r.status_code == 200 and "your appointment has moved" in r.get_data(as_text=True)
    moved = w.appt(ids["a"])
    assert moved["id"] == ids["a"] and moved["sequence"] == 1 and moved["status"] == "booked"
    assert w.start_of(ids["a"]) == at(8, 9)
    assert w.offers() == [("a", "accepted"), ("b", "gone"), ("c", "gone")]
    assert unchanged(w, ids["b"], at(8, 14)) and unchanged(w, ids["c"], at(15, 9))
    assert w.appointments_at(at(8, 9)) == [ids["a"]]
    assert not [b for b in w.sms("b") if TAKEN in b]  # told by the jobs process, not inline
    w.deliver()
    for key, when in (("b", "2:00 PM EST"), ("c", "9:00 AM EDT")):
        (gone,) = [b for b in w.sms(key) if TAKEN in b]
        assert when in gone and "unchanged" in gone  # their own booking, named
        assert [m for m in w.emails(key) if TAKEN in m["Subject"]]
    assert any("has moved to Mon, Mar 8, 2027, 9:00 AM EST" in b for b in w.sms("a"))
    assert not [b for b in w.sms("a") if TAKEN in b] and not [b for b in w.sms("d") if TAKEN in b]


def test_a_late_reply_y_is_told_politely_and_changes_nothing(messaging):
    w, ids = offered(messaging)
    assert w.accept_link("a").status_code == 200
    r = w.reply("b", "Y")
    assert r.status_code == 200 and r.mimetype == "text/xml"
    text = r.get_data(as_text=True)
    assert "<Message>" in text and "already been taken" in text
    assert unchanged(w, ids["b"], at(8, 14))
    assert w.offers() == [("a", "accepted"), ("b", "gone"), ("c", "gone")]
    late_link = w.accept_link("c")
    assert late_link.status_code == 409 and "taken" in late_link.get_data(as_text=True)
    assert unchanged(w, ids["c"], at(15, 9))
    assert w.appointments_at(at(8, 9)) == [ids["a"]]


def test_accept_by_sms_reply(messaging):
    w, ids = offered(messaging)
    r = w.reply("b", " yes ")
    assert "done, your appointment has moved" in r.get_data(as_text=True)
    assert w.start_of(ids["b"]) == at(8, 9) and w.appt(ids["b"])["sequence"] == 1
    assert w.offers() == [("a", "gone"), ("b", "accepted"), ("c", "gone")]
    assert unchanged(w, ids["a"], at(8, 13))
    assert w.accept_link("a").status_code == 409
    assert unchanged(w, ids["a"], at(8, 13))


def test_the_winners_old_time_is_offered_next(messaging):
    w, ids = offered(messaging)
    w.accept_link("a")  # A leaves Mon 8 Mar 13:00
    assert w.freed_starts() == [at(8, 9), at(8, 13)]
    w.deliver()
    # Later than 13:00 and eligible: B (14:00) and C (15 Mar); D (10:00) is earlier; A is served.
    assert w.offers()[3:] == [("b", "open"), ("c", "open")]
    assert any("1:00 PM EST" in b and "/l/offer/" in b for b in w.sms("b"))
    r = w.reply("b", "Y")  # B's newest open offer is 13:00
    assert "done" in r.get_data(as_text=True)
    assert w.start_of(ids["b"]) == at(8, 13) and w.start_of(ids["a"]) == at(8, 9)
    assert w.offers()[3:] == [("b", "accepted"), ("c", "gone")]
    assert unchanged(w, ids["c"], at(15, 9))


def test_accepting_twice_does_not_move_twice(messaging):
    w, ids = offered(messaging)
    path = w.offer_path("a")
    assert messaging.client.post(path).status_code == 200
    assert messaging.client.post(path).status_code == 409
    assert "done" not in w.reply("a", "Y").get_data(as_text=True)
    appt = w.appt(ids["a"])
    assert appt["sequence"] == 1 and w.start_of(ids["a"]) == at(8, 9)
    assert w.freed_starts() == [at(8, 9), at(8, 13)]  # the new time was not "freed" by a second move


@pytest.mark.parametrize("how", ["link", "sms"])
def test_an_expired_offer_cannot_be_accepted(messaging, how):
    w, ids = offered(messaging)
    path = w.offer_path("a")
    clock.freeze(NOW + timedelta(hours=waitlist.OFFER_HOURS, minutes=1))
    try:
        if how == "link":
            r = messaging.client.post(path)
            assert r.status_code == 403 and "expired" in r.get_data(as_text=True)
        else:
            text = w.reply("a", "Y").get_data(as_text=True)
            assert "expired" in text and "done" not in text
    finally:
        clock.freeze(NOW)
    assert unchanged(w, ids["a"], at(8, 13))
    assert w.appointments_at(at(8, 9)) == []
    assert w.offers()[0] == ("a", "open")


def test_the_jobs_mark_expired_offers_and_a_late_reply_still_hears_why(messaging):
    w, ids = offered(messaging)
    clock.freeze(NOW + timedelta(hours=waitlist.OFFER_HOURS, minutes=1))
    try:
        assert w.deliver()["offer_freed_slots"]["expired"] == 3
        assert {status for _, status in w.offers()} == {"expired"}
        text = w.reply("a", "Y").get_data(as_text=True)
        assert "expired" in text and "done" not in text
    finally:
        clock.freeze(NOW)
    assert unchanged(w, ids["a"], at(8, 13))


def test_the_service_refuses_an_expired_offer_even_with_a_valid_link(messaging):
    w, ids = offered(messaging)
    offer = w.offer_of("a")
    with pytest.raises(Conflict):
        waitlist.accept(db.session, offer.id, patient_id=w.people["a"].patient_id, now=offer.expires_at)
    db.session.rollback()
    assert unchanged(w, ids["a"], at(8, 13))
    moved = waitlist.accept(db.session, offer.id, patient_id=w.people["a"].patient_id, now=NOW)
    assert moved.id == ids["a"] and w.start_of(ids["a"]) == at(8, 9)  # the same call in time works


def test_a_patient_offered_two_slots_is_never_moved_later(messaging):
    w, ids = standard(messaging)
    w.cancel(ids["x"])  # 09:00 video
    w.cancel(ids["d"])  # 10:00 in person
    w.deliver()
    assert [k for k, _ in w.offers()] == ["a", "b", "c", "gb", "a", "b"]
    nine, ten = w.offer_paths("a")
    assert messaging.client.post(nine).status_code == 200
    assert w.start_of(ids["a"]) == at(8, 9)
    reply = w.reply("a", "Y").get_data(as_text=True)  # the newest offer to A: 10:00, now later than A's visit
    assert "done" not in reply and "earlier" in reply
    late = messaging.client.post(ten)
    assert late.status_code == 409
    assert w.start_of(ids["a"]) == at(8, 9) and w.appt(ids["a"])["sequence"] == 1
    assert w.freed_starts() == [at(8, 9), at(8, 10), at(8, 13)]
    assert "done" in w.reply("b", "Y").get_data(as_text=True)  # 10:00 is still there for B
    assert w.start_of(ids["b"]) == at(8, 10)
