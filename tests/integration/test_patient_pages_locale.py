"""Patient pages in the patient's locale (Babel): 12-hour month-first for en-US, 24-hour day-first for en-GB, the
patient's clock first and the site's named by its city; phone numbers in the national form of the patient's
country (phonenumbers), on the profile and where the clinic's number is offered."""

from __future__ import annotations

import re

from sqlalchemy import select

from televisit.extensions import db
from televisit.models import Patient
from tests.support.patient_world import LONDON, OHIO, build, html, text_of


def _patient(w, key: str) -> Patient:
    return db.session.get(Patient, w.ids[key])


def _first_day_and_time(page: str) -> tuple[str, str, str | None]:
    day = re.search(r'<h3 class="day">([^<]+)</h3>', page).group(1)
    own = re.search(r'<span class="own">([^<]+)</span>', page).group(1)
    site = re.search(r'<span class="own">[^<]+</span>\s*(?:<span class="site-time">([^<]+)</span>)?', page).group(1)
    return day, own, site


def test_an_en_gb_and_an_en_us_reader_see_the_same_time_in_their_own_forms(client):
    w = build(client)
    w.sign_in(LONDON)
    w.intake()
    search = dict(need="second-opinion", mode="virtual", region="GB", site=w.ids["Cleveland"])
    assert _first_day_and_time(html(w.search(**search))) == ("Wed 3 Mar 2027", "13:00", "08:00 in Cleveland")
    _patient(w, "lou").locale = "en-US"  # the same London patient, preferring American forms
    db.session.commit()
    assert _first_day_and_time(html(w.search(**search))) == ("Wed, Mar 3, 2027", "1:00 PM", "8:00 AM in Cleveland")


def test_an_ohio_patient_in_british_forms_and_the_day_headings_of_each(client):
    w = build(client)
    w.sign_in(OHIO)
    page = html(w.search(need="follow-up", mode="in_person", site=w.ids["Weston"]))
    assert _first_day_and_time(page) == ("Mon, Mar 1, 2027", "9:00 AM", None)  # same clock as Weston: one time
    _patient(w, "ola").locale = "en-GB"
    db.session.commit()
    page = html(w.search(need="follow-up", mode="in_person", site=w.ids["Weston"]))
    assert _first_day_and_time(page) == ("Mon 1 Mar 2027", "09:00", None)
    assert "Times are your own (Eastern Time)" in text_of(page)


def test_the_profile_shows_the_phone_in_national_form_and_takes_it_back_as_typed(client):
    w = build(client)
    lou, ola = _patient(w, "lou"), _patient(w, "ola")
    lou.phone, ola.phone = "+447700900456", "+12165550100"
    db.session.commit()
    w.sign_in(LONDON)
    page = html(client.get("/profile"))
    assert 'value="07700 900456"' in page and "+447700900456" not in page
    form = {"timezone": "Europe/London", "region": "GB", "phone": "07700 900123", "sms_opt_in": "on"}
    r = client.post("/profile", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    db.session.expire_all()
    assert db.session.get(Patient, w.ids["lou"]).phone == "+447700900123"  # stored in E.164
    page = html(client.post("/profile", data={**form, "phone": "0770"}), 422)
    assert "too few digits" in page and 'aria-invalid="true"' in page
    w.sign_in(OHIO)
    assert 'value="(216) 555-0100"' in html(client.get("/profile"))


def test_a_uk_patient_reads_a_us_number_in_international_form(client):
    w = build(client)
    ola = db.session.scalars(select(Patient).where(Patient.id == w.ids["ola"])).one()
    ola.region, ola.phone = "GB", "+12165550100"  # moved to Britain, kept their American mobile
    db.session.commit()
    w.sign_in(OHIO)
    assert 'value="+1 216-555-0100"' in html(client.get("/profile"))
