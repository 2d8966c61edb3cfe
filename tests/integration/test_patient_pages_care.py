"""Find care: first times in the patient's zone by day, on both clocks; the confirm step; booking; each refusal."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment, Clinician, VisitType
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from tests.support.patient_world import LONDON, OHIO, build, confirm_links, hidden_fields, html, text_of

SECOND_OPINION_AT_CLEVELAND = dict(need="second-opinion", mode="virtual", region="GB")
OKAFOR_FIRST = "2027-03-03T13:00:00+00:00"  # Wed 08:00 EST = 13:00 GMT: 48 h notice, then her Wednesday hours


def _search_after_intake(w, **params):
    r = w.search(**params)
    assert r.status_code == 302 and r.headers["Location"].startswith("/intake?")
    r = w.intake(**{k: v for k, v in params.items()})
    assert r.status_code == 302 and r.headers["Location"].startswith("/find-care?")
    return html(w.client.get(r.headers["Location"]))


def test_a_london_patient_books_a_video_second_opinion_with_a_cleveland_surgeon_on_both_clocks(client):
    w = build(client)
    w.sign_in(LONDON)
    page = _search_after_intake(w, site=w.ids["Cleveland"], **SECOND_OPINION_AT_CLEVELAND)
    text = text_of(page)
    assert "Times are your own (British Time)" in text and "Europe/London" not in text  # never an IANA name
    first = "Wed 3 Mar 2027 13:00 08:00 in Cleveland Dr. Amara Okafor · Neurosurgery Video visit (Cleveland team)"
    assert first in text
    links = confirm_links(page)
    assert len(links) == 24
    first = parse_qs(urlsplit(links[0]).query)
    assert first["start"] == [OKAFOR_FIRST] and first["clinician"] == [str(w.ids["okafor"])]

    confirm = html(client.get(links[0]))
    assert "Wed 3 Mar 2027, 13:00 your time (08:00 in Cleveland)" in confirm
    assert "Video visit, from United Kingdom" in confirm
    r = client.post("/find-care/book", data={**hidden_fields(confirm), "reason": "MRI shows a schwannoma"})
    assert r.status_code == 302
    appt = db.session.scalars(select(Appointment)).one()
    assert r.headers["Location"] == f"/appointments/{appt.id}"
    assert (appt.clinician_id, appt.location_id, appt.mode) == (w.ids["okafor"], w.ids["Cleveland"], "virtual")
    assert (appt.patient_id, appt.patient_region, appt.reason) == (w.ids["lou"], "GB", "MRI shows a schwannoma")
    page = text_of(html(client.get(r.headers["Location"])))
    assert "You're booked." in page
    assert "Wed 3 Mar 2027, 13:00 your time (08:00 in Cleveland)" in page


def test_times_are_grouped_by_the_patients_own_day_in_order(client):
    w = build(client)
    w.sign_in(OHIO)
    page = html(w.search(need="follow-up", mode="in_person", site=w.ids["Weston"]))
    text = text_of(page)
    days = [datetime.strptime(h, "%a, %b %d, %Y").date() for h in re.findall(r'<h3 class="day">([^<]+)</h3>', page)]
    assert days[:2] == [date(2027, 3, 1), date(2027, 3, 2)] and days == sorted(set(days))
    first = "Mon, Mar 1, 2027 9:00 AM Dr. Marco Bellini · Orthopaedic spine surgery Weston Florida Clinic, Weston"
    assert first in text
    assert " in Weston " not in text  # same zone as the site: one clock
    assert "Weston Florida Clinic, Weston" in text and "Cleveland Main Campus" not in text.split("First available")[1]
    assert "10:30 AM" in text and "EST" not in text  # 12-hour clock for a US patient, no bare abbreviation


def test_a_first_visit_needs_the_intake_but_a_follow_up_does_not(client):
    w = build(client)
    w.sign_in(OHIO)
    r = w.search(need="new", mode="in_person")
    assert r.headers["Location"] == "/intake?need=new&mode=in_person"
    page = html(client.get(r.headers["Location"]))
    assert '<input type="hidden" name="need" value="new">' in page
    assert html(w.search(need="follow-up", mode="virtual")).count("/find-care/confirm?") == 24
    r = client.post("/find-care/book", data={"need": "new", "mode": "in_person", "clinician": "1", "location": "1"})
    assert r.status_code == 302  # nothing booked past the gate either
    assert db.session.scalars(select(Appointment)).first() is None


def test_the_search_form_explains_what_is_missing(client):
    w = build(client)
    w.sign_in(LONDON)
    page = html(client.get("/find-care"))
    assert '<option value="GB" selected>' in page  # where they'll be: their own region to start with
    page = html(w.search(need="nothing", mode="by-pigeon"), 422)
    assert "Choose what you need." in page and "Choose a video visit or in person." in page
    w.intake()
    page = html(w.search(need="imaging", mode="in_person"), 422)
    assert "Imaging review is offered only as a video visit." in page


def _confirm(w, start=OKAFOR_FIRST, clinician=None, **params):
    params = {**SECOND_OPINION_AT_CLEVELAND, "site": w.ids["Cleveland"], **params}
    pick = {"clinician": clinician or w.ids["okafor"], "location": w.ids["Cleveland"], "start": start}
    return hidden_fields(html(w.client.get("/find-care/confirm", query_string={**params, **pick})))


def test_a_time_taken_meanwhile_says_so_and_shows_fresh_times(client):
    w = build(client)
    w.sign_in(LONDON)
    w.intake()
    form = _confirm(w)
    second = db.session.scalars(select(VisitType).where(VisitType.name == "Second opinion")).one()
    slot = SlotRequest(second.id, w.ids["okafor"], w.ids["Cleveland"], "in_person", _at(OKAFOR_FIRST), None)
    booking.book(db.session, booking.BookingRequest(slot), actor=w.ola(), now=clock.now())

    page = html(client.post("/find-care/book", data=form), 409)
    assert "Sorry, someone has just booked that time. Here are the times that are free now." in page
    links = confirm_links(page)
    assert links and not any("2027-03-03T13:00:00" in link for link in links)
    assert db.session.scalars(select(Appointment).where(Appointment.patient_id == w.ids["lou"])).first() is None


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_a_time_inside_the_notice_is_refused_in_plain_words(client):
    w = build(client)
    w.sign_in(LONDON)
    w.intake()
    page = html(client.post("/find-care/book", data=_confirm(w, start="2027-03-01T18:00:00+00:00")), 409)
    assert "That time is too soon to book online: this visit needs more notice." in page


def test_a_clinician_not_licensed_where_the_patient_will_be_is_refused(client):
    w = build(client)
    reyes = db.session.scalars(select(Clinician).where(Clinician.name == "Dr. Daniel Reyes")).one()
    w.sign_in(LONDON)
    w.intake()
    form = _confirm(w, start="2027-03-09T12:30:00+00:00", clinician=reyes.id)
    page = html(client.post("/find-care/book", data=form), 409)
    assert "they are not licensed in your region" in page
    assert confirm_links(page)  # and times that can be booked
