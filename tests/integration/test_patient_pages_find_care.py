"""Find care (issue 14): filters by specialty and clinician, each time names the clinician's specialty, later times
by paging and by a date picker (plain links and GET forms: no script needed), "no times" offers the clinic's number
in the patient's national form, and a cancelled visit's "book again" link leads back into a pre-filtered search."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment, Clinician, VisitType
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.booking.search import SlotQuery, search
from televisit.services.messaging.messages import appointment_links, settings_from
from tests.support.patient_world import LONDON, OHIO, build, confirm_links, html, text_of

NEW_YORK = ZoneInfo("America/New_York")
FOLLOW_UP_IN_PERSON = dict(need="follow-up", mode="in_person")
SLOT = re.compile(
    r'class="slot" href="([^"]+)">.*?<span class="who">([^<]+?)(?: · <span class="specialty">([^<]+)</span>)?</span>',
    re.S,
)


def _results(page: str) -> list[tuple[dict, str, str]]:
    """Each offered time: its confirm link's parameters, the clinician's name and specialty as shown."""
    found = SLOT.findall(page)
    return [(parse_qs(urlsplit(unescape(link)).query), who.strip(), spec or "") for link, who, spec in found]


def _later_link(page: str) -> str | None:
    found = re.search(r'<a class="button secondary" rel="next" href="([^"]+)">Later times</a>', page)
    return unescape(found.group(1)) if found else None


def _clinician(name: str) -> Clinician:
    return db.session.scalars(select(Clinician).where(Clinician.name == name)).one()


def test_each_time_names_the_clinicians_specialty_and_the_specialty_filter_keeps_only_it(client):
    w = build(client)
    w.sign_in(OHIO)
    everyone = _results(html(w.search(**FOLLOW_UP_IN_PERSON)))
    assert everyone and all(spec for _, _, spec in everyone)  # every time says whose specialty, in words
    assert {spec for _, _, spec in everyone} > {"Neurosurgery"}  # unfiltered: more than one specialty
    page = html(w.search(**FOLLOW_UP_IN_PERSON, specialty="neurosurgery"))
    only = _results(page)
    assert only and {spec for _, _, spec in only} == {"Neurosurgery"}
    surgeons = {c.id for c in db.session.scalars(select(Clinician).where(Clinician.specialty == "neurosurgery"))}
    assert {int(q["clinician"][0]) for q, _, _ in only} <= surgeons
    assert "neurosurgery" not in text_of(page).replace("specialty=neurosurgery", "")  # never the raw key


def test_the_clinician_filter_shows_only_that_clinicians_times_and_survives_the_confirm_step(client):
    w = build(client)
    w.sign_in(OHIO)
    reyes = _clinician("Dr. Daniel Reyes")
    page = html(w.search(**FOLLOW_UP_IN_PERSON, seen_by=reyes.id))
    found = _results(page)
    assert found and {(who, spec) for _, who, spec in found} == {("Dr. Daniel Reyes", "Neurosurgery")}
    assert f'<option value="{reyes.id}" selected>Dr. Daniel Reyes, Neurosurgery</option>' in page
    confirm = html(client.get(confirm_links(page)[0]))
    assert "Neurosurgery" in confirm  # the confirm page names the specialty too
    back = re.search(r'href="(/find-care\?[^"]+)">Choose another time', confirm).group(1)
    assert f"seen_by={reyes.id}" in unescape(back)


def test_a_filter_that_is_not_on_the_list_is_refused_in_words(client):
    w = build(client)
    w.sign_in(OHIO)
    page = html(w.search(**FOLLOW_UP_IN_PERSON, specialty="astrology", seen_by="x1", **{"from": "next week"}), 422)
    text = text_of(page)
    assert "Choose a specialty from the list." in text and "Choose a clinician from the list." in text
    assert "Enter a date as day, month and year" in text
    assert "seen_by:" not in text and "specialty:" not in text


def _expected(w, visit_type: str, *, n: int) -> list[tuple[str, int]]:
    """The first `n` free (start, clinician) pairs of a follow-up in person, straight from the slot search."""
    vt = db.session.scalars(select(VisitType).where(VisitType.name == visit_type)).one()
    today = clock.now().astimezone(NEW_YORK).date()
    q = SlotQuery(vt.id, today, today + timedelta(days=366), NEW_YORK, mode="in_person", limit=n)
    return [(s.start.isoformat(), s.clinician_id) for s in search(db.session, q, now=clock.now())]


def _pairs(found) -> list[tuple[str, int]]:
    return [(q["start"][0], int(q["clinician"][0])) for q, _, _ in found]


def test_later_times_page_on_without_losing_or_repeating_a_time(client):
    w = build(client)
    w.sign_in(OHIO)
    first = html(w.search(**FOLLOW_UP_IN_PERSON))
    later = _later_link(first)
    assert later and later.startswith("/find-care?") and "after=" in later
    second = html(client.get(later))
    third = html(client.get(_later_link(second)))
    shown = _pairs(_results(first)) + _pairs(_results(second)) + _pairs(_results(third))
    assert len(shown) > 48 and shown == _expected(w, "Follow-up", n=len(shown))  # in order, none lost, none twice
    assert "First available times</a>" in second  # and back to the start
    assert "Available times from" in text_of(second)


def test_the_date_picker_shows_times_from_that_date_in_the_patients_own_days(client):
    w = build(client)
    w.sign_in(OHIO)
    page = html(w.search(**FOLLOW_UP_IN_PERSON, **{"from": "2027-03-22"}))
    assert "Available times from Mon, Mar 22, 2027" in text_of(page)
    starts = [datetime.fromisoformat(q["start"][0]).astimezone(NEW_YORK) for q, _, _ in _results(page)]
    assert starts and min(starts).date().isoformat() == "2027-03-22"
    assert 'type="date"' in page and 'name="from"' in page and 'value="2027-03-22"' in page
    past = html(w.search(**FOLLOW_UP_IN_PERSON, **{"from": "2020-01-01"}))  # the past: from today
    assert _pairs(_results(past))[:5] == _expected(w, "Follow-up", n=5)


def test_no_times_offers_the_clinics_number_in_the_patients_national_form(client):
    w = build(client)
    whitfield = _clinician("Mr. James Whitfield")  # London only: nothing at Weston
    w.sign_in(OHIO)
    page = html(w.search(**FOLLOW_UP_IN_PERSON, site=w.ids["Weston"], seen_by=whitfield.id))
    text = text_of(page)
    assert not _results(page) and "No free times match." in text
    assert 'href="tel:+12165550199">(216) 555-0199</a>' in page  # a US patient: the US line, as dialled at home
    assert "any clinician</a>" in page  # and a way out of the filter
    w.sign_in(LONDON)
    w.intake()
    page = html(w.search(need="second-opinion", mode="in_person", site=w.ids["London"], **{"from": "2030-01-01"}))
    assert not _results(page)
    assert 'href="tel:+442079460999">020 7946 0999</a>' in page  # the London site's line, for a UK patient


def _cancelled(w, clinician: Clinician) -> Appointment:
    """A follow-up in person at Cleveland with `clinician`, booked then cancelled by the patient."""
    vt = db.session.scalars(select(VisitType).where(VisitType.name == "Follow-up")).one()
    today = clock.now().astimezone(NEW_YORK).date()
    q = SlotQuery(vt.id, today, today + timedelta(days=60), NEW_YORK, clinician_id=clinician.id, mode="in_person")
    slot = next(s for s in search(db.session, q, now=clock.now()) if s.location_id == w.ids["Cleveland"])
    actor = w.ola()
    req = booking.BookingRequest(SlotRequest(vt.id, clinician.id, slot.location_id, "in_person", slot.start, None))
    appt = booking.book(db.session, req, actor=actor, now=clock.now())
    return booking.cancel(db.session, appt.id, actor=actor, now=clock.now())


def test_the_cancellation_messages_book_again_link_leads_to_a_prefiltered_search_or_a_call(client):
    w = build(client)
    reyes = _clinician("Dr. Daniel Reyes")
    appt = _cancelled(w, reyes)
    view = appointment_links(settings_from(current_app.config), appt)["view"]  # the message's "To book again"
    client.post("/logout")
    page = html(client.get(urlsplit(view).path))
    text = text_of(page)
    assert "This appointment is cancelled." in text and "Book again" in text
    assert 'href="tel:+12165550199">(216) 555-0199</a>' in page
    again = unescape(re.search(r'href="(/find-care\?[^"]+)">Find a new time with Dr. Daniel Reyes', page).group(1))
    params = parse_qs(urlsplit(again).query)
    assert params == {
        "need": ["follow-up"], "mode": ["in_person"], "site": [str(w.ids["Cleveland"])], "seen_by": [str(reyes.id)]
    }  # fmt: skip
    r = client.get(again)  # not signed in: sign in first, then back here
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    w.sign_in(OHIO)
    found = _results(html(client.get(again)))
    assert found and {who for _, who, _ in found} == {"Dr. Daniel Reyes"}
    assert {q["location"][0] for q, _, _ in found} == {str(w.ids["Cleveland"])}


def test_a_cancelled_visit_that_is_not_booked_online_says_to_call_with_the_number(client):
    w = build(client)
    appt = _cancelled(w, _clinician("Dr. Daniel Reyes"))
    appt.visit_type_id = db.session.scalars(select(VisitType.id).where(VisitType.name == "Surveillance MRI")).one()
    db.session.commit()
    view = appointment_links(settings_from(current_app.config), appt)["view"]
    page = html(client.get(urlsplit(view).path))
    assert "/find-care?" not in page and "To book again, call us on" in text_of(page)
    assert "(216) 555-0199" in page
