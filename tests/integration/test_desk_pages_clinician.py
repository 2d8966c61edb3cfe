"""Clinician pages: today's clinic per site in local time, and the calendar subscription link."""

from __future__ import annotations

import re

from televisit import clock
from tests import factories as f
from tests.conftest import NOW
from tests.support.desk_world import book, page, sign_in


def test_today_shows_each_sites_visits_in_its_local_time_and_links_the_waiting_room(app, client):
    p = f.program()
    book(client, p, "other", "2027-03-01T10:00:00-05:00")
    book(client, p, "patient", "2027-03-08T10:00:00-05:00", mode="in_person")  # next week: not today
    sign_in(client, "clinician")
    html = page(client.get("/clinic/today"))
    other = p.users["other"].patient_id  # the name links to their record, with birth date and MRN beside it
    cell = f'<span class="patient-name"><span class="who"><a href="/schedule/patients/{other}">other</a>'
    assert "Cleveland" in html and "10:00 AM EST" in html and cell in html and "birth date not recorded" in html
    assert "Hours today: 09:00–12:00 (Video, In person)" in html
    assert 'href="/clinic"' in html and ">pat</a>" not in html


def test_a_day_without_clinic_has_a_friendly_empty_state(app, client):
    f.program()
    clock.freeze(NOW.replace(day=2))  # Tuesday: no hours anywhere
    sign_in(client, "clinician")
    assert "No clinic today" in page(client.get("/clinic/today"))


def test_the_calendar_link_is_shown_once_and_works_until_revoked(app, client):
    f.program()
    sign_in(client, "clinician")
    assert "no active links yet" in page(client.get("/clinic/calendar-link"))
    r = client.post("/clinic/calendar-link")
    html = page(r)
    assert r.headers["Cache-Control"] == "no-store"
    (url,) = re.findall(r'value="(http://televisit\.test/calendar/[^"]+\.ics)"', html)
    assert 'href="webcal://televisit.test/calendar/' in html and "1 active link" in html
    feed = client.get(url.removeprefix("http://televisit.test"))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert client.post("/clinic/calendar-link/revoke").status_code == 302
    assert client.get(url.removeprefix("http://televisit.test")).status_code == 404
    assert "no active links yet" in page(client.get("/clinic/calendar-link"))


def test_a_clinician_user_without_a_profile_is_told_what_to_do(app, client):
    f.program()
    f.user("new.doc@example.org", "clinician")
    sign_in(client, "new.doc@example.org")
    assert "not linked to a clinician profile" in page(client.get("/clinic/today"), 404)


def test_other_roles_cannot_open_clinician_pages(app, client):
    f.program()
    for who in ("scheduler", "other"):
        sign_in(client, who)
        assert "This page is for clinicians only." in page(client.get("/clinic/today"), 403)
        page(client.get("/clinic/calendar-link"), 403)
        client.post("/logout")
