"""The schedulers' calendar: day and week, across clinicians and sites, in a site's zone or the viewer's."""

from __future__ import annotations

import re

from televisit.extensions import db
from tests import factories as f
from tests.support.desk_world import MON_9_EST, book, page, sign_in

UK = {"Accept-Language": "en-GB,en;q=0.8"}


def test_the_week_shows_each_visit_with_time_patient_clinician_type_mode_and_status(app, client):
    p = f.program()
    book(client, p, "other", MON_9_EST, mode="virtual")
    book(client, p, "patient", "2027-03-08T10:00:00+00:00", mode="in_person", doc=p.uk_doc)
    sign_in(client, "scheduler")
    html = page(client.get("/schedule?date=2027-03-08"))
    assert "Mon, Mar 8 – Sun, Mar 14, 2027" in html
    assert "9:00 AM EST" in html and "10:00 AM GMT" in html  # each site's own clock by default
    for text in (
        "<strong>other</strong>",
        "<strong>pat</strong>",
        "Dr. Cleveland",
        "Mr. London",
        "Consult",
        "Video",
        "In person",
        "booked",
    ):
        assert text in html, text
    assert 'class="week"' in html


def test_the_zone_switch_shows_every_visit_on_one_clock_with_the_site_clock_beside_it(app, client):
    p = f.program()
    book(client, p, "other", MON_9_EST)
    sign_in(client, "scheduler")
    html = page(client.get("/schedule?date=2027-03-08&tz=Europe/London", headers=UK))
    assert "14:00 GMT" in html and "09:00 EST at the site" in html  # 24-hour for an en-GB reader
    assert "Mon 8 Mar – Sun 14 Mar 2027" in html
    us = page(client.get("/schedule?date=2027-03-08&tz=Europe/London"))
    assert "2:00 PM GMT" in us  # 12-hour for en-US


def test_a_late_evening_visit_falls_on_its_local_day_in_the_chosen_zone(app, client):
    p = f.program()
    p.us_doc.rules[0].end_minute = 24 * 60  # Mondays 09:00-24:00 in Cleveland
    db.session.commit()
    book(client, p, "other", "2027-03-08T21:00:00-05:00")  # Tuesday 02:00 in London
    sign_in(client, "scheduler")
    html = page(client.get("/schedule?date=2027-03-09&view=day&tz=Europe/London", headers=UK))
    assert "02:00 GMT" in html
    html = page(client.get("/schedule?date=2027-03-09&view=day"))
    assert "Nothing booked on this day" in html


def test_day_view_and_filters(app, client):
    p = f.program()
    book(client, p, "other", MON_9_EST)
    book(client, p, "patient", "2027-03-08T09:00:00+00:00", doc=p.uk_doc)
    sign_in(client, "scheduler")
    day = page(client.get("/schedule?view=day&date=2027-03-08"))
    assert 'class="day-table"' in day and "Dr. Cleveland" in day and "Mr. London" in day
    only_london = page(client.get(f"/schedule?view=day&date=2027-03-08&location_id={p.london.id}"))
    assert "Mr. London" in only_london and "Dr. Cleveland</td>" not in only_london
    only_doc = page(client.get(f"/schedule?date=2027-03-08&clinician_id={p.us_doc.id}"))
    assert "9:00 AM EST" in only_doc and "9:00 AM GMT" not in only_doc


def test_cancelled_visits_are_hidden_unless_asked_for(app, client):
    p = f.program()
    appt_id = book(client, p, "other", MON_9_EST)
    sign_in(client, "scheduler")
    client.post(f"/schedule/appointments/{appt_id}/cancel", data={"reason": "Patient asked"})
    assert "9:00 AM EST" not in page(client.get("/schedule?date=2027-03-08"))
    shown = page(client.get("/schedule?date=2027-03-08&cancelled=true"))
    assert "9:00 AM EST" in shown and "cancelled" in shown


def test_empty_week_has_a_helpful_empty_state_and_pager_links_keep_filters(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    html = page(client.get(f"/schedule?date=2027-03-08&clinician_id={p.us_doc.id}"))
    assert "Nothing booked this week for these filters" in html and "Book a visit for a patient" in html
    prev, today, nxt = re.findall(r'<nav class="pager".*?</nav>', html, re.S)[0].split("</a>")[:3]
    assert "date=2027-03-01" in prev and f"clinician_id={p.us_doc.id}" in prev
    assert "date=" not in today and "date=2027-03-15" in nxt


def test_who_may_open_the_calendar(app, client):
    f.program()
    r = client.get("/schedule")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/schedule"  # and back after signing in
    for who in ("patient", "clinician"):
        sign_in(client, who)
        assert "This page is for schedulers and admins only." in page(client.get("/schedule"), 403)
        client.post("/logout")
    sign_in(client, "admin")
    page(client.get("/schedule"))


def test_bad_filters_get_a_friendly_page_not_a_500(app, client):
    f.program()
    sign_in(client, "scheduler")
    for query in ("tz=Mars/Base", "date=2027-13-40", "view=month", "location_id=abc"):
        page(client.get(f"/schedule?{query}"), 422)
