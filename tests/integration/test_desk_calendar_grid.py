"""The desk's time grid (/schedule): its JSON (columns, visits, free time from the booking's own slot search,
filters, zones, who may read it, bad parameters in words) and a move made on it (worded for confirmation, saved
only when confirmed, with its CSRF token, through booking.reschedule so the patient's message is planned;
steps of a clinic day and fractions of a course are refused on their own). Both databases."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from televisit import clock
from televisit.domain.timezones import get_zone, to_local
from televisit.extensions import db
from televisit.models import AuditEvent
from televisit.services.booking import search as availability
from tests.support.desk_world import appointment, outbox_rules, page, sign_in
from tests.support.grid_world import GridWorld, build

FEED = "/schedule/calendar.json"
MON = "start=2027-03-08&end=2027-03-09"
JSON = {"Accept": "application/json"}
NY = get_zone("America/New_York")


@pytest.fixture
def w(app) -> GridWorld:
    return build()


def _grid(client, query: str = MON, status: int = 200) -> dict:
    r = client.get(f"{FEED}?{query}", headers=JSON)
    assert r.status_code == status, r.get_data(as_text=True)[:800]
    assert r.mimetype == "application/json"
    return r.json


def _visits(data: dict) -> dict[str, dict]:
    return {e["id"]: e for e in data["events"] if e["extendedProps"]["kind"] == "visit"}


def _free(data: dict) -> set[tuple[str, str]]:
    return {(e["resourceIds"][0], e["start"]) for e in data["events"] if e["extendedProps"]["kind"] == "free"}


def test_one_column_per_clinician_with_the_days_visits_on_the_sites_clock(client, w):
    sign_in(client, "scheduler")
    r = client.get(f"{FEED}?{MON}", headers=JSON)
    assert r.headers["Cache-Control"] == "no-store"
    data = r.json
    p = w.care.p
    assert [c["title"] for c in data["resources"]] == [
        "Dr. Cleveland",
        "Mr. London",
        "Dr. Neuro",
        "Dr. Rad",
        "Dr. Image",
    ]
    assert data["resources"][3]["extendedProps"]["detail"] == "Radiation oncology"
    visits = _visits(data)
    assert set(visits) == {f"a{w.consult}", f"a{w.london_consult}"}  # Monday's only
    ohio = visits[f"a{w.consult}"]
    assert (ohio["resourceIds"], ohio["start"], ohio["end"]) == (
        [f"c{p.us_doc.id}"],
        "2027-03-08T09:00:00",
        "2027-03-08T10:00:00",
    )
    assert ohio["editable"] is True and ohio["durationEditable"] is False
    props = ohio["extendedProps"]
    assert (props["patient"], props["visit_type"], props["mode"], props["status"]) == (
        "other",
        "Consult",
        "Video",
        "booked",
    )
    assert props["time"] == "9:00 AM EST" and props["patient_time"] is None  # the Ohio patient lives on New York time
    london = visits[f"a{w.london_consult}"]["extendedProps"]
    assert london["patient_time"] == "Mon, Mar 8, 2027, 3:00 PM GMT" and london["patient_clock"] == "3:00 PM GMT"
    assert london["check_url"] == london["move_url"] == f"/schedule/appointments/{w.london_consult}/move"


def test_free_time_is_the_booking_search_answer_for_the_chosen_visit_type(client, w):
    sign_in(client, "scheduler")
    p = w.care.p
    data = _grid(client)
    assert data["free_for"] == {"id": p.consult.id, "name": "Consult", "minutes": 60}
    free = _free(data)
    cleveland = sorted(start for col, start in free if col == f"c{p.us_doc.id}")
    assert cleveland == ["2027-03-08T10:00:00", "2027-03-08T11:00:00"]  # 09:00-12:00, the 09:00 visit taken
    q = availability.SlotQuery(p.consult.id, date(2027, 3, 8), date(2027, 3, 8), NY, p.cleveland.id)
    engine = {
        (f"c{s.clinician_id}", to_local(s.start, NY).replace(tzinfo=None).isoformat())
        for s in availability.search(db.session, q, now=clock.now())
    }
    assert {(c, s) for c, s in free if c != f"c{p.uk_doc.id}"} == engine  # the same engine, nothing added or lost
    neuro = next(e for e in data["events"] if e["resourceIds"] == [f"c{w.care.neuro}"] and e.get("display"))
    assert neuro["display"] == "background"
    book = neuro["extendedProps"]["book_url"]
    assert book.startswith("/schedule/book?") and f"clinician_id={w.care.neuro}" in book and "at=2027-03-08T08" in book
    none = _grid(client, f"{MON}&visit_type_id=none")
    assert none["free_for"] is None and _free(none) == set()


def test_a_click_on_free_time_lands_on_booking_with_that_time_picked(client, w):
    sign_in(client, "scheduler")
    p = w.care.p
    data = _grid(client, f"{MON}&clinician_id={p.us_doc.id}")
    url = next(e["extendedProps"]["book_url"] for e in data["events"] if e["start"] == "2027-03-08T10:00:00")
    found = re.sub(r"<[^>]+>", "", page(client.get(url)))
    assert "Picked on the calendar: Consult with Dr. Cleveland at Cleveland, Mon, Mar 8, 2027, 10:00 AM EST." in found
    carried = url.split("?", 1)[1]
    html = page(client.get(f"/schedule/book/{w.care.ohio}?{carried}"))
    picked = html.split('id="picked"')[1].split("</section>")[0]
    assert "Book 10:00 AM EST" in picked and "Dr. Cleveland" in picked and "11:00 AM" not in picked
    starts = set(re.findall(r'name="start" value="([^"]+)"', picked))
    assert starts == {"2027-03-08T10:00:00-05:00"}


def test_one_column_per_room_or_machine(client, w):
    sign_in(client, "scheduler")
    data = _grid(client, "start=2027-03-08&end=2027-03-15&by=resource")
    assert [(c["id"], c["title"]) for c in data["resources"]] == [
        (f"r{w.care.linac}", "Linac 1"),
        (f"r{w.care.mri}", "MRI 1"),
    ]
    visits = _visits(data)
    assert visits[f"a{w.mri}"]["resourceIds"] == [f"r{w.care.mri}"]
    fraction = visits[f"a{w.fractions[0]}"]
    assert fraction["resourceIds"] == [f"r{w.care.linac}"] and fraction["start"] == "2027-03-10T08:00:00"
    assert fraction["editable"] is False and fraction["extendedProps"]["part_of"] == "a treatment course"
    assert fraction["extendedProps"]["whole_url"] == f"/schedule/courses/{w.course}"
    assert f"a{w.consult}" not in visits  # a consult holds no room or machine
    assert data["free_for"]["name"] == "Whole-spine MRI"  # the first visit type a shown machine serves
    mri_free = {s for c, s in _free(data) if c == f"r{w.care.mri}"}
    assert "2027-03-09T09:00:00" in mri_free and "2027-03-09T10:00:00" not in mri_free  # the MRI visit holds 10:00


def test_site_specialty_and_clinician_filters(client, w):
    sign_in(client, "scheduler")
    p = w.care.p
    only_rad = _grid(client, f"{MON}&specialty=radiation_oncology")
    assert [c["title"] for c in only_rad["resources"]] == ["Dr. Rad"] and _visits(only_rad) == {}
    london = _grid(client, f"{MON}&location_id={p.london.id}")
    assert [c["title"] for c in london["resources"]] == ["Mr. London"]
    assert {c for c, _ in _free(london)} == {f"c{p.uk_doc.id}"}
    one = _grid(client, f"{MON}&clinician_id={w.care.neuro}")
    assert [c["title"] for c in one["resources"]] == ["Dr. Neuro"] and set(_visits(one)) == {f"a{w.london_consult}"}


def test_the_chosen_zone_moves_every_time_onto_its_clock(client, w):
    sign_in(client, "scheduler")
    data = _grid(client, "start=2027-03-08&end=2027-03-09&tz=Europe/London")
    ohio = _visits(data)[f"a{w.consult}"]
    assert ohio["start"] == "2027-03-08T14:00:00" and ohio["extendedProps"]["time"] == "2:00 PM GMT"
    assert ohio["extendedProps"]["patient_time"] == "Mon, Mar 8, 2027, 9:00 AM EST"  # the patient's own, beside
    assert _visits(data)[f"a{w.london_consult}"]["extendedProps"]["patient_time"] is None  # the same clock
    assert data["zone"] == "Europe/London"


def test_who_may_read_the_grid(client, w):
    r = client.get(f"{FEED}?{MON}", headers=JSON)
    assert r.status_code == 302 and "/login" in r.headers["Location"]  # with a ?next= back to it
    for who in ("patient", "clinician"):
        sign_in(client, who)
        r = client.get(f"{FEED}?{MON}", headers=JSON)
        assert r.status_code == 403 and r.json["error"]["message"] == "This page is for schedulers and admins only."
        client.post("/logout")
    sign_in(client, "admin")
    assert _visits(_grid(client))


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("end=2027-03-09", "Please give the first day as a date such as 2027-03-08."),
        ("start=2027-03-09&end=2027-03-08", "Ask for one to 14 days at a time"),
        ("start=2027-03-01&end=2027-04-01", "Ask for one to 14 days at a time"),
        (f"{MON}&by=rooms", "Please choose clinicians or rooms and machines from the list."),
        (f"{MON}&tz=Mars/Base", "Please check the time zone: unknown IANA time zone"),
        (f"{MON}&visit_type_id=abc", "Please choose the visit type from the list."),
        (f"{MON}&specialty=dentistry", "Please choose the specialty from the list."),
        ("start=2027-02-30&end=2027-03-02", "Please give the first day as a date such as 2027-03-08."),
        ("start=2027-03-08&end=soon", "Please give the day after the last as a date such as 2027-03-09."),
    ],
)
def test_bad_parameters_are_a_400_in_words(client, w, query, words):
    sign_in(client, "scheduler")
    error = _grid(client, query, 400)["error"]
    assert words in error["message"]
    assert not re.search(r"\b[a-z]+_[a-z_]+\b|\b(start|end|tz|by)\b:", error["message"])  # never a field key


def test_reading_the_grid_is_audited_as_patient_data(client, w):
    sign_in(client, "scheduler")
    db.session.commit()
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    _grid(client)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [(e.action, e.role, e.channel, e.outcome) for e in events] == [
        ("appointment.list", "scheduler", "page", 200)
    ]


# ---- moves ----


def _check(client, appt_id: int, status: int = 200, **args) -> dict:
    r = client.get(f"/schedule/appointments/{appt_id}/move", query_string=args, headers=JSON)
    assert r.status_code == status, r.get_data(as_text=True)[:800]
    return r.json


def _move(client, appt_id: int, body: dict, status: int = 200, headers=None) -> dict:
    r = client.post(f"/schedule/appointments/{appt_id}/move", json=body, headers=JSON | (headers or {}))
    assert r.status_code == status, r.get_data(as_text=True)[:800]
    return r.json


def test_a_move_is_worded_for_confirmation_and_nothing_is_saved_until_confirmed(client, w):
    sign_in(client, "scheduler")
    words = _check(client, w.london_consult, start="2027-03-08T13:00", tz="site")
    assert words["saved"] is False
    assert words["confirm"] == {
        "patient": "pat",
        "from": "Mon, Mar 8, 2027, 10:00 AM EST",
        "to": "Mon, Mar 8, 2027, 1:00 PM EST",
        "patient_to": "Mon, Mar 8, 2027, 6:00 PM GMT",
        "from_with": "Dr. Neuro",
        "to_with": "Dr. Neuro",
        "location": "Cleveland",
        "mode": "Video",
        "notice": "pat will get a message with the new time.",
    }
    refused = _move(client, w.london_consult, {"start": "2027-03-08T13:00", "tz": "site"}, 422)["error"]
    assert refused["message"] == "Confirm the move first: nothing was saved."
    assert appointment(w.london_consult).start_at == datetime.fromisoformat("2027-03-08T15:00:00+00:00")
    assert "moved" not in outbox_rules(w.london_consult)


def test_a_confirmed_move_is_saved_and_the_patient_told(client, w):
    sign_in(client, "scheduler")
    done = _move(client, w.london_consult, {"start": "2027-03-08T13:00", "tz": "site", "confirmed": True})
    assert done == {"saved": True, "message": "Moved. pat will get a message with the new time.",
                    "id": w.london_consult, "start": "2027-03-08T13:00:00-05:00"}  # fmt: skip
    moved = appointment(w.london_consult)
    assert moved.start_at == datetime.fromisoformat("2027-03-08T18:00:00+00:00") and moved.sequence == 1
    assert outbox_rules(w.london_consult).count("moved") >= 1  # planned with the move, in its transaction
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (event.action, event.object_id, event.patient_id, event.outcome) == (
        "appointment.reschedule", w.london_consult, w.care.londoner, 200
    )  # fmt: skip


def test_a_move_may_come_as_a_form_too(client, w):
    sign_in(client, "scheduler")
    form = {"start": "2027-03-08T11:00", "tz": "site", "confirmed": "1"}
    r = client.post(f"/schedule/appointments/{w.consult}/move", data=form, headers=JSON)
    assert r.status_code == 200 and r.json["saved"] is True
    assert to_local(appointment(w.consult).start_at, NY).hour == 11


def test_a_move_dropped_in_another_clinicians_column_moves_it_to_them(client, w):
    sign_in(client, "scheduler")
    body = {"start": "2027-03-08T11:00", "tz": "America/New_York", "clinician_id": w.care.neuro, "confirmed": True}
    _move(client, w.consult, body)
    moved = appointment(w.consult)
    assert moved.clinician_id == w.care.neuro and to_local(moved.start_at, NY).hour == 11


def test_a_move_in_the_london_zone_reads_the_wall_time_there(client, w):
    sign_in(client, "scheduler")
    _move(client, w.consult, {"start": "2027-03-08T15:00", "tz": "Europe/London", "confirmed": True})
    assert appointment(w.consult).start_at == datetime.fromisoformat("2027-03-08T15:00:00+00:00")  # 10:00 EST


def test_a_refused_move_says_why_in_words_and_changes_nothing(client, w):
    sign_in(client, "scheduler")
    late = _check(client, w.consult, 409, start="2027-03-08T13:00", tz="site")["error"]
    assert late["message"].startswith("The clinician does not offer that time")
    taken = _move(
        client, w.consult, {"start": "2027-03-08T10:00", "clinician_id": w.care.neuro, "confirmed": True}, 409
    )
    assert "taken" in taken["error"]["message"] or "another" in taken["error"]["message"]
    gap = _check(client, w.consult, 422, start="2027-03-14T02:30", tz="America/New_York")["error"]
    assert gap["message"] == "That time does not exist on that day: the clocks go forward then."
    bad = _check(client, w.consult, 422, start="next tuesday")["error"]
    assert bad["message"] == "Please enter the start time as a date and time such as 2027-03-08T10:30."
    assert appointment(w.consult).start_at == datetime.fromisoformat("2027-03-08T14:00:00+00:00")


def test_a_step_of_a_clinic_day_or_a_fraction_of_a_course_never_moves_alone(client, w):
    sign_in(client, "scheduler")
    step = _move(client, w.steps[1], {"start": "2027-03-11T16:00", "confirmed": True}, 409)["error"]
    assert step["code"] == "part_of_itinerary" and step["whole_url"] == f"/schedule/days/{w.itinerary}"
    assert step["message"] == "This visit is one step of a clinic day: move or cancel the whole day instead."
    fraction = _check(client, w.fractions[1], 409, start="2027-03-11T09:00")["error"]
    assert fraction["code"] == "part_of_course" and fraction["whole_url"] == f"/schedule/courses/{w.course}"
    assert appointment(w.fractions[1]).sequence == 0 and appointment(w.steps[1]).sequence == 0


def test_only_the_desk_moves_visits_on_the_grid(client, w):
    for who in ("patient", "clinician"):
        sign_in(client, who)
        r = client.post(
            f"/schedule/appointments/{w.consult}/move", json={"start": "2027-03-08T11:00", "confirmed": True}
        )
        assert r.status_code == 403
        client.post("/logout")
    assert appointment(w.consult).sequence == 0


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_a_move_needs_the_pages_csrf_token(client, w, csrf_on):
    from flask import g

    login = page(client.get("/login"))
    (token,) = re.findall(r'name="csrf_token" value="([^"]+)"', login)
    client.post("/login", data={"email": "sched@example.org", "password": "correct-horse-battery", "csrf_token": token})
    g.pop("csrf_token", None)  # a new request would start without the cached token
    html = page(client.get("/schedule?date=2027-03-08"))
    (meta,) = re.findall(r'<meta name="csrf-token" content="([^"]+)"', html)
    body = {"start": "2027-03-08T11:00", "confirmed": True}
    refused = _move(client, w.consult, body, 400)
    assert "CSRF" in refused["error"]["message"] and appointment(w.consult).sequence == 0
    _move(client, w.consult, body, headers={"X-CSRFToken": meta})
    assert appointment(w.consult).sequence == 1


# ---- the page around the grid ----


def test_the_page_keeps_the_list_and_mounts_the_grid_from_our_own_origin(client, w):
    sign_in(client, "scheduler")
    html = page(client.get("/schedule?date=2027-03-08"))
    assert '<section id="grid" class="grid-panel" aria-labelledby="grid-title" hidden' in html
    assert 'data-feed="/schedule/calendar.json"' in html
    assert '<div id="calendar-list">' in html and "9:00 AM EST" in html  # the list, for a browser without JS
    listed = re.sub(r"<[^>]+>", " ", html.split('<div id="calendar-list">')[1])
    assert re.search(r"10:00 AM EST\s*–11:00 AM EST\s*pat, open\s*3:00 PM GMT for the patient", listed)
    assert listed.count("for the patient") == 4  # the London patient's consult and course; not the Ohio patient's
    assert re.search(r'<script src="/vendor/event-calendar\.min\.js\?v=5\.10\.1" defer>', html)
    assert re.search(r'<link rel="stylesheet" href="/vendor/event-calendar\.min\.css\?v=5\.10\.1">', html)
    assert "<script>" not in html and " style=" not in html  # no inline script or style (CSP)
    assert re.search(r'<div class="field grid-only" hidden>\s*<label for="by">Columns</label>', html)
    r = client.get("/vendor/event-calendar.min.js?v=5.10.1")
    assert r.status_code == 200 and r.mimetype == "text/javascript"


def test_the_list_follows_the_specialty_filter_too(client, w):
    sign_in(client, "scheduler")
    html = page(client.get("/schedule?date=2027-03-08&specialty=radiation_oncology"))
    week = html.split('<div id="calendar-list">')[1]
    assert "Spine radiosurgery" in week and ">other<" not in week and "Consult" not in week.split("Spine")[0]
    assert page(client.get("/schedule?specialty=dentistry"), 422)
