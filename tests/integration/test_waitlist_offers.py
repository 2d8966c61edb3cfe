"""Freed time is recorded with the cancel or move, then offered by the jobs process to the right
waiting patients, in the order they joined, by SMS and email carrying a working signed link."""

from __future__ import annotations

from televisit import clock
from tests.conftest import NOW
from tests.integration.test_waitlist_support import API, LINK, at, iso, standard

NOBODY_ELSE = ("x", "gb", "f", "e", "d", "n")


def offer_sms(w, key: str) -> list[str]:
    return [b for b in w.sms(key) if "/l/offer/" in b]


def test_a_cancel_offers_the_slot_in_join_order_to_eligible_patients_only(messaging):
    w, ids = standard(messaging)
    w.cancel(ids["x"])
    assert w.freed_starts() == [at(8, 9)]  # recorded with the cancel, before any job ran
    assert w.offers() == []
    result = w.deliver()
    assert result["offer_freed_slots"] == {"slots": 1, "offers": 3, "expired": 0}
    # GB (joined first) is not licensed for a video visit with this clinician; F waits for another
    # visit type; E's visit is earlier already; D is the fourth eligible one to join; N never joined.
    assert w.offers() == [("a", "open"), ("b", "open"), ("c", "open")]
    for key in ("a", "b", "c"):
        (sms,) = w.sms(key)
        assert "9:00 AM EST" in sms and "Mon, Mar 8" in sms and "Reply Y" in sms
        assert "Consult" not in sms and "Dr." not in sms  # an SMS names no visit type or clinician
        assert LINK.search(sms)
        (mail,) = w.emails(key)
        assert "earlier" in mail["Subject"] and "9:00 AM EST" in mail["Subject"]
        text = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        assert w.offer_path(key) in text and w.offer_path(key) in html
    for key in NOBODY_ELSE:
        assert offer_sms(w, key) == []
        assert not [m for m in w.emails(key) if "earlier" in m["Subject"]]
    assert w.sms("gb") == w.sms("d") == w.sms("n") == []


def test_each_link_opens_its_own_offer_page(messaging):
    w, ids = standard(messaging)
    w.cancel(ids["x"])
    w.deliver()
    a_page = messaging.client.get(w.offer_path("a"))
    assert a_page.status_code == 200
    body = a_page.get_data(as_text=True)
    assert "Mon, Mar 8, 2027, 9:00 AM (your time, as in Cleveland)" in body and "Take the earlier time" in body
    assert "1:00 PM (your time" in body  # A's own appointment, unchanged until accepted
    b_page = messaging.client.get(w.offer_path("b")).get_data(as_text=True)
    assert "2:00 PM (your time" in b_page and "1:00 PM (your time" not in b_page
    tampered = w.offer_path("a")[:-2] + ("AA" if not w.offer_path("a").endswith("AA") else "BB")
    assert messaging.client.get(tampered).status_code == 403


def test_the_jobs_offer_a_slot_once(messaging):
    w, ids = standard(messaging)
    w.cancel(ids["x"])
    w.deliver()
    sent = len(messaging.twilio.messages)
    again = w.deliver()
    assert again["offer_freed_slots"] == {"slots": 0, "offers": 0, "expired": 0}
    assert len(w.offers()) == 3 and len(messaging.twilio.messages) == sent


def test_a_patient_who_left_is_skipped_and_the_next_in_line_is_offered(messaging):
    w, ids = standard(messaging)
    r = messaging.client.delete(f"{API}/appointments/{ids['b']}/waitlist", headers=w.people["b"].headers)
    assert r.status_code == 204
    w.cancel(ids["x"])
    w.deliver()
    assert w.offers() == [("a", "open"), ("c", "open"), ("d", "open")]
    assert offer_sms(w, "b") == [] and len(offer_sms(w, "d")) == 1


def test_a_reschedule_frees_the_old_time_too(messaging):
    w, ids = standard(messaging)
    r = messaging.client.post(
        f"{API}/appointments/{ids['x']}/reschedule", json={"start": iso(at(22, 9))}, headers=w.staff
    )
    assert r.status_code == 200 and r.json["start"] == "2027-03-22T09:00:00-04:00"
    assert w.freed_starts() == [at(8, 9)]
    w.deliver()
    assert w.offers() == [("a", "open"), ("b", "open"), ("c", "open")]
    assert offer_sms(w, "x") == []


def test_an_in_person_slot_needs_no_licence(messaging):
    """The GB patient was passed over for video only: a freed in-person visit is offered to them first."""
    w, ids = standard(messaging)
    w.cancel(ids["d"])  # D's in-person visit, Mon 8 Mar 10:00
    w.deliver()
    assert w.offers() == [("gb", "open"), ("a", "open"), ("b", "open")]
    (sms,) = offer_sms(w, "gb")
    assert "Cleveland" in sms and "15:00" in sms  # London patient: 24-hour clock in their own zone too
    assert offer_sms(w, "c") == []


def test_nothing_is_offered_for_time_already_past(messaging):
    w, ids = standard(messaging)
    w.cancel(ids["x"])
    clock.freeze(at(8, 9))  # the freed visit's start: too late to offer
    try:
        result = w.deliver()
    finally:
        clock.freeze(NOW)
    assert result["offer_freed_slots"] == {"slots": 1, "offers": 0, "expired": 0}
    assert w.offers() == []
